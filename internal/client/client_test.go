package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/backoff"
	"github.com/tensorpool/terraform-provider-tensorpool/internal/clock/clocktest"
)

const testKey = "tp-secret-key-123"

// fastPolicy keeps retry tests quick without changing their logic.
var fastPolicy = backoff.Policy{Initial: time.Millisecond, Max: 5 * time.Millisecond, Multiplier: 2, MaxHint: 50 * time.Millisecond}

// recorder is an httptest server answering from a script, one entry per
// request, and recording what it received.
type recorder struct {
	mu       sync.Mutex
	requests []*http.Request
	replies  []func(w http.ResponseWriter)
}

func (rec *recorder) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec.mu.Lock()
	n := len(rec.requests)
	rec.requests = append(rec.requests, r.Clone(context.Background()))
	var reply func(w http.ResponseWriter)
	if n < len(rec.replies) {
		reply = rec.replies[n]
	} else {
		reply = rec.replies[len(rec.replies)-1]
	}
	rec.mu.Unlock()
	reply(w)
}

func (rec *recorder) count() int {
	rec.mu.Lock()
	defer rec.mu.Unlock()
	return len(rec.requests)
}

func jsonReply(code int, body string, headers ...string) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		for i := 0; i+1 < len(headers); i += 2 {
			w.Header().Set(headers[i], headers[i+1])
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_, _ = fmt.Fprint(w, body) //nolint:gosec // G705: the test's own canned reply.
	}
}

func newTestClient(t *testing.T, replies ...func(w http.ResponseWriter)) (*Client, *recorder) {
	t.Helper()
	return newTestClientWith(t, Config{RetryPolicy: fastPolicy}, replies...)
}

// newTestClientWith is newTestClient with cfg (BaseURL, APIKey and
// UserAgent are filled in).
func newTestClientWith(t *testing.T, cfg Config, replies ...func(w http.ResponseWriter)) (*Client, *recorder) {
	t.Helper()
	rec := &recorder{replies: replies}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	cfg.BaseURL, cfg.APIKey, cfg.UserAgent = srv.URL, testKey, "terraform-provider-tensorpool/test"
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c, rec
}

// runningFakeClock is a fake clock that jumps to each timer as soon as it is
// set, until the test ends: retry and rate-limit waits take no real time,
// and the fake time that passed is what the client waited.
func runningFakeClock(t *testing.T) *clocktest.Fake {
	t.Helper()
	fake := clocktest.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		fake.RunTimers(stop)
	}()
	t.Cleanup(func() {
		close(stop)
		<-done
	})
	return fake
}

func TestGetJobDecodesKnownFieldsAndKeepsRaw(t *testing.T) {
	c, rec := newTestClient(t, jsonReply(200,
		`{"job_info":{"job_id":"job-1","status":"RUNNING","cluster_id":"c-1","instance_type":"1xH100","exit_code":null,"created_at":1700000000,"updated_at":"2026-01-02T03:04:05Z","gpu_hours":3.5},"message":"rendered"}`,
		"Retry-After", "3"))
	job, err := c.GetJob(context.Background(), "job-1")
	if err != nil {
		t.Fatal(err)
	}
	if job.Status != StatusRunning || job.Status.IsTerminal() {
		t.Errorf("status = %q, terminal=%v; want running, not terminal", job.Status, job.Status.IsTerminal())
	}
	if job.ClusterID == nil || *job.ClusterID != "c-1" || job.InstanceType == nil || *job.InstanceType != "1xH100" {
		t.Errorf("cluster/instance not decoded: %+v", job)
	}
	if job.ExitCode != nil {
		t.Errorf("exit_code null must stay unset, got %d", *job.ExitCode)
	}
	if job.CreatedAt == nil || *job.CreatedAt != "2023-11-14T22:13:20Z" {
		t.Errorf("created_at epoch not converted: %v", job.CreatedAt)
	}
	if job.Message == nil || *job.Message != "rendered" {
		t.Errorf("message should fall back to the envelope's: %v", job.Message)
	}
	if !strings.Contains(string(job.Raw), `"gpu_hours":3.5`) {
		t.Errorf("unknown fields must be kept in Raw: %s", job.Raw)
	}
	if job.RetryAfter != 3*time.Second {
		t.Errorf("RetryAfter = %v, want 3s", job.RetryAfter)
	}
	r := rec.requests[0]
	if r.URL.Path != "/job/info/job-1" || r.Method != http.MethodGet {
		t.Errorf("request = %s %s", r.Method, r.URL.Path)
	}
	if got := r.Header.Get("Authorization"); got != "Bearer "+testKey {
		t.Errorf("Authorization = %q", got)
	}
	if got := r.Header.Get("User-Agent"); got != "terraform-provider-tensorpool/test" {
		t.Errorf("User-Agent = %q", got)
	}
	if strings.Contains(r.URL.String(), testKey) {
		t.Error("the key must never be in the URL")
	}
}

func TestGetJobMissingFieldsStayUnset(t *testing.T) {
	c, _ := newTestClient(t, jsonReply(200, `{"job_info":{"status":"pending"}}`))
	job, err := c.GetJob(context.Background(), "job-2")
	if err != nil {
		t.Fatal(err)
	}
	if job.ID != "job-2" || job.ClusterID != nil || job.ExitCode != nil || job.CreatedAt != nil || job.Message != nil || job.RetryAfter != 0 {
		t.Errorf("unexpected fields set: %+v", job)
	}
}

func TestGetJobUnknownStatusIsKeptAndNotTerminal(t *testing.T) {
	c, _ := newTestClient(t, jsonReply(200, `{"job_info":{"status":"Paused"}}`))
	job, err := c.GetJob(context.Background(), "job-3")
	if err != nil {
		t.Fatal(err)
	}
	if job.Status != "Paused" || job.Status.IsTerminal() || job.Status.IsKnown() {
		t.Errorf("status %q: want kept as-is, not terminal, not known", job.Status)
	}
}

func TestGetJobBadBodiesAreClearErrors(t *testing.T) {
	for name, body := range map[string]string{
		"not json":      `<html>oops</html>`,
		"wrong shape":   `{"job_info":"oops","message":3}`,
		"no job_info":   `{"message":"hi"}`,
		"no status":     `{"job_info":{"job_id":"x"}}`,
		"status number": `{"job_info":{"status":{"a":1}}}`,
		"array":         `[1,2]`,
	} {
		t.Run(name, func(t *testing.T) {
			c, _ := newTestClient(t, jsonReply(200, body))
			_, err := c.GetJob(context.Background(), "job-4")
			var decodeErr *DecodeError
			if !errors.As(err, &decodeErr) {
				t.Fatalf("want *DecodeError, got %T %v", err, err)
			}
			if !strings.Contains(err.Error(), "/job/info/job-4") {
				t.Errorf("error should name the request: %v", err)
			}
		})
	}
}

func TestErrorBodiesAndTypedErrors(t *testing.T) {
	cases := []struct {
		code    int
		body    string
		want    string
		matches func(error) bool
	}{
		{401, `{"error":"Invalid or missing API key"}`, "Invalid or missing API key", IsUnauthorized},
		{403, `{"message":"Access denied"}`, "Access denied", func(err error) bool { return hasStatus(err, 403) }},
		{404, `{"message":"Job not found"}`, "Job not found", IsNotFound},
		{400, `{"external_message":"Invalid job ID format"}`, "Invalid job ID format", IsBadRequest},
		{422, `{"detail":[{"loc":["path","job_id"],"msg":"String should have at most 128 characters","type":"string_too_long"}]}`, "path.job_id: String should have at most 128 characters", func(err error) bool { return hasStatus(err, 422) }},
		{404, `not json at all`, "not json at all", IsNotFound},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprint(tc.code), func(t *testing.T) {
			c, rec := newTestClient(t, jsonReply(tc.code, tc.body))
			_, err := c.GetJob(context.Background(), "job-5")
			if !tc.matches(err) {
				t.Fatalf("typed check failed for %v", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not quote the engine's message %q", err, tc.want)
			}
			if rec.count() != 1 {
				t.Errorf("%d is not retryable, but %d requests were sent", tc.code, rec.count())
			}
			if strings.Contains(err.Error(), testKey) {
				t.Error("error leaks the key")
			}
		})
	}
}

func TestRetriesOn429And5xxHonouringRetryAfter(t *testing.T) {
	// On a fake clock: after the 429 the shared limiter spaces requests.
	c, rec := newTestClientWith(t, Config{RetryPolicy: fastPolicy, Clock: runningFakeClock(t)},
		jsonReply(429, `{"message":"slow down"}`, "Retry-After", "0"),
		jsonReply(503, `{"message":"unavailable"}`),
		jsonReply(500, `{"message":"boom"}`),
		jsonReply(200, `{"job_info":{"status":"running"}}`),
	)
	if _, err := c.GetJob(context.Background(), "job-6"); err != nil {
		t.Fatal(err)
	}
	if rec.count() != 4 {
		t.Errorf("requests = %d, want 4", rec.count())
	}
}

func TestNoRetryOn501AndGivesUpAfterMaxRetries(t *testing.T) {
	c, rec := newTestClient(t, jsonReply(501, `{"message":"nope"}`))
	if _, err := c.GetJob(context.Background(), "job-7"); !hasStatus(err, 501) || rec.count() != 1 {
		t.Fatalf("501: err=%v requests=%d", err, rec.count())
	}
	c, rec = newTestClient(t, jsonReply(503, `{"message":"down"}`))
	_, err := c.GetJob(context.Background(), "job-7")
	if !hasStatus(err, 503) || rec.count() != 1+DefaultMaxRetries {
		t.Fatalf("503: err=%v requests=%d, want %d", err, rec.count(), 1+DefaultMaxRetries)
	}
}

func TestRetryAfterBothFormsAndCap(t *testing.T) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	if d := ParseRetryAfter("7", now); d != 7*time.Second {
		t.Errorf("seconds form: %v", d)
	}
	if d := ParseRetryAfter(now.Add(90*time.Second).Format(http.TimeFormat), now); d != 90*time.Second {
		t.Errorf("date form: %v", d)
	}
	for _, bad := range []string{"", "-3", "soon", "1.5", now.Add(-time.Minute).Format(http.TimeFormat)} {
		if d := ParseRetryAfter(bad, now); d != 0 {
			t.Errorf("ParseRetryAfter(%q) = %v, want 0", bad, d)
		}
	}
	// The policy caps a one-hour hint at MaxHint.
	if d := fastPolicy.WithHint(0, time.Hour); d != fastPolicy.MaxHint {
		t.Errorf("a 1h hint must be capped at %v, got %v", fastPolicy.MaxHint, d)
	}
}

func TestRetryAfterHourIsCappedInPractice(t *testing.T) {
	// A server asking for an hour: the client waits the cap (50ms), not an
	// hour, and its limiter pauses no longer either (it then spaces requests
	// at a second).
	fake := runningFakeClock(t)
	c, rec := newTestClientWith(t, Config{RetryPolicy: fastPolicy, Clock: fake},
		jsonReply(429, `{"message":"later"}`, "Retry-After", "3600"),
		jsonReply(200, `{"job_info":{"status":"running"}}`))
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	start := fake.Now()
	if _, err := c.GetJob(ctx, "job-8"); err != nil {
		t.Fatalf("want success after one capped wait: %v", err)
	}
	if rec.count() != 2 {
		t.Errorf("requests = %d", rec.count())
	}
	if waited := fake.Now().Sub(start); waited > 2*time.Second {
		t.Errorf("waited %s for a retry, want the capped hint and one limiter interval at most", waited)
	}
}

func TestNoSleepPastTheDeadline(t *testing.T) {
	// Retry-After 20s (capped at 30s by default) with a 200ms deadline: the
	// client must give up at once rather than sleep through the deadline.
	rec := &recorder{replies: []func(http.ResponseWriter){jsonReply(503, `{"message":"down"}`, "Retry-After", "20")}}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	c, err := New(Config{BaseURL: srv.URL, APIKey: testKey})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err = c.GetJob(ctx, "job-9")
	if !hasStatus(err, 503) || !strings.Contains(err.Error(), "deadline") {
		t.Fatalf("want the 503 with a deadline note, got %v", err)
	}
	if ctx.Err() != nil {
		t.Error("the client slept until the context expired instead of giving up early")
	}
	if rec.count() != 1 {
		t.Errorf("requests = %d, want 1", rec.count())
	}
}

func TestTransportErrorsAreRetriedThenReported(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nothing listens there any more
	c, err := New(Config{BaseURL: url, APIKey: testKey, RetryPolicy: fastPolicy, MaxRetries: 2})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.GetJob(context.Background(), "job-10")
	var transportErr *TransportError
	if !errors.As(err, &transportErr) {
		t.Fatalf("want *TransportError, got %T %v", err, err)
	}
	if !strings.Contains(err.Error(), "could not reach the TensorPool engine") || strings.Contains(err.Error(), testKey) {
		t.Errorf("unclear or leaking error: %v", err)
	}
}

func TestInvalidIDsNeverReachTheEngine(t *testing.T) {
	c, rec := newTestClient(t, jsonReply(200, `{"job_info":{"status":"running"}}`))
	for _, id := range []string{"", "a/b", "../x", "job 1", "job?x=1", "job#1", ".hidden", "%2F", strings.Repeat("a", 129), "j\n"} {
		var invalid *InvalidIDError
		if _, err := c.GetJob(context.Background(), id); !errors.As(err, &invalid) {
			t.Errorf("GetJob(%q): want *InvalidIDError, got %v", id, err)
		}
		if _, err := c.CancelJob(context.Background(), id); !errors.As(err, &invalid) {
			t.Errorf("CancelJob(%q): want *InvalidIDError, got %v", id, err)
		}
		if _, err := c.DeleteJob(context.Background(), id); !errors.As(err, &invalid) {
			t.Errorf("DeleteJob(%q): want *InvalidIDError, got %v", id, err)
		}
	}
	if rec.count() != 0 {
		t.Errorf("%d requests reached the engine", rec.count())
	}
}

func TestCancelOutcomes(t *testing.T) {
	t.Run("200 already canceled", func(t *testing.T) {
		c, rec := newTestClient(t, jsonReply(200, ``))
		res, err := c.CancelJob(context.Background(), "job-11")
		if err != nil || res.Outcome != CancelAlreadyCanceled || res.Status != StatusCanceled {
			t.Fatalf("res=%+v err=%v", res, err)
		}
		if rec.requests[0].Method != http.MethodPost || rec.requests[0].URL.Path != "/job/cancel/job-11" {
			t.Errorf("request = %s %s", rec.requests[0].Method, rec.requests[0].URL.Path)
		}
	})
	for _, status := range []Status{StatusCanceling, StatusCanceled} {
		t.Run("202 "+string(status), func(t *testing.T) {
			c, _ := newTestClient(t, jsonReply(202, fmt.Sprintf(`{"job_id":"job-12","message":"Job cancellation initiated","status":"%s"}`, status)))
			res, err := c.CancelJob(context.Background(), "job-12")
			if err != nil || res.Outcome != CancelAccepted || res.Status != status || res.Message != "Job cancellation initiated" {
				t.Fatalf("res=%+v err=%v", res, err)
			}
		})
	}
	t.Run("202 garbage", func(t *testing.T) {
		c, _ := newTestClient(t, jsonReply(202, `<<<`))
		var decodeErr *DecodeError
		if _, err := c.CancelJob(context.Background(), "job-13"); !errors.As(err, &decodeErr) {
			t.Fatalf("want DecodeError, got %v", err)
		}
	})
	for code, check := range map[int]func(error) bool{400: IsBadRequest, 403: func(err error) bool { return hasStatus(err, 403) }, 404: IsNotFound, 422: func(err error) bool { return hasStatus(err, 422) }} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			c, rec := newTestClient(t, jsonReply(code, `{"message":"nope"}`))
			if _, err := c.CancelJob(context.Background(), "job-14"); !check(err) {
				t.Fatalf("code %d: %v", code, err)
			}
			if rec.count() != 1 {
				t.Errorf("code %d retried", code)
			}
		})
	}
	t.Run("500 retried", func(t *testing.T) {
		c, rec := newTestClient(t, jsonReply(500, `{"message":"Internal server error"}`), jsonReply(202, `{"job_id":"job-15","message":"ok","status":"canceling"}`))
		if _, err := c.CancelJob(context.Background(), "job-15"); err != nil || rec.count() != 2 {
			t.Fatalf("err=%v requests=%d", err, rec.count())
		}
	})
}

func TestDeleteJob(t *testing.T) {
	c, rec := newTestClient(t, jsonReply(200, `{"message":"Job job-16 deleted"}`))
	msg, err := c.DeleteJob(context.Background(), "job-16")
	if err != nil || msg != "Job job-16 deleted" {
		t.Fatalf("delete: %q %v", msg, err)
	}
	if rec.requests[0].Method != http.MethodDelete || rec.requests[0].URL.Path != "/job/delete/job-16" {
		t.Errorf("delete request = %s %s", rec.requests[0].Method, rec.requests[0].URL.Path)
	}
}

func TestBaseURLRules(t *testing.T) {
	for _, ok := range []string{"https://engine.tensorpool.dev", "http://127.0.0.1:8080", "http://localhost:1", "http://[::1]:9", "https://example.com/prefix/"} {
		if _, err := ParseBaseURL(ok); err != nil {
			t.Errorf("%s: %v", ok, err)
		}
	}
	for _, bad := range []string{"http://engine.tensorpool.dev", "http://10.0.0.1", "ftp://x", "engine.tensorpool.dev", "https://user:pw@host", "://"} {
		if _, err := ParseBaseURL(bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
	if _, err := New(Config{BaseURL: "http://example.com", APIKey: testKey}); err == nil {
		t.Error("New accepted plain http to a remote host")
	}
}

func TestNoKeyMeansNoRequest(t *testing.T) {
	rec := &recorder{replies: []func(http.ResponseWriter){jsonReply(200, `{}`)}}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	c, err := New(Config{BaseURL: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetJob(context.Background(), "job-17"); !errors.Is(err, ErrNoAPIKey) {
		t.Fatalf("want ErrNoAPIKey, got %v", err)
	}
	if _, err := c.PushJob(context.Background(), PushRequest{}); !errors.Is(err, ErrNoAPIKey) {
		t.Fatalf("push: want ErrNoAPIKey, got %v", err)
	}
	if rec.count() != 0 {
		t.Error("a request was sent without a key")
	}
}

func TestClientSideRateLimit(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		jsonReply(200, `{"job_info":{"status":"running"}}`)(w)
	}))
	defer srv.Close()
	c, err := New(Config{BaseURL: srv.URL, APIKey: testKey, RateLimit: 1})
	if err != nil {
		t.Fatal(err)
	}
	// Burst 1 at 1 req/s: the second request must wait about a second, so a
	// 300ms deadline lets exactly one through.
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if _, err := c.GetJob(ctx, "job-18"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetJob(ctx, "job-18"); err == nil {
		t.Fatal("second request should have been held back by the limiter")
	}
	if n.Load() != 1 {
		t.Errorf("server saw %d requests, want 1", n.Load())
	}
}

type captureLogger struct {
	mu    sync.Mutex
	lines []string
}

func (l *captureLogger) Debug(_ context.Context, msg string, fields map[string]any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprint(msg, fields))
}

func TestLogsNeverHoldTheKey(t *testing.T) {
	rec := &recorder{replies: []func(http.ResponseWriter){jsonReply(401, `{"error":"bad key"}`)}}
	srv := httptest.NewServer(rec)
	defer srv.Close()
	logger := &captureLogger{}
	c, err := New(Config{BaseURL: srv.URL, APIKey: testKey, Logger: logger})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.GetJob(context.Background(), "job-19")
	if err == nil || strings.Contains(err.Error(), testKey) {
		t.Fatalf("err = %v", err)
	}
	if len(logger.lines) == 0 {
		t.Fatal("expected a request log line")
	}
	for _, line := range logger.lines {
		if strings.Contains(line, testKey) || strings.Contains(strings.ToLower(line), "bearer") {
			t.Errorf("log line leaks credentials: %s", line)
		}
	}
}

// TestEscapedPathsAreSentEscapedOnce: a path segment the client escaped
// reaches the engine escaped once ("%20"), not twice ("%2520"), which the
// engine would read as another id and answer 404.
func TestEscapedPathsAreSentEscapedOnce(t *testing.T) {
	c, rec := newTestClient(t, jsonReply(http.StatusOK, `{}`))
	if _, err := c.do(context.Background(), request{method: http.MethodGet, path: "/cluster/info/" + url.PathEscape("c 1%"), kind: callRead}); err != nil {
		t.Fatal(err)
	}
	if got := rec.requests[0].URL.EscapedPath(); got != "/cluster/info/c%201%25" {
		t.Errorf("the engine received %q, want /cluster/info/c%%201%%25", got)
	}
}
