package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

const secretKey = "tp-cmd-test-SECRET-key"

// syncBuffer collects stderr while the process runs.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestBinaryServesAndStopsOnSIGINT(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "tensorpool-sim")
	build := exec.CommandContext(t.Context(), "go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "-listen", "127.0.0.1:0", "-api-key", secretKey, "-api-key", "second-key",
		"-cluster", "c-a", "-cluster", "c-b", "-pending", "0s", "-info-retry-after", "3s")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr syncBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill() }()

	// The ENGINE line is the first line, available before any request.
	lines := bufio.NewReader(stdout)
	first, err := lines.ReadString('\n')
	if err != nil {
		t.Fatalf("reading the first stdout line: %v (stderr: %s)", err, stderr.String())
	}
	base, ok := strings.CutPrefix(strings.TrimSpace(first), "TENSORPOOL_ENGINE=http://127.0.0.1:")
	if !ok || base == "" || base == "0" {
		t.Fatalf("first line %q, want TENSORPOOL_ENGINE=http://127.0.0.1:PORT", first)
	}
	url := strings.TrimPrefix(strings.TrimSpace(first), "TENSORPOOL_ENGINE=")

	get := func(path, key string) (int, string) {
		req, _ := http.NewRequestWithContext(ctx, "GET", url+path, nil)
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get("/healthz", ""); code != 200 || !strings.Contains(body, `"ok"`) {
		t.Fatalf("/healthz: %d %s", code, body)
	}
	if code, body := get("/user/info", "second-key"); code != 200 || !strings.Contains(body, "user-2") {
		t.Fatalf("/user/info with the second key: %d %s", code, body)
	}
	if code, _ := get("/user/info", secretKey+"-wrong"); code != 401 {
		t.Fatalf("wrong key: %d", code)
	}
	// The flags reached the engine: both clusters exist, pending is 0.
	req, _ := http.NewRequestWithContext(ctx, "POST", url+"/_sim/faults", strings.NewReader(`{"fail_next":0}`))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("POST /_sim/faults: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("POST /_sim/faults: %v", resp.Status)
	}
	code, body := get("/_sim/stats", "")
	var stats struct{ Requests map[string]int }
	if code != 200 || json.Unmarshal([]byte(body), &stats) != nil || stats.Requests["GET /user/info"] != 2 {
		t.Errorf("stats: %d %s", code, body)
	}

	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	rest, _ := io.ReadAll(lines)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGINT: %v (stderr: %s)", err, stderr.String())
	}
	if len(bytes.TrimSpace(rest)) != 0 {
		t.Errorf("stdout has more than the ENGINE line: %q", rest)
	}
	log := stderr.String()
	for _, want := range []string{"GET /user/info 200", "GET /user/info 401", "GET /healthz 200", "shutting down", "user-1"} {
		if !strings.Contains(log, want) {
			t.Errorf("stderr lacks %q:\n%s", want, log)
		}
	}
	if strings.Contains(log, secretKey) || strings.Contains(log, "second-key") {
		t.Errorf("stderr exposes an API key:\n%s", log)
	}
}

func TestRefusesRemoteListen(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", ":0", "192.0.2.1:8080", "example.com:80", "[::]:0"} {
		var stderr bytes.Buffer
		code := run(context.Background(), []string{"-listen", addr}, io.Discard, &stderr)
		if code != 2 || !strings.Contains(stderr.String(), "-allow-remote") {
			t.Errorf("-listen %s: exit %d, stderr %q; want 2 mentioning -allow-remote", addr, code, stderr.String())
		}
	}
	for _, addr := range []string{"127.0.0.1:0", "localhost:0", "[::1]:0", "127.1.2.3:9"} {
		if err := checkLoopback(addr); err != nil {
			t.Errorf("checkLoopback(%s): %v", addr, err)
		}
	}
}

func TestRunInProcess(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	stdoutR, stdoutW := io.Pipe()
	var stderr syncBuffer
	done := make(chan int)
	go func() { done <- run(ctx, []string{"-listen", "[::1]:0", "-allow-remote"}, stdoutW, &stderr) }()
	line, err := bufio.NewReader(stdoutR).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "TENSORPOOL_ENGINE=http://") {
		// IPv6 loopback may be missing in a container; accept a listen error.
		cancel()
		if code := <-done; code != 1 {
			t.Fatalf("first line %q (%v), exit %d", line, err, code)
		}
		return
	}
	go func() { _, _ = io.Copy(io.Discard, stdoutR) }()
	cancel()
	if code := <-done; code != 0 {
		t.Errorf("exit %d after cancel, want 0; stderr %s", code, stderr.String())
	}
}

func TestParseFlags(t *testing.T) {
	cfg, err := parseFlags([]string{"-api-key", "a", "-api-key", "b", "-cluster", "c-1", "-outcome", "error",
		"-run-duration", "5s", "-rate-limit", "2.5", "-drop-push", "-listen-unavailable", "-listen-hang", "-garble", "not-json",
		"-cancel-latency-jitter", "2s", "-seed", "42", "-refuse-handshakes", "3", "-ssh-key-message-only", "all", "-upload-needs-ssh-identity"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	o := cfg.opts
	if strings.Join(o.APIKeys, ",") != "a,b" || strings.Join(o.Clusters, ",") != "c-1" || o.Outcome != "error" ||
		o.RunDuration != 5*time.Second || o.RateLimit != 2.5 || !o.DropPushAfterJobID || !o.ListenUnavailable || !o.ListenHang ||
		o.Garble != "not-json" || o.PendingDelay != time.Second || o.CancelLatency != 3*time.Second ||
		o.CancelLatencyJitter != 2*time.Second || o.Seed != 42 || o.RefuseHandshakes != 3 || o.SSHKeyMessageOnly != "all" || !o.UploadNeedsSSHIdentity {
		t.Errorf("options %+v", o)
	}
	cfg, err = parseFlags(nil, io.Discard)
	if err != nil || strings.Join(cfg.opts.APIKeys, ",") != "tp-local-key" || strings.Join(cfg.opts.Clusters, ",") != "c-local" || cfg.opts.ListenHang ||
		cfg.opts.UploadNeedsSSHIdentity || cfg.opts.Outcome != "completed" || cfg.listen != "127.0.0.1:0" || cfg.opts.CancelLatencyJitter != 0 || cfg.opts.Seed != 0 {
		t.Errorf("defaults %+v (%v)", cfg, err)
	}
	for _, bad := range [][]string{{"-outcome", "canceled"}, {"-fail-rate", "2"}, {"-api-key", ""}, {"extra"}, {"-garble", "x"}, {"-cancel-latency-jitter", "-1s"}, {"-refuse-handshakes", "-1"}, {"-ssh-key-message-only", "x"}} {
		var stderr bytes.Buffer
		if _, err := parseFlags(bad, &stderr); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
	if code := run(context.Background(), []string{"-h"}, io.Discard, io.Discard); code != 0 {
		t.Errorf("-h exits %d", code)
	}
}
