package sim

import (
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// A finished job's pull lists what its config's outputs name, with
// presigned URLs; a live job gets the rsync command and no files.
func TestPullListsAFinishedJobsOutputs(t *testing.T) {
	srv, fc := start(t, func(o *Options) { o.PendingDelay, o.RunDuration = time.Second, time.Second })
	dir := t.TempDir()
	for _, p := range []string{"train.py", "train.log", "notes.txt"} {
		if err := os.WriteFile(filepath.Join(dir, p), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	config := "commands = [\"python train.py\"]\noutputs = [\"./model.pt\", \"*.log\", \"checkpoints/\"]\n"
	id := pushFrom(t, srv, dir, config).JobID
	pull := srv.URL + "/job/pull/" + id + "?system=linux&dry_run=true"

	fc.Advance(time.Second)
	m := do(t, "GET", pull, key1, "").expect(t, 200, nil)
	if dm, _ := m["download_map"].(map[string]any); len(dm) != 0 || m["command"] == nil {
		t.Errorf("running job: download_map %v, command %v; want no files and a command", m["download_map"], m["command"])
	}

	fc.Advance(time.Second)
	m = do(t, "GET", pull, key1, "").expect(t, 200, map[string]any{"command": nil})
	dm, _ := m["download_map"].(map[string]any)
	var paths []string
	for p := range dm {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	if want := []string{"checkpoints/", "model.pt", "train.log"}; !slices.Equal(paths, want) {
		t.Fatalf("download_map paths %q, want %q", paths, want)
	}
	if dm["checkpoints/"] != nil {
		t.Errorf("a directory's URL is %v, want null", dm["checkpoints/"])
	}
	for _, p := range []string{"model.pt", "train.log"} {
		raw, _ := dm[p].(string)
		u, err := url.Parse(raw)
		if err != nil || u.Scheme != "https" || !strings.HasSuffix(u.Path, "/"+id+"/"+p) || u.Query().Get("X-Amz-Signature") == "" {
			t.Errorf("URL of %s = %q, want a presigned https URL of the job's file", p, raw)
		}
	}
	if s, _ := m["message"].(string); !strings.Contains(s, "3 output files") {
		t.Errorf("message %q, want the number of files", s)
	}
}

// A job canceled before it ran has no outputs.
func TestPullOfAJobThatNeverRanListsNothing(t *testing.T) {
	srv, _ := start(t, func(o *Options) { o.PendingDelay = time.Hour })
	job := pushFrom(t, srv, t.TempDir(), "commands = [\"true\"]\noutputs = [\"model.pt\"]\n")
	do(t, "POST", srv.URL+"/job/cancel/"+job.JobID, key1, "").expect(t, 202, nil)
	m := do(t, "GET", srv.URL+"/job/pull/"+job.JobID, key1, "").expect(t, 200, nil)
	if dm, _ := m["download_map"].(map[string]any); len(dm) != 0 {
		t.Errorf("download_map %v, want none for a job that never ran", dm)
	}
}
