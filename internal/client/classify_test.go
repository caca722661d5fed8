package client

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// attemptCounter is a Logger that counts request attempts.
type attemptCounter struct{ n atomic.Int32 }

func (a *attemptCounter) Debug(context.Context, string, map[string]any) { a.n.Add(1) }

// quietTLSServer is an httptest TLS server that does not log the handshake
// errors the tests provoke.
func quietTLSServer(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewUnstartedServer(h)
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv
}

// closedPortURL is a loopback URL where nothing listens.
func closedPortURL(t *testing.T) string {
	t.Helper()
	ln, err := (&net.ListenConfig{}).Listen(t.Context(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return "http://" + addr
}

// notFoundDialer fails every dial as a resolver does for a name that does
// not exist (what net.Dial returns for `no such host`).
func notFoundDialer(calls *atomic.Int32) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(_ context.Context, network, addr string) (net.Conn, error) {
		calls.Add(1)
		host, _, _ := net.SplitHostPort(addr)
		return nil, &net.OpError{Op: "dial", Net: network, Err: &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}}
	}
}

// TestUnreachableEngineFailsWithinSeconds: connection refused, a name that
// does not resolve and TLS failures are configuration problems. The client
// retries them a few quick times only, and says it could not reach the
// engine; callers must not ride them out (IsOutage is false).
func TestUnreachableEngineFailsWithinSeconds(t *testing.T) {
	untrusted := quietTLSServer(t, http.NotFoundHandler())
	plain := httptest.NewServer(http.NotFoundHandler())
	t.Cleanup(plain.Close)
	var dnsCalls atomic.Int32
	cases := map[string]struct {
		baseURL string
		http    *http.Client
		want    string
	}{
		"connection refused":             {baseURL: closedPortURL(t), want: "connection refused"},
		"no such host":                   {baseURL: "https://engine.invalid", http: &http.Client{Transport: &http.Transport{DialContext: notFoundDialer(&dnsCalls)}}, want: "no such host"},
		"untrusted certificate":          {baseURL: untrusted.URL, want: "certificate"},
		"plain HTTP behind an https URL": {baseURL: strings.Replace(plain.URL, "http://", "https://", 1), want: "HTTP response to HTTPS client"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			fake := runningFakeClock(t)
			attempts := &attemptCounter{}
			// The default retry policy, as the provider uses it.
			c, err := New(Config{BaseURL: tc.baseURL, APIKey: testKey, HTTPClient: tc.http, Clock: fake, Logger: attempts})
			if err != nil {
				t.Fatal(err)
			}
			wallStart, fakeStart := time.Now(), fake.Now()
			_, err = c.GetJob(context.Background(), "job-1")
			took, waited := time.Since(wallStart), fake.Now().Sub(fakeStart)
			t.Logf("%d attempts, %s of retry waits: %v", attempts.n.Load(), waited, err)
			if !IsUnreachable(err) || IsOutage(err) {
				t.Fatalf("IsUnreachable=%v IsOutage=%v for %v", IsUnreachable(err), IsOutage(err), err)
			}
			if !strings.Contains(err.Error(), "could not reach the TensorPool engine for GET /job/info/job-1: ") || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q should say the engine could not be reached and why (%q)", err, tc.want)
			}
			if n := attempts.n.Load(); n < 2 || n > 1+DefaultMaxRetries {
				t.Errorf("%d attempts: want a few quick retries", n)
			}
			if waited > unreachableRetryWindow || took > 3*time.Second {
				t.Errorf("gave up after %s of retry waits (%s real): want within %s", waited, took, unreachableRetryWindow)
			}
		})
	}
	if dnsCalls.Load() == 0 {
		t.Error("the no-such-host dialer was never used")
	}
}

// hijackAnd answers every request by taking the connection over and doing
// fn to it, so that no HTTP answer is ever written.
func hijackAnd(fn func(conn net.Conn)) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		fn(conn)
	}
}

// TestOutagesAreRetriedAndRiddenOut: a reset, a connection dropped without
// an answer, a request that outlasts RequestTimeout and a 503 are outages.
// The client retries each to the end of its retries, and reports them as
// outages (never as unreachable), for callers to ride out.
func TestOutagesAreRetriedAndRiddenOut(t *testing.T) {
	hang := make(chan struct{})
	t.Cleanup(func() { close(hang) })
	cases := map[string]struct {
		handler http.Handler
		want    string
	}{
		"connection reset": {handler: hijackAnd(func(conn net.Conn) {
			if tcp, ok := conn.(*net.TCPConn); ok {
				_ = tcp.SetLinger(0) // close with RST
			}
			_ = conn.Close()
		}), want: "could not reach the TensorPool engine"},
		"closed without an answer": {handler: hijackAnd(func(conn net.Conn) { _ = conn.Close() }), want: "EOF"},
		"no answer within the request timeout": {handler: http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-hang:
			}
		}), want: "no answer within the request timeout of 100ms"},
		"503": {handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			jsonReply(503, `{"message":"Service unavailable"}`)(w)
		}), want: "503"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(tc.handler)
			t.Cleanup(srv.Close)
			fake := runningFakeClock(t)
			attempts := &attemptCounter{}
			c, err := New(Config{BaseURL: srv.URL, APIKey: testKey, MaxRetries: 2, RequestTimeout: 100 * time.Millisecond, Clock: fake, Logger: attempts})
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			_, err = c.GetJob(context.Background(), "job-1")
			t.Logf("%d attempts: %v", attempts.n.Load(), err)
			if !IsOutage(err) || IsUnreachable(err) {
				t.Fatalf("IsOutage=%v IsUnreachable=%v for %v", IsOutage(err), IsUnreachable(err), err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q should say %q", err, tc.want)
			}
			if n := attempts.n.Load(); n != 3 {
				t.Errorf("%d attempts, want all 3", n)
			}
			if took := time.Since(start); took > 5*time.Second {
				t.Errorf("took %s", took)
			}
		})
	}
}

func TestClassifyErrorChains(t *testing.T) {
	type class int
	const (
		final class = iota
		outage
		unreachable
	)
	wrap := func(err error) error {
		return &TransportError{Method: "GET", Path: "/job/info/j", Err: &url.Error{Op: "Get", URL: "https://engine.example/job/info/j", Err: err}}
	}
	dial := func(err error) error { return &net.OpError{Op: "dial", Net: "tcp", Err: err} }
	cases := map[string]struct {
		err  error
		want class
	}{
		"nil":                            {nil, final},
		"DNS no such host":               {wrap(dial(&net.DNSError{Err: "no such host", Name: "engine.example", IsNotFound: true})), unreachable},
		"DNS failure, bare":              {&net.DNSError{Err: "server misbehaving", Name: "engine.example"}, unreachable},
		"DNS timeout":                    {wrap(dial(&net.DNSError{Err: "i/o timeout", Name: "engine.example", IsTimeout: true})), outage},
		"DNS temporary":                  {wrap(dial(&net.DNSError{Err: "try again", Name: "engine.example", IsTemporary: true})), outage},
		"refused":                        {wrap(dial(os.NewSyscallError("connect", syscall.ECONNREFUSED))), unreachable},
		"reset":                          {wrap(&net.OpError{Op: "read", Net: "tcp", Err: os.NewSyscallError("read", syscall.ECONNRESET)}), outage},
		"unexpected EOF":                 {&TransportError{Err: fmt.Errorf("reading the response body: %w", io.ErrUnexpectedEOF)}, outage},
		"EOF":                            {wrap(io.EOF), outage},
		"request timeout":                {wrap(context.DeadlineExceeded), outage},
		"unknown authority":              {wrap(x509.UnknownAuthorityError{}), unreachable},
		"hostname mismatch":              {wrap(x509.HostnameError{Certificate: &x509.Certificate{}, Host: "engine.example"}), unreachable},
		"TLS alert from the server":      {wrap(&net.OpError{Op: "remote error", Err: errors.New("tls: handshake failure")}), unreachable},
		"TLS handshake failure, untyped": {wrap(errors.New("tls: no supported versions satisfy MinVersion and MaxVersion")), unreachable},
		"redirect to another origin":     {wrap(&RedirectError{From: "https://a", To: "http://a"}), unreachable},
		"429":                            {&APIError{StatusCode: 429}, outage},
		"500":                            {&APIError{StatusCode: 500}, outage},
		"503":                            {&APIError{StatusCode: 503}, outage},
		"501":                            {&APIError{StatusCode: 501}, final},
		"404":                            {&APIError{StatusCode: 404}, final},
		"throttled by the client":        {&ThrottledError{Method: "GET", Path: "/x", Wait: time.Second}, outage},
		"undecodable answer":             {&DecodeError{StatusCode: 200}, final},
		"invalid id":                     {&InvalidIDError{ID: "a/b"}, final},
	}
	for name, tc := range cases {
		got := final
		switch {
		case IsOutage(tc.err) && IsUnreachable(tc.err):
			t.Errorf("%s: both an outage and unreachable", name)
			continue
		case IsOutage(tc.err):
			got = outage
		case IsUnreachable(tc.err):
			got = unreachable
		}
		if got != tc.want {
			t.Errorf("%s: class %d, want %d (0 final, 1 outage, 2 unreachable)", name, got, tc.want)
		}
	}
	if isRetryable(&RedirectError{}) {
		t.Error("a refused redirect must not be retried: it will redirect again")
	}
	if d := RetryAfter(&ThrottledError{Wait: 3 * time.Second}, time.Now()); d != 3*time.Second {
		t.Errorf("RetryAfter(ThrottledError) = %s", d)
	}
}

// TestGivesUpOnPersistent429AtTheLimitersPace: an engine answering 429 to
// everything costs the retries, spaced by the shared limiter, then a 429
// that callers treat as an outage.
func TestGivesUpOnPersistent429AtTheLimitersPace(t *testing.T) {
	fake := runningFakeClock(t)
	c, rec := newTestClientWith(t, Config{RetryPolicy: fastPolicy, Clock: fake}, jsonReply(429, `{"message":"Rate limit exceeded"}`))
	start := fake.Now()
	_, err := c.GetJob(context.Background(), "job-1")
	if !hasStatus(err, 429) || !IsOutage(err) {
		t.Fatalf("want an outage 429, got %v", err)
	}
	if rec.count() != 1+DefaultMaxRetries {
		t.Errorf("%d requests, want %d", rec.count(), 1+DefaultMaxRetries)
	}
	// After the first 429 the limiter allows at most minAdaptiveRate.
	if waited, least := fake.Now().Sub(start), time.Duration(DefaultMaxRetries)*time.Second; waited < least {
		t.Errorf("the retries took %s of client time, want at least %s at 1 request/s", waited, least)
	}
}
