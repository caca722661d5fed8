package client

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
)

// pushServer runs script for each /job/push connection after checking the
// key message, and records what the client sent.
type pushServer struct {
	mu       sync.Mutex
	received []map[string]any
	script   func(ctx context.Context, conn *websocket.Conn, s *pushServer)
}

func (s *pushServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/job/push" {
		http.NotFound(w, r)
		return
	}
	conn, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	defer conn.CloseNow()
	s.script(r.Context(), conn, s)
}

func (s *pushServer) read(ctx context.Context, conn *websocket.Conn) map[string]any {
	var m map[string]any
	if err := wsjson.Read(ctx, conn, &m); err != nil {
		return nil
	}
	s.mu.Lock()
	s.received = append(s.received, m)
	s.mu.Unlock()
	return m
}

func newPushClient(t *testing.T, script func(ctx context.Context, conn *websocket.Conn, s *pushServer)) (*Client, *pushServer) {
	t.Helper()
	s := &pushServer{script: script}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	c, err := New(Config{BaseURL: srv.URL, APIKey: testKey})
	if err != nil {
		t.Fatal(err)
	}
	return c, s
}

// standardOpening reads the key and submission messages.
func standardOpening(ctx context.Context, conn *websocket.Conn, s *pushServer) bool {
	if key := s.read(ctx, conn); key == nil {
		return false
	}
	submission := s.read(ctx, conn)
	return submission != nil
}

func TestPushHappyPathRunsCommandsInTheDirectory(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "marker-file.txt"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, s := newPushClient(t, func(ctx context.Context, conn *websocket.Conn, s *pushServer) {
		if !standardOpening(ctx, conn, s) {
			return
		}
		_ = wsjson.Write(ctx, conn, map[string]any{"message": "Validating"})
		_ = wsjson.Write(ctx, conn, map[string]any{"command": "ls -A", "command_show_stdout": false})
		if s.read(ctx, conn) == nil {
			return
		}
		_ = wsjson.Write(ctx, conn, map[string]any{"command": "exit 3"})
		if s.read(ctx, conn) == nil {
			return
		}
		_ = wsjson.Write(ctx, conn, map[string]any{"job_id": "job-77", "message": "Job submitted"})
		_ = wsjson.Write(ctx, conn, map[string]any{"job_id": "job-other"})
		_ = conn.Close(websocket.StatusNormalClosure, "job accepted")
	})
	var progress []string
	res, err := c.PushJob(context.Background(), PushRequest{Config: "commands = ['x']", ClusterID: "c-1", TeardownCluster: true, Dir: dir, System: "Linux",
		OnMessage: func(m string) { progress = append(progress, m) }})
	if err != nil {
		t.Fatal(err)
	}
	if res.JobID != "job-77" {
		t.Errorf("JobID = %q: the first job_id seen is the job's", res.JobID)
	}
	if strings.Join(progress, "|") != "Validating|Job submitted" {
		t.Errorf("progress = %v", progress)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.received) != 4 {
		t.Fatalf("server received %d messages: %v", len(s.received), s.received)
	}
	if s.received[0]["TENSORPOOL_KEY"] != testKey || len(s.received[0]) != 1 {
		t.Errorf("first message must be the key alone: %v", s.received[0])
	}
	sub := s.received[1]
	if sub["tp_config"] != "commands = ['x']" || sub["cluster_id"] != "c-1" || sub["teardown_cluster"] != true || sub["system"] != "Linux" {
		t.Errorf("submission = %v", sub)
	}
	ls := s.received[2]
	lsStdout, _ := ls["command_stdout"].(string)
	if ls["type"] != "command_result" || ls["command"] != "ls -A" || ls["exit_code"] != float64(0) || !strings.Contains(lsStdout, "marker-file.txt") {
		t.Errorf("ls result = %v", ls)
	}
	if failed := s.received[3]; failed["exit_code"] != float64(3) {
		t.Errorf("exit code not reported: %v", failed)
	}
}

func TestPushRejectedWithReason(t *testing.T) {
	c, _ := newPushClient(t, func(ctx context.Context, conn *websocket.Conn, s *pushServer) {
		standardOpening(ctx, conn, s)
		_ = conn.Close(websocket.StatusInvalidFramePayloadData, `unknown cluster "c-x"`)
	})
	res, err := c.PushJob(context.Background(), PushRequest{Config: "x", ClusterID: "c-x", Dir: t.TempDir()})
	var pushErr *PushError
	if !errors.As(err, &pushErr) || pushErr.Lost || pushErr.CloseCode != 1007 || pushErr.JobID != "" {
		t.Fatalf("err = %#v", err)
	}
	if !strings.Contains(err.Error(), `unknown cluster "c-x"`) || res.JobID != "" {
		t.Errorf("error must quote the reason: %v", err)
	}
}

func TestPushLostBeforeJobID(t *testing.T) {
	c, _ := newPushClient(t, func(ctx context.Context, conn *websocket.Conn, s *pushServer) {
		standardOpening(ctx, conn, s)
		_ = wsjson.Write(ctx, conn, map[string]any{"message": "uploading"})
		// CloseNow drops the connection without a close frame.
	})
	_, err := c.PushJob(context.Background(), PushRequest{Config: "x", ClusterID: "c", Dir: t.TempDir()})
	var pushErr *PushError
	if !errors.As(err, &pushErr) || !pushErr.Lost || pushErr.JobID != "" {
		t.Fatalf("err = %#v", err)
	}
}

func TestPushLostAfterJobIDReturnsTheID(t *testing.T) {
	c, _ := newPushClient(t, func(ctx context.Context, conn *websocket.Conn, s *pushServer) {
		standardOpening(ctx, conn, s)
		_ = wsjson.Write(ctx, conn, map[string]any{"job_id": "job-88"})
	})
	res, err := c.PushJob(context.Background(), PushRequest{Config: "x", ClusterID: "c", Dir: t.TempDir()})
	var pushErr *PushError
	if !errors.As(err, &pushErr) || !pushErr.Lost || pushErr.JobID != "job-88" || res == nil || res.JobID != "job-88" {
		t.Fatalf("res=%+v err=%#v", res, err)
	}
	if !strings.Contains(err.Error(), "job-88") {
		t.Errorf("error must name the job: %v", err)
	}
}

func TestPushNormalCloseWithoutJobIDIsAnError(t *testing.T) {
	c, _ := newPushClient(t, func(ctx context.Context, conn *websocket.Conn, s *pushServer) {
		standardOpening(ctx, conn, s)
		_ = conn.Close(websocket.StatusNormalClosure, "")
	})
	if _, err := c.PushJob(context.Background(), PushRequest{Config: "x", ClusterID: "c", Dir: t.TempDir()}); err == nil {
		t.Fatal("a push without a job id must not succeed")
	}
}

func TestPushIsNeverRetried(t *testing.T) {
	var mu sync.Mutex
	connections := 0
	c, _ := newPushClient(t, func(ctx context.Context, conn *websocket.Conn, s *pushServer) {
		mu.Lock()
		connections++
		mu.Unlock()
		standardOpening(ctx, conn, s)
	})
	_, _ = c.PushJob(context.Background(), PushRequest{Config: "x", ClusterID: "c", Dir: t.TempDir()})
	mu.Lock()
	defer mu.Unlock()
	if connections != 1 {
		t.Errorf("push opened %d connections, want exactly 1", connections)
	}
}

func TestPushToClosedPortFails(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	c, err := New(Config{BaseURL: url, APIKey: testKey})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.PushJob(context.Background(), PushRequest{Config: "x", ClusterID: "c"})
	var pushErr *PushError
	if !errors.As(err, &pushErr) || pushErr.JobID != "" || strings.Contains(err.Error(), testKey) {
		t.Fatalf("err = %v", err)
	}
}

func TestPushIgnoresNonJSONMessages(t *testing.T) {
	c, _ := newPushClient(t, func(ctx context.Context, conn *websocket.Conn, s *pushServer) {
		standardOpening(ctx, conn, s)
		_ = conn.Write(ctx, websocket.MessageText, []byte("not json"))
		b, _ := json.Marshal(map[string]any{"job_id": 42})
		_ = conn.Write(ctx, websocket.MessageText, b)
		_ = conn.Close(websocket.StatusNormalClosure, "ok")
	})
	res, err := c.PushJob(context.Background(), PushRequest{Config: "x", ClusterID: "c", Dir: t.TempDir()})
	if err != nil || res.JobID != "42" {
		t.Fatalf("res=%+v err=%v", res, err)
	}
}
