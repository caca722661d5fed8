package client

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzDecodeJobInfo: whatever the engine sends, decoding gives a job with a
// status or an error, never a panic.
func FuzzDecodeJobInfo(f *testing.F) {
	for _, seed := range []string{
		`{"job_info":{"status":"running","job_id":"j","exit_code":"3","created_at":1.7e9}}`,
		`{"job_info":{"status":"CANCELING","exit_code":1e300,"updated_at":-5}}`,
		`{"job_info":"oops","message":3}`,
		`<html>oops</html>`, `null`, `{"job_info":null}`, `{"job_info":{"status":""}}`, `[]`,
		`{"job_info":{"status":"x","exit_code":9.5,"created_at":"yesterday"}}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		job, err := DecodeJobInfo(body)
		if err != nil {
			if job != nil {
				t.Fatal("a job and an error")
			}
			return
		}
		if job.Status == "" {
			t.Fatal("decoded a job without a status")
		}
		if job.Status.IsTerminal() && !job.Status.IsKnown() {
			t.Fatalf("unknown status %q treated as terminal", job.Status)
		}
	})
}

// FuzzParseErrorBody: any error body yields a message without panicking, and
// a body that is not JSON is quoted only in a bounded excerpt.
func FuzzParseErrorBody(f *testing.F) {
	for _, seed := range []string{
		`{"message":"Job not found"}`, `{"error":"bad key"}`, `{"external_message":"x"}`,
		`{"detail":[{"loc":["path","job_id"],"msg":"too long","type":"string_too_long"}]}`,
		`{"detail":"Method Not Allowed"}`, `{"detail":[{"loc":null}]}`, `not json`, ``, strings.Repeat("x", 500),
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		msg, _ := ParseErrorBody(body)
		if !json.Valid(body) && len(msg) > 200+len("…") {
			t.Fatalf("excerpt of %d bytes", len(msg))
		}
	})
}
