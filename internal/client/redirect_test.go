package client

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// witness is a server that records every request it receives: the place a
// redirect would take the key.
type witness struct {
	mu       sync.Mutex
	requests []string
	authz    []string
}

func (w *witness) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	w.mu.Lock()
	w.requests = append(w.requests, r.Method+" "+r.URL.Path)
	if a := r.Header.Get("Authorization"); a != "" {
		w.authz = append(w.authz, a)
	}
	w.mu.Unlock()
	jsonReply(200, `{"job_info":{"status":"running"}}`)(rw)
}

func (w *witness) seen() (requests, authz int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.requests), len(w.authz)
}

// redirectTo answers every request with a 307 to the same path on target.
func redirectTo(target string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target+r.URL.Path, http.StatusTemporaryRedirect) //nolint:gosec // G710: the test server redirects on purpose
	})
}

func TestRedirectsToAnotherOriginAreRefusedAndTheKeyStaysHome(t *testing.T) {
	cases := map[string]struct {
		tlsSource, tlsTarget bool
	}{
		"https to http on the same host": {tlsSource: true},
		"https to https on another port": {tlsSource: true, tlsTarget: true},
		"http to http on another port":   {},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			target := &witness{}
			var targetSrv *httptest.Server
			if tc.tlsTarget {
				targetSrv = quietTLSServer(t, target)
			} else {
				targetSrv = httptest.NewServer(target)
				t.Cleanup(targetSrv.Close)
			}
			var source *httptest.Server
			if tc.tlsSource {
				source = quietTLSServer(t, redirectTo(targetSrv.URL))
			} else {
				source = httptest.NewServer(redirectTo(targetSrv.URL))
				t.Cleanup(source.Close)
			}
			// The caller's own client (it trusts the test certificate, which
			// both TLS servers share): the client must guard a copy of it.
			callers := source.Client()
			c, err := New(Config{BaseURL: source.URL, APIKey: testKey, HTTPClient: callers, RetryPolicy: fastPolicy})
			if err != nil {
				t.Fatal(err)
			}
			_, err = c.GetJob(context.Background(), "job-1")
			var redirect *RedirectError
			if !errors.As(err, &redirect) {
				t.Fatalf("want a *RedirectError, got %v", err)
			}
			if requests, authz := target.seen(); requests != 0 || authz != 0 {
				t.Errorf("the other origin got %d requests, %d with the key", requests, authz)
			}
			msg := err.Error()
			if !strings.Contains(msg, source.URL) || !strings.Contains(msg, targetSrv.URL) || strings.Contains(msg, testKey) {
				t.Errorf("the error should name both origins and not the key: %v", err)
			}
			if IsOutage(err) || !IsUnreachable(err) {
				t.Errorf("a refused redirect is a configuration problem: IsOutage=%v IsUnreachable=%v", IsOutage(err), IsUnreachable(err))
			}
			if callers.CheckRedirect != nil {
				t.Error("the caller's http.Client was changed")
			}
		})
	}
}

func TestSameOriginRedirectIsFollowedWithTheKey(t *testing.T) {
	rec := &witness{}
	var callerChecked int
	mux := http.NewServeMux()
	mux.Handle("/job/info/old", http.RedirectHandler("/job/info/new", http.StatusTemporaryRedirect))
	mux.Handle("/", rec)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	callers := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error {
		callerChecked++
		return nil
	}}
	c, err := New(Config{BaseURL: srv.URL, APIKey: testKey, HTTPClient: callers})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetJob(context.Background(), "old"); err != nil {
		t.Fatal(err)
	}
	if requests, authz := rec.seen(); requests != 1 || authz != 1 {
		t.Errorf("the redirect target got %d requests, %d with the key; want 1 and 1", requests, authz)
	}
	if callerChecked != 1 {
		t.Errorf("the caller's own CheckRedirect ran %d times, want 1", callerChecked)
	}
}

// TestWebSocketRedirectsToAnotherOriginAreRefused: the stream and the
// submission send the key in their first message, after the handshake; a
// handshake redirected elsewhere must never reach that point.
func TestWebSocketRedirectsToAnotherOriginAreRefused(t *testing.T) {
	target := &witness{}
	targetSrv := httptest.NewServer(target)
	t.Cleanup(targetSrv.Close)
	source := quietTLSServer(t, redirectTo(targetSrv.URL))
	c, err := New(Config{BaseURL: source.URL, APIKey: testKey, HTTPClient: source.Client()})
	if err != nil {
		t.Fatal(err)
	}
	var redirect *RedirectError
	if _, err := c.ListenJob(context.Background(), "job-1"); !errors.As(err, &redirect) || !errors.Is(err, ErrListenUnavailable) {
		t.Errorf("listen: want an unavailable stream caused by a *RedirectError, got %v", err)
	}
	if _, err := c.PushJob(context.Background(), PushRequest{Config: "x", ClusterID: "c"}); !errors.As(err, &redirect) {
		t.Errorf("push: want a *RedirectError, got %v", err)
	}
	if requests, _ := target.seen(); requests != 0 {
		t.Errorf("the other origin got %d handshakes", requests)
	}
}

func TestDefaultTransportKeepsConnectionsForConcurrency(t *testing.T) {
	c, err := New(Config{APIKey: testKey})
	if err != nil {
		t.Fatal(err)
	}
	transport, ok := c.http.Transport.(*http.Transport)
	if !ok || transport.MaxIdleConnsPerHost < 64 || transport == http.DefaultTransport {
		t.Fatalf("want a pool of ≥ 64 idle connections per host on a transport of our own, got %#v", c.http.Transport)
	}
	if def, ok := http.DefaultTransport.(*http.Transport); !ok || def.MaxIdleConnsPerHost == transport.MaxIdleConnsPerHost {
		t.Error("the process-wide default transport was changed")
	}
}
