package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/coder/websocket"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/clock"
)

// goodConfig has keys the docs do not name, which the engine accepts.
const goodConfig = "commands = [\"python train.py\"]\noutputs = [\"out/\"]\nunknown_key = 1\n[resources]\ngpus = 8\n"

func wsURL(srv *Server, path string) string {
	return "ws" + strings.TrimPrefix(srv.URL, "http") + path
}

// dial opens a WebSocket and sends the key message (raw when key starts
// with "{" or is not valid JSON-able).
func dial(t *testing.T, srv *Server, path string, keyMsg any) (*websocket.Conn, context.Context) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	t.Cleanup(cancel)
	c, _, err := websocket.Dial(ctx, wsURL(srv, path), nil)
	if err != nil {
		t.Fatalf("dial %s: %v", path, err)
	}
	t.Cleanup(func() { c.CloseNow() })
	send(ctx, c, keyMsg)
	return c, ctx
}

// send writes v as JSON (a string is sent as is). Errors are ignored: the
// server may already have closed, which the next read reports.
func send(ctx context.Context, c *websocket.Conn, v any) {
	b, ok := v.(string)
	if !ok {
		j, _ := json.Marshal(v)
		b = string(j)
	}
	_ = c.Write(ctx, websocket.MessageText, []byte(b))
}

func keyMsg(key string) map[string]any { return map[string]any{"TENSORPOOL_KEY": key} }

// readAll reads messages until the connection ends and returns them with
// the final error.
func readAll(ctx context.Context, c *websocket.Conn, onMsg func(map[string]any)) ([]map[string]any, error) {
	var msgs []map[string]any
	for {
		_, data, err := c.Read(ctx)
		if err != nil {
			return msgs, err
		}
		var m map[string]any
		if err := json.Unmarshal(data, &m); err != nil {
			return msgs, err
		}
		msgs = append(msgs, m)
		if onMsg != nil {
			onMsg(m)
		}
	}
}

func closeOf(t *testing.T, err error) websocket.CloseError {
	t.Helper()
	var ce websocket.CloseError
	if !errors.As(err, &ce) {
		t.Fatalf("connection ended with %v, want a close frame", err)
	}
	return ce
}

// runIn runs a command the way the CLI does, in dir, and builds the reply.
func runIn(t *testing.T, ctx context.Context, dir, command string) map[string]any {
	t.Helper()
	cmd := exec.CommandContext(ctx, "sh", "-c", command)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	code := 0
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			t.Fatalf("run %q: %v", command, err)
		}
		code = exit.ExitCode()
	}
	return map[string]any{"type": "command_result", "command": command, "exit_code": code,
		"command_stdout": stdout.String(), "command_stderr": stderr.String()}
}

func pushRequestMsg(config, system, cluster string) map[string]any {
	return map[string]any{"tp_config": config, "system": system, "cluster_id": cluster, "teardown_cluster": true}
}

func TestPushCreatesJob(t *testing.T) {
	srv, _ := start(t, func(o *Options) { o.PendingDelay = time.Minute })
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "MARKER-upload.txt"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, ctx := dial(t, srv, "/job/push", keyMsg(key2))
	send(ctx, c, pushRequestMsg(goodConfig, "Linux", "c-other"))

	var commands []string
	msgs, err := readAll(ctx, c, func(m map[string]any) {
		if cmd, _ := m["command"].(string); cmd != "" {
			commands = append(commands, cmd)
			if m["command_show_stdout"] != false {
				t.Errorf("command_show_stdout %v, want false", m["command_show_stdout"])
			}
			send(ctx, c, runIn(t, ctx, dir, cmd))
		}
	})
	ce := closeOf(t, err)
	if ce.Code != websocket.StatusNormalClosure || ce.Reason != "job accepted" {
		t.Fatalf("close %d %q, want 1000 \"job accepted\"", ce.Code, ce.Reason)
	}
	if len(msgs) != 3 || msgs[0]["message"] != "Validating configuration" || len(commands) != 1 || commands[0] != uploadCommand(nil) {
		t.Fatalf("messages %v", msgs)
	}
	id, _ := msgs[2]["job_id"].(string)
	if id == "" || msgs[2]["message"] != "Job submitted" {
		t.Fatalf("last message %v, want job_id and Job submitted", msgs[2])
	}

	s, ok := srv.Engine.Job(id)
	if !ok {
		t.Fatalf("job %s was not created", id)
	}
	// The command ran in the upload directory: its listing names the marker
	// and pwd printed the directory.
	realDir, _ := filepath.EvalSymlinks(dir)
	first, paths := listing(s.UploadListing)
	if (first != dir && first != realDir) || !slices.Equal(paths, []string{"MARKER-upload.txt"}) {
		t.Errorf("upload_listing %q, want %s then MARKER-upload.txt", s.UploadListing, dir)
	}
	if s.Owner != "user-2" || s.ClusterID != "c-other" || s.Status != "pending" || s.TPConfig != goodConfig ||
		s.System != "Linux" || !s.TeardownCluster {
		t.Errorf("job %+v", s)
	}
	if got := srv.Engine.Stats()["WS /job/push"]; got != 1 {
		t.Errorf("WS /job/push counted %d, want 1", got)
	}
}

// pushFrom pushes config as key1 to c-local, running the engine's commands
// in dir, and returns the new job.
func pushFrom(t *testing.T, srv *Server, dir, config string) JobSnapshot {
	t.Helper()
	c, ctx := dial(t, srv, "/job/push", keyMsg(key1))
	send(ctx, c, pushRequestMsg(config, "Linux", "c-local"))
	id := ""
	_, err := readAll(ctx, c, func(m map[string]any) {
		if cmd, _ := m["command"].(string); cmd != "" {
			send(ctx, c, runIn(t, ctx, dir, cmd))
		}
		if s, _ := m["job_id"].(string); s != "" {
			id = s
		}
	})
	if ce := closeOf(t, err); ce.Code != websocket.StatusNormalClosure {
		t.Fatalf("push closed %d %q", ce.Code, ce.Reason)
	}
	job, ok := srv.Engine.Job(id)
	if !ok {
		t.Fatalf("push accepted but job %q does not exist", id)
	}
	return job
}

// The upload ships the directory minus the config's ignore patterns. [DOC]
// ignore lists paths/globs not uploaded; [INF] matched as rsync --exclude.
func TestPushUploadSkipsIgnoredPaths(t *testing.T) {
	srv, _ := start(t, nil)
	dir := t.TempDir()
	for _, p := range []string{"train.py", "terraform.tfstate", ".terraform/providers/x", "data/big.bin", "sub/keep.txt"} {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	config := "commands = [\"python train.py\"]\nignore = [\"*.tfstate\", \".terraform/\", \"data\", \"'; touch pwned #\"]\n"
	job := pushFrom(t, srv, dir, config)

	first, paths := listing(job.UploadListing)
	if resolved, _ := filepath.EvalSymlinks(dir); first != dir && first != resolved {
		t.Errorf("listing starts %q, want the upload directory %s", first, dir)
	}
	if want := []string{"sub", "sub/keep.txt", "train.py"}; !slices.Equal(paths, want) {
		t.Errorf("uploaded %q, want %q", paths, want)
	}
	if _, err := os.Lstat(filepath.Join(dir, "pwned")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("an ignore pattern ran as a command (pwned: %v)", err)
	}
}

func TestPushRefused(t *testing.T) {
	long := strings.Repeat("é", 300)
	tests := []struct {
		name    string
		key     any
		request any
		reply   func(cmd string) any // nil: run nothing
		code    websocket.StatusCode
		reason  string // prefix
		contain string
	}{
		{name: "bad key", key: keyMsg("nope"), code: 1008, reason: "invalid API key"},
		{name: "empty key", key: keyMsg(""), code: 1008, reason: "invalid API key"},
		{name: "key not JSON", key: "hello", code: 1008, reason: "invalid API key"},
		{name: "request not JSON", request: "{", code: 1007, reason: "invalid job request"},
		{name: "invalid TOML", request: pushRequestMsg("commands = [\n", "Linux", "c-local"), code: 1007,
			reason: "invalid tp_config: line 1"},
		{name: "empty commands", request: pushRequestMsg("commands = []", "Linux", "c-local"), code: 1007,
			reason: "invalid tp_config: commands is empty"},
		{name: "missing commands", request: pushRequestMsg("outputs = []", "Linux", "c-local"), code: 1007,
			reason: "invalid tp_config: no commands"},
		{name: "commands not an array", request: pushRequestMsg(`commands = "python train.py"`, "Linux", "c-local"), code: 1007,
			reason: "invalid tp_config: commands must be an array of strings"},
		{name: "command not a string", request: pushRequestMsg(`commands = ["a", 2]`, "Linux", "c-local"), code: 1007,
			reason: "invalid tp_config: commands[1] must be a string"},
		{name: "outputs not an array", request: pushRequestMsg("commands = [\"a\"]\noutputs = \"out/\"", "Linux", "c-local"), code: 1007,
			reason: "invalid tp_config: outputs must be an array of strings"},
		{name: "ignore not strings", request: pushRequestMsg("commands = [\"a\"]\nignore = [[\"x\"]]", "Linux", "c-local"), code: 1007,
			reason: "invalid tp_config: ignore[0] must be a string"},
		{name: "ignore with NUL", request: pushRequestMsg("commands = [\"a\"]\nignore = [\"ok\", \"a\\u0000b\"]", "Linux", "c-local"), code: 1007,
			reason: "invalid tp_config: ignore[1] contains a NUL character"},
		{name: "missing tp_config", request: map[string]any{"system": "Linux", "cluster_id": "c-local"}, code: 1007,
			reason: "invalid tp_config: tp_config is missing"},
		{name: "long invalid TOML", request: pushRequestMsg("commands = [\""+long+"\"\n", "Linux", "c-local"), code: 1007,
			reason: "invalid tp_config"},
		{name: "unknown cluster", request: pushRequestMsg(goodConfig, "Linux", "c-x"), code: 1007, reason: `unknown cluster "c-x"`},
		{name: "missing cluster", request: map[string]any{"tp_config": goodConfig, "system": "Linux"}, code: 1007, reason: "cluster_id is missing"},
		{name: "bad system", request: pushRequestMsg(goodConfig, "Plan9", "c-local"), code: 1007, reason: `invalid system "Plan9"`},
		{name: "failing command", request: pushRequestMsg(goodConfig, "Darwin", "c-local"),
			reply: func(cmd string) any {
				return map[string]any{"type": "command_result", "command": cmd, "exit_code": 2, "command_stdout": "",
					"command_stderr": "rsync: connection refused\n" + long}
			},
			code: 1011, reason: "upload command failed with exit code 2: rsync: connection refused"},
		{name: "mismatched command", request: pushRequestMsg(goodConfig, "Windows", "c-local"),
			reply: func(string) any {
				return map[string]any{"type": "command_result", "command": "rm -rf /", "exit_code": 0}
			},
			code: 1011, reason: "command_result is for", contain: "rm -rf"},
		{name: "malformed result", request: pushRequestMsg(goodConfig, "Linux", "c-local"),
			reply: func(cmd string) any { return map[string]any{"type": "other", "command": cmd} },
			code:  1007, reason: "invalid command_result"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := start(t, nil)
			key := tt.key
			if key == nil {
				key = keyMsg(key1)
			}
			c, ctx := dial(t, srv, "/job/push", key)
			if tt.request != nil {
				send(ctx, c, tt.request)
			} else {
				send(ctx, c, pushRequestMsg(goodConfig, "Linux", "c-local"))
			}
			_, err := readAll(ctx, c, func(m map[string]any) {
				if cmd, _ := m["command"].(string); cmd != "" && tt.reply != nil {
					send(ctx, c, tt.reply(cmd))
				}
				if _, has := m["job_id"]; has {
					t.Errorf("got a job_id on a refused push: %v", m)
				}
			})
			ce := closeOf(t, err)
			if ce.Code != tt.code || !strings.HasPrefix(ce.Reason, tt.reason) || !strings.Contains(ce.Reason, tt.contain) {
				t.Errorf("close %d %q, want %d starting %q", ce.Code, ce.Reason, tt.code, tt.reason)
			}
			if len(ce.Reason) > 123 || !utf8.ValidString(ce.Reason) {
				t.Errorf("close reason is %d bytes or invalid UTF-8: %q", len(ce.Reason), ce.Reason)
			}
			if jobs := srv.Engine.Jobs(); len(jobs) != 0 {
				t.Errorf("a refused push created %d job(s)", len(jobs))
			}
		})
	}
}

func TestPushDropAfterJobID(t *testing.T) {
	srv, _ := start(t, func(o *Options) { o.DropPushAfterJobID = true })
	c, ctx := dial(t, srv, "/job/push", keyMsg(key1))
	send(ctx, c, pushRequestMsg(goodConfig, "Linux", "c-local"))
	msgs, err := readAll(ctx, c, func(m map[string]any) {
		if cmd, _ := m["command"].(string); cmd != "" {
			send(ctx, c, runIn(t, ctx, t.TempDir(), cmd))
		}
	})
	var ce websocket.CloseError
	if errors.As(err, &ce) || websocket.CloseStatus(err) != -1 || err == nil {
		t.Fatalf("connection ended with %v; want an abnormal closure with no close frame", err)
	}
	if len(msgs) == 0 {
		t.Fatal("no messages")
	}
	id, _ := msgs[len(msgs)-1]["job_id"].(string)
	if _, ok := srv.Engine.Job(id); id == "" || !ok {
		t.Fatalf("job %q does not exist after the drop (messages %v)", id, msgs)
	}
}

func TestPushTimesOutASilentClient(t *testing.T) {
	srv, _ := start(t, func(o *Options) { o.MessageTimeout = 200 * time.Millisecond })
	c, ctx := dial(t, srv, "/job/push", keyMsg(key1))
	// Never send the request.
	_, err := readAll(ctx, c, nil)
	ce := closeOf(t, err)
	if ce.Code != 1008 || ce.Reason != "timed out waiting for the job request" {
		t.Errorf("close %d %q", ce.Code, ce.Reason)
	}
}

// listenNext reads one listen message.
// listenNext returns the stream's next status message, skipping the job's
// output lines (status messages are the engine's own "Job …" texts).
func listenNext(t *testing.T, ctx context.Context, c *websocket.Conn) map[string]any {
	t.Helper()
	for {
		m := listenRaw(t, ctx, c)
		if msg, _ := m["message"].(string); strings.HasPrefix(msg, "Job ") {
			return m
		}
	}
}

// listenRaw returns the stream's next message, whatever it is.
func listenRaw(t *testing.T, ctx context.Context, c *websocket.Conn) map[string]any {
	t.Helper()
	_, data, err := c.Read(ctx)
	if err != nil {
		t.Fatalf("listen read: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(data, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// waitTimer waits until the code under test waits on a timer.
func waitTimer(t *testing.T, ctx context.Context, ch <-chan struct{}) {
	t.Helper()
	select {
	case <-ch:
	case <-ctx.Done():
		t.Fatal("no timer was created")
	}
}

func TestListenStreamsToTerminal(t *testing.T) {
	for _, tt := range []struct {
		outcome, result string
	}{{"completed", "success"}, {"error", "error"}, {"failed", "error"}} {
		t.Run(tt.outcome, func(t *testing.T) {
			srv, fc := start(t, func(o *Options) {
				o.PendingDelay, o.RunDuration, o.Outcome = 10*time.Second, 20*time.Second, tt.outcome
			})
			id := addJob(t, srv.Engine, key1)
			timer := fc.TimerCreated()
			c, ctx := dial(t, srv, "/job/listen/"+id, keyMsg(key1))
			// [CLI] Only "message" and "status": no field the docs do not name.
			if m := listenNext(t, ctx, c); m["status"] != "pending" || m["message"] == "" || len(m) != 2 {
				t.Fatalf("first message %v, want exactly a message and status pending", m)
			}
			waitTimer(t, ctx, timer) // the stream now waits for t+10s
			timer = fc.TimerCreated()
			fc.Advance(10 * time.Second)
			if m := listenNext(t, ctx, c); m["status"] != "running" || len(m) != 2 {
				t.Fatalf("second message %v", m)
			}
			waitTimer(t, ctx, timer)
			fc.Advance(20*time.Second - time.Nanosecond) // not yet
			fc.Advance(time.Nanosecond)
			m := listenNext(t, ctx, c)
			if m["status"] != tt.result || m["message"] != "Job "+tt.outcome || len(m) != 2 {
				t.Fatalf("final message %v, want exactly message %q and status %q", m, "Job "+tt.outcome, tt.result)
			}
			_, _, err := c.Read(ctx)
			if ce := closeOf(t, err); ce.Code != 1000 {
				t.Errorf("close %d %q, want 1000", ce.Code, ce.Reason)
			}
			if got := srv.Engine.Stats()["WS /job/listen"]; got != 1 {
				t.Errorf("WS /job/listen counted %d", got)
			}
		})
	}
}

func TestListenWakesOnChanges(t *testing.T) {
	srv, fc := start(t, func(o *Options) { o.CancelLatency = 5 * time.Second })
	e := srv.Engine
	id := addJob(t, e, key1) // runs at once, forever: no timer to wait on
	c, ctx := dial(t, srv, "/job/listen/"+id, keyMsg(key1))
	if m := listenNext(t, ctx, c); m["status"] != "running" {
		t.Fatalf("first message %v", m)
	}
	// A forced status arrives with no clock movement.
	if err := e.SetStatus(id, "paused"); err != nil {
		t.Fatal(err)
	}
	if m := listenNext(t, ctx, c); m["status"] != "paused" {
		t.Fatalf("after forcing: %v", m)
	}
	// So does a cancel.
	timer := fc.TimerCreated()
	do(t, "POST", srv.URL+"/job/cancel/"+id, key1, "").expect(t, 202, nil)
	if m := listenNext(t, ctx, c); m["status"] != "canceling" {
		t.Fatalf("after cancel: %v", m)
	}
	waitTimer(t, ctx, timer)
	fc.Advance(5 * time.Second)
	if m := listenNext(t, ctx, c); m["status"] != "error" || m["message"] != "Job canceled" || len(m) != 2 {
		t.Fatalf("final: %v, want exactly message \"Job canceled\" and status error", m)
	}

	// A removal ends a stream with "job not found".
	id2 := addJob(t, e, key1)
	c2, ctx2 := dial(t, srv, "/job/listen/"+id2, keyMsg(key1))
	listenNext(t, ctx2, c2)
	if err := e.Remove(id2); err != nil {
		t.Fatal(err)
	}
	_, err := readAll(ctx2, c2, nil)
	if ce := closeOf(t, err); ce.Code != 1008 || ce.Reason != "job not found" {
		t.Errorf("close %d %q after removal", ce.Code, ce.Reason)
	}
}

func TestListenRefused(t *testing.T) {
	srv, _ := start(t, nil)
	id := addJob(t, srv.Engine, key1)
	for _, tt := range []struct {
		name, path string
		key        any
		reason     string
	}{
		{"bad key", "/job/listen/" + id, keyMsg("nope"), "invalid API key"},
		{"other user", "/job/listen/" + id, keyMsg(key2), "access denied"},
		{"unknown job", "/job/listen/job-0000000000000000", keyMsg(key1), "job not found"},
		{"invalid id", "/job/listen/-x", keyMsg(key1), "invalid job ID format"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c, ctx := dial(t, srv, tt.path, tt.key)
			msgs, err := readAll(ctx, c, nil)
			if ce := closeOf(t, err); ce.Code != 1008 || ce.Reason != tt.reason || len(msgs) != 0 {
				t.Errorf("close %d %q after %v, want 1008 %q", ce.Code, ce.Reason, msgs, tt.reason)
			}
		})
	}
}

func TestEngineCloseEndsListen(t *testing.T) {
	srv, _ := start(t, nil)
	id := addJob(t, srv.Engine, key1)
	c, ctx := dial(t, srv, "/job/listen/"+id, keyMsg(key1))
	listenNext(t, ctx, c)
	srv.Engine.Close()
	_, err := readAll(ctx, c, nil)
	if ce := closeOf(t, err); ce.Code != websocket.StatusGoingAway {
		t.Errorf("close %d %q, want 1001", ce.Code, ce.Reason)
	}
}

// The fake clock must be the only time source of the stream: with a real
// clock the same code runs (smoke test on tiny real delays).
func TestListenRealClock(t *testing.T) {
	fc := clock.Real{}
	srv, err := Start(Options{APIKeys: []string{key1}, Clock: fc, PendingDelay: 20 * time.Millisecond, RunDuration: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	id := addJob(t, srv.Engine, key1)
	c, ctx := dial(t, srv, "/job/listen/"+id, keyMsg(key1))
	msgs, err := readAll(ctx, c, nil)
	if ce := closeOf(t, err); ce.Code != 1000 || len(msgs) == 0 || msgs[len(msgs)-1]["status"] != "success" {
		t.Errorf("close %v, messages %v", ce, msgs)
	}
}

// TestListenStreamsTheJobsOutput: [INF] the job's output lines come as
// messages, in order, before the final message, and a client that connects
// after the job ended gets them all again.
func TestListenStreamsTheJobsOutput(t *testing.T) {
	srv, fc := start(t, func(o *Options) { o.RunDuration, o.Outcome = time.Second, StatusError })
	id := addJob(t, srv.Engine, key1)
	fc.Advance(time.Second) // the job has failed
	want := jobOutput("", StatusError)
	if len(want) < 50 || want[len(want)-1] != "RuntimeError: CUDA out of memory (simulated)" {
		t.Fatalf("the simulated output of a failing job is %d lines ending %q", len(want), want[len(want)-1])
	}
	c, ctx := dial(t, srv, "/job/listen/"+id, keyMsg(key1))
	for i, line := range want {
		if m := listenRaw(t, ctx, c); m["message"] != line || m["status"] != StatusRunning || len(m) != 2 {
			t.Fatalf("message %d is %v, want exactly {message: %q, status: running}", i, m, line)
		}
	}
	if m := listenRaw(t, ctx, c); m["message"] != "Job error" || m["status"] != "error" {
		t.Fatalf("after the output: %v, want the final message", m)
	}
}
