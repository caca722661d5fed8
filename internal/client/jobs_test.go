package client

import "testing"

// TestDecodeJobInfoNullsAreUnset: FastAPI sends null for unset optional
// fields; they must decode as unset, not as "".
func TestDecodeJobInfoNullsAreUnset(t *testing.T) {
	job, err := DecodeJobInfo([]byte(`{"job_info":{"status":"running","job_id":null,"message":null,"cluster_id":null,` +
		`"created_at":null,"updated_at":null,"instance_type":null,"exit_code":null},"message":null}`))
	if err != nil {
		t.Fatal(err)
	}
	for name, field := range map[string]*string{
		"message": job.Message, "cluster_id": job.ClusterID, "created_at": job.CreatedAt,
		"updated_at": job.UpdatedAt, "instance_type": job.InstanceType,
	} {
		if field != nil {
			t.Errorf("%s: null decoded as %q, want unset", name, *field)
		}
	}
	if job.ExitCode != nil || job.ID != "" {
		t.Errorf("exit_code %v, id %q: want unset", job.ExitCode, job.ID)
	}

	// A null job message falls back to the response's text, as a missing one
	// does; an empty string is the engine's own answer and is kept.
	job, err = DecodeJobInfo([]byte(`{"job_info":{"status":"running","message":null,"id":"job-2"},"message":"rendered"}`))
	if err != nil || job.Message == nil || *job.Message != "rendered" || job.ID != "job-2" {
		t.Fatalf("job %+v, err %v: want the envelope's message and the id field", job, err)
	}
	job, err = DecodeJobInfo([]byte(`{"job_info":{"status":"running","cluster_id":""}}`))
	if err != nil || job.ClusterID == nil || *job.ClusterID != "" {
		t.Fatalf("job %+v, err %v: an empty string is not null", job, err)
	}
}
