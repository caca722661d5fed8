package sim

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestCancelResponses(t *testing.T) {
	long := "j" + strings.Repeat("x", 128)
	tests := []struct {
		name    string
		latency time.Duration
		setup   func(t *testing.T, e *Engine) string // returns the id to cancel
		key     string
		code    int
		body    map[string]any // exact fields for non-schema answers
		status  string         // for 200/202: the expected status
		after   string         // status of the job after the call ("" = not checked)
	}{
		{name: "pending", latency: time.Second, setup: newJobIn(""), code: 202, status: "canceling", after: "canceling"},
		{name: "running", latency: time.Second, setup: newJobIn("running"), code: 202, status: "canceling", after: "canceling"},
		{name: "running, no latency", setup: newJobIn("running"), code: 202, status: "canceled", after: "canceled"},
		{name: "unknown live status", latency: time.Second, setup: newJobIn("paused"), code: 202, status: "canceling", after: "canceling"},
		{name: "already canceling", latency: time.Second, setup: newJobIn("canceling"), code: 202, status: "canceling", after: "canceling"},
		{name: "already canceled", setup: newJobIn("canceled"), code: 200, status: "canceled", after: "canceled"},
		{name: "completed", setup: newJobIn("completed"), code: 400, after: "completed",
			body: map[string]any{"message": "Job is not in a cancelable state (status: completed)"}},
		{name: "error", setup: newJobIn("error"), code: 400, after: "error",
			body: map[string]any{"message": "Job is not in a cancelable state (status: error)"}},
		{name: "failed", setup: newJobIn("failed"), code: 400, after: "failed",
			body: map[string]any{"message": "Job is not in a cancelable state (status: failed)"}},
		{name: "another user's job", setup: newJobIn("running"), key: key2, code: 403, after: "running",
			body: map[string]any{"message": "Access denied"}},
		{name: "unknown job", setup: fixedID("job-0123456789abcdef"), code: 404,
			body: map[string]any{"message": "Job not found"}},
		{name: "invalid id format", setup: fixedID("-bad.id"), code: 400,
			body: map[string]any{"message": "Invalid job ID format"}},
		{name: "id too long", setup: fixedID(long), code: 422},
		{name: "no key", setup: newJobIn("running"), key: "-", code: 401, after: "running",
			body: map[string]any{"error": "Invalid or missing API key"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, _ := start(t, func(o *Options) { o.CancelLatency = tt.latency })
			id := tt.setup(t, srv.Engine)
			key := tt.key
			switch key {
			case "":
				key = key1
			case "-":
				key = ""
			}
			r := do(t, "POST", srv.URL+"/job/cancel/"+id, key, "")
			if r.code != tt.code {
				t.Fatalf("status %d, want %d; body %s", r.code, tt.code, r.body)
			}
			switch tt.code {
			case 200, 202:
				m := checkCancelSchema(t, r.body)
				if m["status"] != tt.status || m["job_id"] != id {
					t.Errorf("body %s, want status %q for %s", r.body, tt.status, id)
				}
			case 422:
				d := checkValidationSchema(t, r.body)
				if len(d) != 1 || d[0]["type"] != "string_too_long" || d[0]["msg"] != "String should have at most 128 characters" {
					t.Errorf("422 body %s", r.body)
				} else if loc := locOf(t, d[0]); len(loc) != 2 || loc[0] != "path" || loc[1] != "job_id" {
					t.Errorf("422 body %s", r.body)
				}
			default:
				r.expect(t, tt.code, tt.body)
				if m := r.object(t); len(m) != len(tt.body) {
					t.Errorf("body %s has extra fields, want exactly %v", r.body, tt.body)
				}
			}
			if tt.after != "" {
				if got := status(t, srv.Engine, id); got != tt.after {
					t.Errorf("job status after the call %q, want %q", got, tt.after)
				}
			}
		})
	}
}

// newJobIn returns a setup that creates a user-1 job and forces status (""
// leaves it pending; "canceling"/"canceled" go through a real cancel).
func newJobIn(status string) func(*testing.T, *Engine) string {
	return func(t *testing.T, e *Engine) string {
		t.Helper()
		id, err := e.AddJob(key1, "c-local")
		if err != nil {
			t.Fatal(err)
		}
		switch status {
		case "":
		case "canceling", "canceled":
			e.mu.Lock()
			j := e.jobs[id]
			latency := time.Hour
			if status == "canceled" {
				latency = 0
			}
			j.cancel(e.clock.Now(), latency)
			e.mu.Unlock()
		default:
			if err := e.SetStatus(id, status); err != nil {
				t.Fatal(err)
			}
		}
		if got := status; got != "" {
			if s, _ := e.Job(id); s.Status != got {
				t.Fatalf("setup: status %q, want %q", s.Status, got)
			}
		}
		return id
	}
}

func fixedID(id string) func(*testing.T, *Engine) string {
	return func(*testing.T, *Engine) string { return id }
}

func TestAuth(t *testing.T) {
	srv, _ := start(t, nil)
	id := addJob(t, srv.Engine, key1)
	unauthorized := map[string]any{"error": "Invalid or missing API key"}
	for _, path := range []string{"/user/info", "/job/init", "/job/list", "/job/info/" + id, "/job/pull/" + id} {
		do(t, "GET", srv.URL+path, "", "").expect(t, 401, unauthorized)
		do(t, "GET", srv.URL+path, "wrong-key", "").expect(t, 401, unauthorized)
	}
	do(t, "POST", srv.URL+"/health", "", "{}").expect(t, 401, unauthorized)
	do(t, "DELETE", srv.URL+"/job/delete/"+id, "", "").expect(t, 401, unauthorized)
	// The scheme must be Bearer.
	r := doHeader(t, srv.URL+"/user/info", "Basic "+key1)
	r.expect(t, 401, unauthorized)

	// 401 comes before id validation, as FastAPI resolves security first.
	do(t, "GET", srv.URL+"/job/info/-bad", "", "").expect(t, 401, unauthorized)

	// The other user sees 403 on every job route.
	for _, c := range []struct{ method, path string }{
		{"GET", "/job/info/" + id}, {"GET", "/job/pull/" + id}, {"POST", "/job/cancel/" + id}, {"DELETE", "/job/delete/" + id},
	} {
		do(t, c.method, srv.URL+c.path, key2, "").expect(t, 403, map[string]any{"message": "Access denied"})
	}

	do(t, "GET", srv.URL+"/healthz", "", "").expect(t, 200, map[string]any{"status": "ok"})
	do(t, "POST", srv.URL+"/health", key1, `{"package_version":"0.0.8"}`).expect(t, 200, map[string]any{"message": "ok"})
	m := do(t, "GET", srv.URL+"/user/info", key2, "").expect(t, 200, nil)
	if msg, _ := m["message"].(string); !strings.HasPrefix(msg, "User user-2") {
		t.Errorf("user info for the second key: %q", msg)
	}
}

func TestInfo(t *testing.T) {
	srv, fc := start(t, func(o *Options) {
		o.PendingDelay, o.RunDuration, o.InfoRetryAfter = time.Second, time.Minute, 1500*time.Millisecond
	})
	id := addJob(t, srv.Engine, key1)
	url := srv.URL + "/job/info/" + id

	r := do(t, "GET", url, key1, "")
	m := r.expect(t, 200, nil)
	info, ok := m["job_info"].(map[string]any)
	if !ok {
		t.Fatalf("job_info is not an object: %s", r.body)
	}
	want := map[string]any{
		"job_id": id, "status": "pending", "cluster_id": "c-local", "instance_type": "1xH100",
		"created_at": "2026-01-02T03:04:05Z", "updated_at": "2026-01-02T03:04:05Z",
	}
	for k, v := range want {
		if info[k] != v {
			t.Errorf("job_info.%s = %#v, want %#v", k, info[k], v)
		}
	}
	if _, has := info["exit_code"]; has {
		t.Errorf("pending job has an exit_code: %s", r.body)
	}
	if s, _ := info["message"].(string); s == "" {
		t.Error("job_info.message is empty")
	}
	if s, _ := m["message"].(string); !strings.Contains(s, id) || !strings.Contains(s, "\n") {
		t.Errorf("pre-rendered message %q", s)
	}
	if got := r.header.Get("Retry-After"); got != "2" {
		t.Errorf("Retry-After %q for 1.5s, want 2 (rounded up)", got)
	}

	fc.Advance(time.Second + 30*time.Second)
	r = do(t, "GET", url, key1, "")
	info = infoObject(t, r.expect(t, 200, nil))
	if info["status"] != "running" || info["updated_at"] != "2026-01-02T03:04:06Z" || r.header.Get("Retry-After") != "2" {
		t.Errorf("running: %s Retry-After %q", r.body, r.header.Get("Retry-After"))
	}

	fc.Advance(time.Minute)
	r = do(t, "GET", url, key1, "")
	info = infoObject(t, r.expect(t, 200, nil))
	if info["status"] != "completed" || info["exit_code"] != float64(0) {
		t.Errorf("completed: %s", r.body)
	}
	if _, has := r.header["Retry-After"]; has {
		t.Errorf("terminal job has Retry-After %q", r.header.Get("Retry-After"))
	}
}

func TestInfoWithoutRetryAfter(t *testing.T) {
	srv, _ := start(t, nil)
	id := addJob(t, srv.Engine, key1)
	r := do(t, "GET", srv.URL+"/job/info/"+id, key1, "")
	r.expect(t, 200, nil)
	if _, has := r.header["Retry-After"]; has {
		t.Errorf("Retry-After %q with InfoRetryAfter 0", r.header.Get("Retry-After"))
	}
	// A forced error job carries exit code 1.
	if err := srv.Engine.SetStatus(id, "error"); err != nil {
		t.Fatal(err)
	}
	info := infoObject(t, do(t, "GET", srv.URL+"/job/info/"+id, key1, "").expect(t, 200, nil))
	if info["exit_code"] != float64(1) {
		t.Errorf("error job exit_code %#v, want 1", info["exit_code"])
	}
}

func TestDelete(t *testing.T) {
	srv, _ := start(t, nil)
	e := srv.Engine
	id := addJob(t, e, key1)
	del := srv.URL + "/job/delete/" + id

	for _, st := range []string{"running", "canceling", "paused"} {
		if err := e.SetStatus(id, st); err != nil {
			t.Fatal(err)
		}
		do(t, "DELETE", del, key1, "").expect(t, 400, map[string]any{"message": "Job is still " + st + "; cancel it before deleting"})
	}
	if err := e.SetStatus(id, "completed"); err != nil {
		t.Fatal(err)
	}
	do(t, "DELETE", del, key1, "").expect(t, 200, map[string]any{"message": "Job " + id + " deleted"})
	if _, ok := e.Job(id); ok {
		t.Fatal("the deleted job still exists")
	}
	notFound := map[string]any{"message": "Job not found"}
	do(t, "DELETE", del, key1, "").expect(t, 404, notFound)
	do(t, "GET", srv.URL+"/job/info/"+id, key1, "").expect(t, 404, notFound)
	do(t, "POST", srv.URL+"/job/cancel/"+id, key1, "").expect(t, 404, notFound)

	// Removed by someone else: gone the same way.
	id2 := addJob(t, e, key1)
	if err := e.Remove(id2); err != nil {
		t.Fatal(err)
	}
	do(t, "GET", srv.URL+"/job/info/"+id2, key1, "").expect(t, 404, notFound)
	if err := e.Remove(id2); !errors.Is(err, ErrNotFound) {
		t.Errorf("second Remove: %v, want ErrNotFound", err)
	}
	do(t, "DELETE", srv.URL+"/job/delete/"+strings.Repeat("a", 129), key1, "").expect(t, 422, nil)
	do(t, "DELETE", srv.URL+"/job/delete/a.b", key1, "").expect(t, 400, map[string]any{"message": "Invalid job ID format"})
}

func TestPull(t *testing.T) {
	srv, _ := start(t, func(o *Options) { o.PendingDelay = time.Second })
	id := addJob(t, srv.Engine, key1)
	pull := srv.URL + "/job/pull/" + id

	m := do(t, "GET", pull+"?system=linux&dry_run=false", key1, "").expect(t, 200, map[string]any{"command": nil, "command_show_stdout": false})
	if dm, ok := m["download_map"].(map[string]any); !ok || len(dm) != 0 {
		t.Errorf("download_map %#v, want {}", m["download_map"])
	}
	if err := srv.Engine.SetStatus(id, "running"); err != nil {
		t.Fatal(err)
	}
	m = do(t, "GET", pull+"?system=darwin", key1, "").expect(t, 200, nil)
	if cmd, _ := m["command"].(string); !strings.HasPrefix(cmd, "rsync ") || !strings.Contains(cmd, id) {
		t.Errorf("running job's command %#v, want an rsync command", m["command"])
	}
	m = do(t, "GET", pull+"?system=windows&dry_run=true", key1, "").expect(t, 200, nil)
	if s, _ := m["message"].(string); !strings.HasPrefix(s, "Dry run") {
		t.Errorf("dry run message %q", s)
	}

	r := do(t, "GET", pull+"?system=plan9&dry_run=maybe", key1, "")
	r.expect(t, 422, nil)
	d := checkValidationSchema(t, r.body)
	if len(d) != 2 || locOf(t, d[0])[1] != "system" || d[0]["type"] != "enum" || locOf(t, d[1])[1] != "dry_run" {
		t.Errorf("422 detail %s", r.body)
	}
	do(t, "GET", srv.URL+"/job/pull/job-0000000000000000?system=linux", key1, "").expect(t, 404, nil)
}

func TestListInitAndRouting(t *testing.T) {
	srv, _ := start(t, nil)
	mine := addJob(t, srv.Engine, key1)
	theirs := addJob(t, srv.Engine, key2)
	for _, q := range []string{"", "?include_org=true"} {
		m := do(t, "GET", srv.URL+"/job/list"+q, key1, "").expect(t, 200, nil)
		s, _ := m["message"].(string)
		if !strings.Contains(s, mine) || strings.Contains(s, theirs) {
			t.Errorf("list%s = %q, want %s and not %s", q, s, mine, theirs)
		}
		if len(m) != 1 {
			t.Errorf("list has fields besides message: %v", m)
		}
	}

	m := do(t, "GET", srv.URL+"/job/init", key1, "").expect(t, 200, nil)
	tmpl, _ := m["empty_tp_config"].(string)
	if cfg, err := parseJobConfig(tmpl); err != nil || len(cfg.commands) == 0 || len(cfg.ignore) == 0 {
		t.Errorf("a push would not take the init template as it is (%v, %+v):\n%s", err, cfg, tmpl)
	}
	for _, want := range []string{"commands", "outputs", "ignore", "#"} {
		if !strings.Contains(tmpl, want) {
			t.Errorf("template lacks %q", want)
		}
	}
	if s, _ := m["message"].(string); s == "" {
		t.Error("init message is empty")
	}

	do(t, "GET", srv.URL+"/job/nothing", key1, "").expect(t, 404, map[string]any{"message": "Not Found"})
	do(t, "GET", srv.URL+"/job/info/", key1, "").expect(t, 404, map[string]any{"message": "Not Found"})
	do(t, "GET", srv.URL+"/job/cancel/"+mine, key1, "").expect(t, 405, map[string]any{"detail": "Method Not Allowed"})
	do(t, "PUT", srv.URL+"/job/info/"+mine, key1, "").expect(t, 405, map[string]any{"detail": "Method Not Allowed"})
	do(t, "POST", srv.URL+"/healthz", "", "").expect(t, 405, nil)
	// An encoded slash stays inside the id instead of changing the route.
	do(t, "GET", srv.URL+"/job/info/job%2Fx", key1, "").expect(t, 400, map[string]any{"message": "Invalid job ID format"})
}
