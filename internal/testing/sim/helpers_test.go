package sim

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/clock/clocktest"
)

// Test keys. They must never appear in any response.
const (
	key1 = "tp-test-key-one-SECRET"
	key2 = "tp-test-key-two-SECRET"
)

var epoch = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// start runs an engine on a fake clock with two users and two clusters;
// tune adjusts the options first.
func start(t *testing.T, tune func(*Options)) (*Server, *clocktest.Fake) {
	t.Helper()
	fc := clocktest.NewFake(epoch)
	opts := Options{
		APIKeys:  []string{key1, key2},
		Clusters: []string{"c-local", "c-other"},
		Clock:    fc,
	}
	if tune != nil {
		tune(&opts)
	}
	srv, err := Start(opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(srv.Close)
	return srv, fc
}

// reply is one HTTP response, fully read.
type reply struct {
	code   int
	header http.Header
	body   []byte
}

// do sends a request with the key as bearer token (none when key is "").
func do(t *testing.T, method, url, key, body string) reply {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{key1, key2} {
		if bytes.Contains(b, []byte(k)) {
			t.Fatalf("%s %s: response exposes an API key: %s", method, url, b)
		}
	}
	return reply{code: resp.StatusCode, header: resp.Header, body: b}
}

// object decodes the body as a JSON object.
func (r reply) object(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("body is not a JSON object: %v: %s", err, r.body)
	}
	return m
}

// expect checks the status code and, when want is not nil, that every key
// of want is in the body with that value.
func (r reply) expect(t *testing.T, code int, want map[string]any) map[string]any {
	t.Helper()
	if r.code != code {
		t.Fatalf("status %d, want %d; body %s", r.code, code, r.body)
	}
	if ct := r.header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	m := r.object(t)
	for k, v := range want {
		if got, ok := m[k]; !ok || got != v {
			t.Errorf("body[%q] = %#v, want %#v; body %s", k, got, v, r.body)
		}
	}
	return m
}

// raw is expect returning the raw body.
func (r reply) raw(t *testing.T, code int, want map[string]any) []byte {
	t.Helper()
	r.expect(t, code, want)
	return r.body
}

// checkCancelSchema validates a body against the seed's
// JobCancelRestResponse: required string job_id, message and status, and
// status in the enum canceling|canceled.
func checkCancelSchema(t *testing.T, body []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("JobCancelRestResponse is not an object: %v: %s", err, body)
	}
	for _, k := range []string{"job_id", "message", "status"} {
		v, ok := m[k]
		if !ok {
			t.Fatalf("JobCancelRestResponse lacks required %q: %s", k, body)
		}
		if _, ok := v.(string); !ok {
			t.Fatalf("JobCancelRestResponse.%s is %T, want string: %s", k, v, body)
		}
	}
	if s := m["status"]; s != "canceling" && s != "canceled" {
		t.Fatalf("JobCancelRestResponse.status %q is not in the enum canceling|canceled", s)
	}
	return m
}

// checkValidationSchema validates a body against the seed's
// HTTPValidationError: detail is a list of ValidationError objects with
// loc (strings or integers), msg and type.
func checkValidationSchema(t *testing.T, body []byte) []map[string]any {
	t.Helper()
	var m struct {
		Detail []map[string]any `json:"detail"`
	}
	if err := json.Unmarshal(body, &m); err != nil || m.Detail == nil {
		t.Fatalf("not an HTTPValidationError (%v): %s", err, body)
	}
	for _, d := range m.Detail {
		loc, ok := d["loc"].([]any)
		if !ok {
			t.Fatalf("ValidationError.loc is not a list: %s", body)
		}
		for _, l := range loc {
			switch l.(type) {
			case string, float64:
			default:
				t.Fatalf("ValidationError.loc item %#v is neither string nor integer", l)
			}
		}
		for _, k := range []string{"msg", "type"} {
			if _, ok := d[k].(string); !ok {
				t.Fatalf("ValidationError.%s is not a string: %s", k, body)
			}
		}
	}
	return m.Detail
}

// infoObject returns the job_info object of a /job/info body.
func infoObject(t *testing.T, m map[string]any) map[string]any {
	t.Helper()
	info, ok := m["job_info"].(map[string]any)
	if !ok {
		t.Fatalf("job_info is %T, want an object: %v", m["job_info"], m)
	}
	return info
}

// locOf returns the loc list of a ValidationError.
func locOf(t *testing.T, d map[string]any) []any {
	t.Helper()
	loc, ok := d["loc"].([]any)
	if !ok {
		t.Fatalf("ValidationError.loc is %T, want a list: %v", d["loc"], d)
	}
	return loc
}

// addJob creates a job for key on c-local.
func addJob(t *testing.T, e *Engine, key string) string {
	t.Helper()
	id, err := e.AddJob(key, "c-local")
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func status(t *testing.T, e *Engine, id string) string {
	t.Helper()
	s, ok := e.Job(id)
	if !ok {
		t.Fatalf("job %s does not exist", id)
	}
	return s.Status
}

// doHeader sends a GET with a raw Authorization header.
func doHeader(t *testing.T, url, authorization string) reply {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), "GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", authorization)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return reply{code: resp.StatusCode, header: resp.Header, body: b}
}
