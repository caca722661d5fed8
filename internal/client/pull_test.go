package client

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
)

const presigned = "https://bucket.example/job-1/model.pt?X-Amz-Signature=s3cr3t"

func TestPullJobAsksForADryRunAndListsFilesSorted(t *testing.T) {
	body := `{"message":"Found 3 files","download_map":{"model.pt":"` + presigned + `","logs/":null,"a.txt":"https://bucket.example/a.txt?sig=1"},` +
		`"command":null,"command_show_stdout":null,"extra":{"x":1}}`
	c, rec := newTestClient(t, jsonReply(200, body))
	got, err := c.PullJob(context.Background(), "job-1")
	if err != nil {
		t.Fatal(err)
	}
	r := rec.requests[0]
	if r.Method != http.MethodGet || r.URL.Path != "/job/pull/job-1" {
		t.Errorf("request %s %s, want GET /job/pull/job-1", r.Method, r.URL.Path)
	}
	if q := r.URL.Query(); q.Get("system") != "linux" || q.Get("dry_run") != "true" || len(q) != 2 {
		t.Errorf("query %q, want system=linux&dry_run=true", r.URL.RawQuery)
	}
	want := []PulledFile{{Path: "a.txt", URL: "https://bucket.example/a.txt?sig=1"}, {Path: "logs/"}, {Path: "model.pt", URL: presigned}}
	if len(got.Files) != len(want) {
		t.Fatalf("files %+v, want %+v", got.Files, want)
	}
	for i := range want {
		if got.Files[i] != want[i] {
			t.Errorf("file %d = %+v, want %+v", i, got.Files[i], want[i])
		}
	}
	if got.Message != "Found 3 files" || got.Command != "" {
		t.Errorf("message %q, command %q", got.Message, got.Command)
	}
}

// The query survives a retry, and the client's other requests carry none.
func TestPullJobRetriesWithItsQueryAndLeavesOtherRequestsAlone(t *testing.T) {
	c, rec := newTestClient(t,
		jsonReply(503, `{"message":"busy"}`, "Retry-After", "0"),
		jsonReply(200, `{"message":"ok","download_map":{}}`),
		jsonReply(200, `{"job_info":{"status":"completed"}}`))
	if _, err := c.PullJob(context.Background(), "job-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetJob(context.Background(), "job-1"); err != nil {
		t.Fatal(err)
	}
	if rec.count() != 3 {
		t.Fatalf("%d requests, want 3", rec.count())
	}
	for i, r := range rec.requests[:2] {
		if r.URL.Query().Get("dry_run") != "true" {
			t.Errorf("pull attempt %d query %q", i+1, r.URL.RawQuery)
		}
	}
	if q := rec.requests[2].URL.RawQuery; q != "" {
		t.Errorf("GET /job/info after a pull sent query %q", q)
	}
}

func TestPullJobLiveJobAndEmptyAnswers(t *testing.T) {
	for name, body := range map[string]string{
		"null map":   `{"message":"m","download_map":null,"command":"rsync -avz x ./y"}`,
		"absent map": `{"message":"m","command":"rsync -avz x ./y"}`,
	} {
		t.Run(name, func(t *testing.T) {
			got, err := DecodePull([]byte(body))
			if err != nil {
				t.Fatal(err)
			}
			if got.Files == nil || len(got.Files) != 0 || got.Command != "rsync -avz x ./y" {
				t.Errorf("got %+v, want no files (not nil) and the command", got)
			}
		})
	}
	// A command of an unexpected type does not hide the files.
	got, err := DecodePull([]byte(`{"download_map":{"a":"u"},"command":{"argv":["rsync"]}}`))
	if err != nil || len(got.Files) != 1 || got.Command != "" {
		t.Errorf("got %+v, %v", got, err)
	}
}

// Bodies that cannot be a download map are refused, and no error repeats a
// URL: they are credentials.
func TestPullJobRefusesBadShapesWithoutLeakingURLs(t *testing.T) {
	for name, body := range map[string]string{
		"not json":         `<html>` + presigned + `</html>`,
		"map is a list":    `{"download_map":["` + presigned + `"]}`,
		"entry is number":  `{"download_map":{"model.pt":"` + presigned + `","bad":3}}`,
		"entry is object":  `{"download_map":{"bad":{"url":"` + presigned + `"}}}`,
		"body is an array": `["` + presigned + `"]`,
	} {
		t.Run(name, func(t *testing.T) {
			c, _ := newTestClient(t, jsonReply(200, body))
			_, err := c.PullJob(context.Background(), "job-1")
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("err = %v, want a *DecodeError", err)
			}
			if strings.Contains(err.Error(), "s3cr3t") || strings.Contains(err.Error(), "bucket.example") {
				t.Errorf("error leaks a URL: %v", err)
			}
		})
	}
}

func TestPullJobErrorsAndLogs(t *testing.T) {
	logger := &captureLogger{}
	c, _ := newTestClientWith(t, Config{RetryPolicy: fastPolicy, Logger: logger},
		jsonReply(200, `{"download_map":{"model.pt":"`+presigned+`"}}`),
		jsonReply(404, `{"message":"Job not found"}`))
	if _, err := c.PullJob(context.Background(), "job-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.PullJob(context.Background(), "job-2"); !IsNotFound(err) {
		t.Errorf("err = %v, want a 404", err)
	}
	if len(logger.lines) != 2 {
		t.Fatalf("log lines %q, want one per request", logger.lines)
	}
	for _, line := range logger.lines {
		if strings.Contains(line, "s3cr3t") || strings.Contains(line, "bucket.example") {
			t.Errorf("log line leaks a download URL: %s", line)
		}
	}
	if _, err := c.PullJob(context.Background(), "../job"); err == nil {
		t.Error("an invalid id was sent")
	}
}
