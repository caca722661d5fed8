package client

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// FuzzDecodeJobInfo: whatever the engine sends, decoding gives a job with a
// status or an error, never a panic; and an optional field sent as null is
// unset, never "".
func FuzzDecodeJobInfo(f *testing.F) {
	for _, seed := range []string{
		`{"job_info":{"status":"running","job_id":"j","exit_code":"3","created_at":1.7e9}}`,
		`{"job_info":{"status":"CANCELING","exit_code":1e300,"updated_at":-5}}`,
		`{"job_info":"oops","message":3}`,
		`<html>oops</html>`, `null`, `{"job_info":null}`, `{"job_info":{"status":""}}`, `[]`,
		`{"job_info":{"status":"x","exit_code":9.5,"created_at":"yesterday"}}`,
		`{"job_info":{"status":"running","message":null,"cluster_id":null,"created_at":null,"updated_at":null,"instance_type":null,"exit_code":null},"message":null}`,
		`{"job_info":{"status":"pending","message":null},"message":"rendered"}`,
		`{"job_info":{"status":null}}`, `{"job_info":{"status":"failed","cluster_id": null ,"exit_code":  null}}`,
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
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(job.Raw, &fields); err != nil {
			t.Fatalf("Raw is not the job_info object: %v", err)
		}
		isNull := func(key string) bool {
			raw, ok := fields[key]
			return ok && string(bytes.TrimSpace(raw)) == "null"
		}
		for key, value := range map[string]*string{
			"cluster_id": job.ClusterID, "instance_type": job.InstanceType,
			"created_at": job.CreatedAt, "updated_at": job.UpdatedAt,
		} {
			if isNull(key) && value != nil {
				t.Fatalf("%s: null decoded as %q", key, *value)
			}
		}
		if isNull("exit_code") && job.ExitCode != nil {
			t.Fatalf("exit_code: null decoded as %d", *job.ExitCode)
		}
		if job.Message != nil && *job.Message == "" && isNull("message") {
			t.Fatal("message: null decoded as \"\"")
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

// FuzzDecodePushMessage: any message decodes without panicking; only a
// JSON object is a message; a command is only ever a JSON string, run
// exactly as sent; and the documented fields survive a round trip.
func FuzzDecodePushMessage(f *testing.F) {
	f.Add([]byte(`{"job_id":"job-1","message":"Job submitted"}`), "job-1", "Uploading", "rsync -a . host:", true)
	f.Add([]byte(`{"command":null,"command_show_stdout":null}`), "", "", "", false)
	f.Add([]byte(`{"command":5,"job_id":{"a":1},"message":[1]}`), " 42 ", "  ", "echo 'x'\n", false)
	f.Add([]byte(`not json`), "\xff", "\x00", "\xfe", true)
	f.Add([]byte(`null`), "job", "m", "c", false)
	f.Fuzz(func(t *testing.T, raw []byte, jobID, message, command string, show bool) {
		msg, ok := decodePushMessage(raw)
		var object map[string]json.RawMessage
		isObject := json.Unmarshal(raw, &object) == nil
		if ok && !isObject && string(bytes.TrimSpace(raw)) != "null" {
			t.Fatalf("%q is not a JSON object but decoded as %+v", raw, msg)
		}
		if !ok && isObject {
			t.Fatalf("the JSON object %q was refused", raw)
		}
		if msg.Command != "" {
			var sent string
			if json.Unmarshal(object["command"], &sent) != nil || sent != msg.Command {
				t.Fatalf("command %q was not the string sent in %q", msg.Command, raw)
			}
		}
		if msg.JobID != strings.TrimSpace(msg.JobID) || msg.Message != strings.TrimSpace(msg.Message) {
			t.Fatalf("untrimmed text: %+v", msg)
		}

		body, err := json.Marshal(map[string]any{"job_id": jobID, "message": message, "command": command, "command_show_stdout": show})
		if err != nil {
			t.Fatal(err)
		}
		var sent struct{ JobID, Message, Command string }
		if err := json.Unmarshal(body, &struct {
			JobID   *string `json:"job_id"`
			Message *string `json:"message"`
			Command *string `json:"command"`
		}{&sent.JobID, &sent.Message, &sent.Command}); err != nil {
			t.Fatal(err)
		}
		got, ok := decodePushMessage(body)
		want := pushMessage{JobID: strings.TrimSpace(sent.JobID), Message: strings.TrimSpace(sent.Message), Command: sent.Command, ShowStdout: show}
		if !ok || got != want {
			t.Fatalf("round trip of %s: got %+v, want %+v", body, got, want)
		}
	})
}

// FuzzDecodeListenEvent: any message decodes without panicking; the event is
// final exactly when its status is success or error; a final event names no
// job status, and a job status is always a documented one.
func FuzzDecodeListenEvent(f *testing.F) {
	f.Add([]byte(`{"message":"Job running","status":"running"}`), "m", "running")
	f.Add([]byte(`{"message":"Job canceled","status":"error","job_status":"canceled"}`), "", " SUCCESS ")
	f.Add([]byte(`{"status":5}`), "x", "Paused")
	f.Add([]byte(`{"status":null,"message":{"a":1}}`), "", "error")
	f.Add([]byte(`[]`), "", "cancelled")
	f.Fuzz(func(t *testing.T, raw []byte, message, status string) {
		check := func(data []byte) (ListenEvent, bool) {
			ev, ok := decodeListenEvent(data)
			if !ok {
				return ev, ok
			}
			final := strings.EqualFold(ev.Status, "success") || strings.EqualFold(ev.Status, "error")
			if ev.Final != final {
				t.Fatalf("%q: Final=%v for status %q", data, ev.Final, ev.Status)
			}
			if ev.Final && ev.JobStatus != "" {
				t.Fatalf("%q: a final event names job status %q", data, ev.JobStatus)
			}
			if ev.JobStatus != "" && !ev.JobStatus.IsKnown() {
				t.Fatalf("%q: undocumented job status %q", data, ev.JobStatus)
			}
			return ev, ok
		}
		if _, ok := check(raw); !ok {
			var object map[string]json.RawMessage
			if json.Unmarshal(raw, &object) == nil {
				t.Fatalf("the JSON object %q was refused", raw)
			}
		}
		body, err := json.Marshal(map[string]string{"message": message, "status": status})
		if err != nil {
			t.Fatal(err)
		}
		var sent struct{ Message, Status string }
		if err := json.Unmarshal(body, &sent); err != nil {
			t.Fatal(err)
		}
		ev, ok := check(body)
		if !ok || ev.Message != strings.TrimSpace(sent.Message) || ev.Status != strings.TrimSpace(sent.Status) {
			t.Fatalf("round trip of %s: got %+v", body, ev)
		}
	})
}

// FuzzParseRetryAfter: any header value yields a wait between zero and 24
// hours, and a plain number of seconds within a day is that many seconds.
func FuzzParseRetryAfter(f *testing.F) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	for _, seed := range []string{
		"0", "7", "86400", "86401", "99999999999999999999999", "-3", "1.5", "soon", "",
		" 12 ", "007", "+5",
		now.Add(90 * time.Second).Format(http.TimeFormat),
		now.Add(-time.Minute).Format(http.TimeFormat),
		"Fri, 31 Dec 9999 23:59:59 GMT", "Monday, 02-Jan-06 15:04:05 MST", "Mon Jan  2 15:04:05 2006",
	} {
		f.Add(seed, int64(0))
	}
	f.Fuzz(func(t *testing.T, value string, shift int64) {
		at := now.Add(time.Duration(shift))
		d := ParseRetryAfter(value, at)
		if d < 0 || d > 24*time.Hour {
			t.Fatalf("ParseRetryAfter(%q) = %s: want 0 ≤ d ≤ 24h", value, d)
		}
		trimmed := strings.TrimSpace(value)
		if trimmed != "" && strings.Trim(trimmed, "0123456789") == "" && len(trimmed) <= 5 {
			var seconds int64
			for _, r := range trimmed {
				seconds = seconds*10 + int64(r-'0')
			}
			if want := min(time.Duration(seconds)*time.Second, 24*time.Hour); d != want {
				t.Fatalf("ParseRetryAfter(%q) = %s, want %s", value, d, want)
			}
		}
	})
}
