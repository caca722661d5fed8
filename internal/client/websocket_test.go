package client

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// refusingServer answers the first refusals WebSocket handshakes with the
// status (and Retry-After: 0), then passes them to next; it counts them.
type refusingServer struct {
	mu         sync.Mutex
	refusals   int
	status     int
	handshakes int
	next       http.Handler
}

func (s *refusingServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.handshakes++
	refuse := s.refusals > 0
	if refuse {
		s.refusals--
	}
	s.mu.Unlock()
	if refuse {
		w.Header().Set("Retry-After", "0")
		http.Error(w, `{"message":"refused"}`, s.status)
		return
	}
	s.next.ServeHTTP(w, r)
}

func (s *refusingServer) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.handshakes
}

func newRefusingClient(t *testing.T, refusals, status int, next http.Handler) (*Client, *refusingServer) {
	t.Helper()
	s := &refusingServer{refusals: refusals, status: status, next: next}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	c, err := New(Config{BaseURL: srv.URL, APIKey: testKey, RetryPolicy: fastPolicy})
	if err != nil {
		t.Fatal(err)
	}
	return c, s
}

// A refused handshake created nothing: the push tries again, as an
// idempotent request would be, and submits the job once.
func TestPushRetriesARefusedHandshake(t *testing.T) {
	for _, status := range []int{http.StatusTooManyRequests, http.StatusServiceUnavailable, http.StatusBadGateway} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			push := &pushServer{script: func(ctx context.Context, conn *websocket.Conn, s *pushServer) {
				if standardOpening(ctx, conn, s) {
					_ = conn.Write(ctx, websocket.MessageText, []byte(`{"job_id":"job-1","message":"submitted"}`))
					_ = conn.Close(websocket.StatusNormalClosure, "")
				}
			}}
			c, s := newRefusingClient(t, 2, status, push)
			result, err := c.PushJob(context.Background(), PushRequest{Config: "x", ClusterID: "c", Dir: t.TempDir()})
			if err != nil || result.JobID != "job-1" {
				t.Fatalf("PushJob = %+v, %v; want job-1 after two refused handshakes", result, err)
			}
			if n := s.count(); n != 3 {
				t.Errorf("%d handshakes, want 3 (two refused, one accepted)", n)
			}
			push.mu.Lock()
			defer push.mu.Unlock()
			if len(push.received) != 2 { // the key message and one submission
				t.Errorf("the engine received %d messages, want the key and one submission", len(push.received))
			}
		})
	}
}

// A handshake refused for a reason a retry cannot fix fails at once.
func TestPushDoesNotRetryAHandshakeRefusedForGood(t *testing.T) {
	for _, status := range []int{http.StatusUnauthorized, http.StatusNotFound, http.StatusNotImplemented} {
		t.Run(http.StatusText(status), func(t *testing.T) {
			c, s := newRefusingClient(t, 5, status, http.NotFoundHandler())
			_, err := c.PushJob(context.Background(), PushRequest{Config: "x", ClusterID: "c", Dir: t.TempDir()})
			var pushErr *PushError
			var apiErr *APIError
			if !errors.As(err, &pushErr) || !errors.As(err, &apiErr) || apiErr.StatusCode != status {
				t.Fatalf("err = %v; want a PushError carrying HTTP %d", err, status)
			}
			if n := s.count(); n != 1 {
				t.Errorf("%d handshakes, want 1", n)
			}
		})
	}
}

// The status stream is not retried (the caller polls meanwhile): a refused
// handshake is a ListenRefusedError with the engine's status.
func TestListenDoesNotRetryARefusedHandshake(t *testing.T) {
	c, s := newRefusingClient(t, 5, http.StatusTooManyRequests, http.NotFoundHandler())
	_, err := c.ListenJob(context.Background(), "job-1")
	var refused *ListenRefusedError
	if !errors.As(err, &refused) || refused.StatusCode != http.StatusTooManyRequests || !errors.Is(err, ErrListenUnavailable) {
		t.Fatalf("err = %v; want a ListenRefusedError with HTTP 429", err)
	}
	if n := s.count(); n != 1 {
		t.Errorf("%d handshakes, want 1", n)
	}
}

// A 429 on a handshake tells the shared limiter, like a 429 on any request:
// the next request waits for the Retry-After the engine asked for.
func TestARefusedHandshakeSlowsEveryRequest(t *testing.T) {
	fake := runningFakeClock(t)
	s := &refusingServer{refusals: 1, status: http.StatusTooManyRequests, next: http.NotFoundHandler()}
	srv := httptest.NewServer(s)
	t.Cleanup(srv.Close)
	c, err := New(Config{BaseURL: srv.URL, APIKey: testKey, RetryPolicy: fastPolicy, Clock: fake})
	if err != nil {
		t.Fatal(err)
	}
	_, _ = c.ListenJob(context.Background(), "job-1")
	rate, throttled := c.limiter.state()
	if throttled == 0 {
		t.Errorf("after a 429 handshake the limiter is not throttled (rate %v)", rate)
	}
}

// After the engine answers a request 429 with Retry-After, a submission's
// handshake waits out the same pause as every other request.
func TestHandshakesWaitForTheSharedRateLimiter(t *testing.T) {
	fake := runningFakeClock(t)
	var mu sync.Mutex
	var handshakeAt time.Time
	push := &pushServer{script: func(ctx context.Context, conn *websocket.Conn, s *pushServer) {
		if standardOpening(ctx, conn, s) {
			_ = conn.Write(ctx, websocket.MessageText, []byte(`{"job_id":"job-1"}`))
			_ = conn.Close(websocket.StatusNormalClosure, "")
		}
	}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/job/push" {
			mu.Lock()
			handshakeAt = fake.Now()
			mu.Unlock()
			push.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Retry-After", "5")
		http.Error(w, `{"message":"Rate limit exceeded"}`, http.StatusTooManyRequests)
	}))
	t.Cleanup(srv.Close)
	policy := fastPolicy
	policy.MaxHint = 10 * time.Second
	c, err := New(Config{BaseURL: srv.URL, APIKey: testKey, RetryPolicy: policy, MaxRetries: -1, Clock: fake})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	refused := fake.Now()
	if _, err := c.GetJob(ctx, "job-1"); err == nil {
		t.Fatal("the read should have failed with the 429")
	}
	if _, err := c.PushJob(ctx, PushRequest{Config: "x", ClusterID: "c", Dir: t.TempDir()}); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if waited := handshakeAt.Sub(refused); waited < 5*time.Second {
		t.Errorf("the handshake came %s after the 429 with Retry-After: 5, want at least 5s", waited)
	}
}
