package client

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// TestListenReadsOnlyTheDocumentedFields: the stream's messages are
// {"message", "status"}, the last one with status success or error. A
// job_status field, which no engine documents, is ignored; what cannot be
// read is skipped.
func TestListenReadsOnlyTheDocumentedFields(t *testing.T) {
	messages := []string{
		`{"message":"Job running","status":"running"}`,
		`not json`,
		`{"message":"odd","status":5}`,
		`{"status":"Paused","job_status":"canceled"}`,
		`{"message":"Job canceled","status":"error","job_status":"canceled"}`,
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/job/listen/job-1" {
			http.NotFound(w, r)
			return
		}
		conn, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer conn.CloseNow()
		if _, key, err := conn.Read(r.Context()); err != nil || !strings.Contains(string(key), testKey) {
			return
		}
		for _, m := range messages {
			if conn.Write(r.Context(), websocket.MessageText, []byte(m)) != nil {
				return
			}
		}
		_ = conn.Close(websocket.StatusNormalClosure, "")
	}))
	t.Cleanup(srv.Close)
	c, err := New(Config{BaseURL: srv.URL, APIKey: testKey})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	l, err := c.ListenJob(ctx, "job-1")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	want := []ListenEvent{
		{Message: "Job running", Status: "running", JobStatus: StatusRunning},
		{Message: "odd", Status: "5"},
		{Status: "Paused"},
		{Message: "Job canceled", Status: "error", Final: true},
	}
	for i, w := range want {
		ev, err := l.Next(ctx)
		if err != nil || ev != w {
			t.Fatalf("event %d = %+v, %v; want %+v", i, ev, err, w)
		}
	}
	if _, err := l.Next(ctx); !errors.Is(err, ErrStreamClosed) {
		t.Errorf("after the last event: %v", err)
	}
}

func TestDecodePushMessageReadsEachFieldOnItsOwn(t *testing.T) {
	cases := map[string]pushMessage{
		`{"job_id":"job-1","message":" Job submitted "}`: {JobID: "job-1", Message: "Job submitted"},
		`{"job_id":42}`: {JobID: "42"},
		`{"command":"rsync -a . host:","command_show_stdout":true}`:        {Command: "rsync -a . host:", ShowStdout: true},
		`{"command":null,"command_show_stdout":null,"message":"hi"}`:       {Message: "hi"},
		`{"command":5,"message":"text survives a bad command"}`:            {Message: "text survives a bad command"},
		`{"command":["rm","-rf"],"job_id":"job-2"}`:                        {JobID: "job-2"},
		`{"job_id":{"nested":1},"command_show_stdout":"yes","command":""}`: {},
		`{"Command":"rm -rf ~","JOB_ID":"job-3"}`:                          {},
	}
	for body, want := range cases {
		got, ok := decodePushMessage([]byte(body))
		if !ok || got != want {
			t.Errorf("%s: got %+v (ok=%v), want %+v", body, got, ok, want)
		}
	}
	for _, body := range []string{`not json`, `[1]`, `"text"`, ``} {
		if _, ok := decodePushMessage([]byte(body)); ok {
			t.Errorf("%q decoded as a message", body)
		}
	}
}
