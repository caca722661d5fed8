package client

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/clock"
)

// routeServer is an httptest server answering each "METHOD /path" from its
// own script (the last reply repeats) and recording every request with the
// time on the test's clock, so that tests can measure the client's waits.
type routeServer struct {
	mu     sync.Mutex
	clock  clock.Clock
	routes map[string][]func(w http.ResponseWriter)
	served map[string]int
	got    []routedRequest
}

type routedRequest struct {
	Method, Path string
	Body         map[string]any
	At           time.Time
}

func (s *routeServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	data, _ := io.ReadAll(r.Body)
	var body map[string]any
	_ = json.Unmarshal(data, &body)
	key := r.Method + " " + r.URL.EscapedPath()
	s.mu.Lock()
	s.got = append(s.got, routedRequest{Method: r.Method, Path: r.URL.EscapedPath(), Body: body, At: s.clock.Now()})
	script := s.routes[key]
	n := s.served[key]
	s.served[key]++
	s.mu.Unlock()
	if len(script) == 0 && defaultLists[key] != "" {
		// The list a create reads before it is sent: empty, unless the
		// test scripts it.
		jsonReply(http.StatusOK, defaultLists[key])(w)
		return
	}
	if len(script) == 0 {
		// Not an outage status: an unexpected route must fail the test
		// at once, not be retried.
		jsonReply(http.StatusTeapot, `{"message":"no such route in the test: `+key+`"}`)(w)
		return
	}
	script[min(n, len(script)-1)](w)
}

// defaultLists answer the list routes a test does not script.
var defaultLists = map[string]string{
	"GET /cluster/list": `{"message":"No clusters"}`,
	"GET /storage/list": `{"message":""}`,
}

// requestsTo returns what the server received so far on route
// ("POST /cluster/create").
func (s *routeServer) requestsTo(route string) []routedRequest {
	return slices.DeleteFunc(s.requests(), func(r routedRequest) bool { return r.Method+" "+r.Path != route })
}

// requests returns what the server received so far.
func (s *routeServer) requests() []routedRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]routedRequest(nil), s.got...)
}

// gaps returns the time between consecutive requests.
func (s *routeServer) gaps() []time.Duration {
	got := s.requests()
	var gaps []time.Duration
	for i := 1; i < len(got); i++ {
		gaps = append(gaps, got[i].At.Sub(got[i-1].At))
	}
	return gaps
}

// newRouteClient starts a routeServer and a client for it. cfg.Clock, when
// set, is also the server's clock.
func newRouteClient(t *testing.T, cfg Config, routes map[string][]func(w http.ResponseWriter)) (*Client, *routeServer) {
	t.Helper()
	srv := &routeServer{clock: clock.OrReal(cfg.Clock), routes: routes, served: map[string]int{}}
	httpSrv := httptest.NewServer(srv)
	t.Cleanup(httpSrv.Close)
	if cfg.RetryPolicy == (Config{}).RetryPolicy {
		cfg.RetryPolicy = fastPolicy
	}
	cfg.BaseURL, cfg.APIKey = httpSrv.URL, testKey
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c, srv
}

func ptr[T any](v T) *T { return &v }
