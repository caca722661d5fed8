package client

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/clock"
	"github.com/tensorpool/terraform-provider-tensorpool/internal/clock/clocktest"
)

// Every change call, by what it does: sent again when the engine provably
// did nothing, reconciled by reading after an ambiguous failure, never
// sent twice when a read says it is in effect or no read can tell.

var (
	rateLimited   = jsonReply(http.StatusTooManyRequests, `{"message":"Rate limit exceeded"}`, "Retry-After", "0")
	unavailable   = jsonReply(http.StatusServiceUnavailable, `{"message":"Service unavailable"}`, "Retry-After", "0")
	internalError = jsonReply(http.StatusInternalServerError, `{"message":"Internal server error"}`)
	accepted      = jsonReply(http.StatusAccepted, `{"request_id":"r-1","cluster_id":"c-1","storage_id":"s-1","key_id":"k-1","message":"ok"}`)
)

// changeCall is one change of the client, with the reads that reconcile it.
type changeCall struct {
	route string // "METHOD /path" of the change
	call  func(c *Client) error
	// done and notDone answer the reconciling read, in effect or not;
	// readRoute is its route. Empty for a change no read can settle.
	readRoute     string
	done, notDone func(http.ResponseWriter)
	// before answers reads the call makes before it sends the change (the
	// key list an add reads first, the list a create reads first), when it
	// makes one.
	before []func(http.ResponseWriter)
	// also answers the other reads that settle it (a new object's info).
	also map[string]func(http.ResponseWriter)
}

// routes are the change's scripts: route answers as given, the
// reconciling read with reads, and also.
func (cc changeCall) routes(route []func(http.ResponseWriter), reads []func(http.ResponseWriter)) map[string][]func(http.ResponseWriter) {
	routes := map[string][]func(http.ResponseWriter){cc.route: route, cc.readRoute: reads}
	for r, reply := range cc.also {
		routes[r] = []func(http.ResponseWriter){reply}
	}
	return routes
}

// reads is what the reconciling route answers, in order: the reads before
// the change, then last.
func (cc changeCall) reads(last func(http.ResponseWriter)) []func(http.ResponseWriter) {
	return append(slices.Clone(cc.before), last)
}

// runningClock is a fake clock whose timers fire as soon as they exist, so
// that the limiter's pauses after a 429 take no real time.
func runningClock(t *testing.T) clock.Clock {
	fake := clocktest.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop) })
	go fake.RunTimers(stop)
	return fake
}

const pubKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIF0 me@host"

func changeCalls() map[string]changeCall {
	ctx := context.Background()
	info := func(body string) func(http.ResponseWriter) { return jsonReply(http.StatusOK, body) }
	return map[string]changeCall{
		"CreateCluster": {route: "POST /cluster/create", call: func(c *Client) error {
			_, err := c.CreateCluster(ctx, ClusterSpec{InstanceType: "1xH100"})
			return err
		}, readRoute: "GET /cluster/list", before: []func(http.ResponseWriter){info(`{"message":"No clusters"}`)},
			done: info(`{"message":"c-1  PENDING  1 × 1xH100"}`), notDone: info(`{"message":"No clusters"}`),
			also: map[string]func(http.ResponseWriter){"GET /cluster/info/c-1": info(`{"cluster_info":{"instance_type":"1xH100","num_nodes":1}}`)}},
		"CreateStorage": {route: "POST /storage/create", call: func(c *Client) error {
			_, err := c.CreateStorage(ctx, StorageSpec{SizeGB: 100})
			return err
		}, readRoute: "GET /storage/list", before: []func(http.ResponseWriter){info(`{"message":""}`)},
			done: info(`{"message":"s-1"}`), notDone: info(`{"message":""}`),
			also: map[string]func(http.ResponseWriter){"GET /storage/info/s-1": info(`{"storage_info":{"size_gb":100}}`)}},
		"DestroyCluster": {route: "DELETE /cluster/c-1", call: func(c *Client) error {
			_, err := c.DestroyCluster(ctx, "c-1")
			return err
		}, readRoute: "GET /cluster/info/c-1",
			done: info(`{"cluster_info":{"status":"DESTROYING"}}`), notDone: info(`{"cluster_info":{"status":"RUNNING"}}`)},
		"DestroyStorage": {route: "DELETE /storage/s-1", call: func(c *Client) error {
			_, err := c.DestroyStorage(ctx, "s-1")
			return err
		}, readRoute: "GET /storage/info/s-1",
			done: info(`{"storage_info":{"status":"DESTROYED"}}`), notDone: info(`{"storage_info":{"status":"AVAILABLE"}}`)},
		"AttachStorage": {route: "POST /storage/attach", call: func(c *Client) error {
			_, err := c.AttachStorage(ctx, "s-1", []string{"c-1"})
			return err
		}, readRoute: "GET /storage/info/s-1",
			done: info(`{"storage_info":{"cluster_ids":["c-1"]}}`), notDone: info(`{"storage_info":{"cluster_ids":[]}}`)},
		"DetachStorage": {route: "POST /storage/detach", call: func(c *Client) error {
			_, err := c.DetachStorage(ctx, "s-1", "c-1")
			return err
		}, readRoute: "GET /storage/info/s-1",
			done: info(`{"storage_info":{"cluster_ids":[]}}`), notDone: info(`{"storage_info":{"cluster_ids":["c-1"]}}`)},
		"AddSSHKey": {route: "POST /user/ssh-key/add", call: func(c *Client) error {
			_, err := c.AddSSHKey(ctx, pubKey, nil)
			return err
		}, readRoute: "GET " + sshKeyListPath, before: []func(http.ResponseWriter){info(`{"ssh_keys":[]}`)},
			done: info(`{"ssh_keys":[{"key_id":"k-1","public_key":"` + pubKey + `"}]}`), notDone: info(`{"ssh_keys":[]}`)},
	}
}

func TestChangesAreSentAgainWhenTheEngineProvablyDidNothing(t *testing.T) {
	for name, cc := range changeCalls() {
		for fault, reply := range map[string]func(http.ResponseWriter){"429": rateLimited, "503 with Retry-After": unavailable} {
			t.Run(name+"/"+fault, func(t *testing.T) {
				c, srv := newRouteClient(t, Config{Clock: runningClock(t)}, map[string][]func(http.ResponseWriter){
					cc.route: {reply, reply, accepted}, cc.readRoute: cc.reads(cc.done),
				})
				if err := cc.call(c); err != nil {
					t.Fatalf("want success after two refusals, got %v", err)
				}
				if n := srv.served[cc.route]; n != 3 {
					t.Errorf("sent %d times, want 3", n)
				}
			})
		}
	}
}

func TestAmbiguousChangesAreReconciledByReading(t *testing.T) {
	for name, cc := range changeCalls() {
		t.Run(name, func(t *testing.T) {
			if cc.readRoute == "" {
				// No read tells: fail once, naming what may exist.
				c, srv := newRouteClient(t, Config{}, map[string][]func(http.ResponseWriter){cc.route: {internalError, accepted}})
				err := cc.call(c)
				if !IsUnconfirmed(err) || IsOutage(err) || IsUnreachable(err) {
					t.Fatalf("want an *UnconfirmedError that is no outage, got %v", err)
				}
				if !strings.Contains(err.Error(), "find it with `tp ") {
					t.Errorf("the error must say how to find what may exist: %v", err)
				}
				if n := srv.served[cc.route]; n != 1 {
					t.Errorf("sent %d times, want once", n)
				}
				return
			}
			// The read finds the change in effect: not sent again.
			c, srv := newRouteClient(t, Config{}, cc.routes([]func(http.ResponseWriter){internalError, accepted}, cc.reads(cc.done)))
			if err := cc.call(c); err != nil {
				t.Fatalf("in effect: want success, got %v", err)
			}
			if n := srv.served[cc.route]; n != 1 {
				t.Errorf("in effect: sent %d times, want once", n)
			}
			if srv.served[cc.readRoute] == 0 {
				t.Errorf("in effect: the engine was not read")
			}
			// The read finds it not in effect: sent again.
			c, srv = newRouteClient(t, Config{}, cc.routes([]func(http.ResponseWriter){internalError, accepted}, cc.reads(cc.notDone)))
			if err := cc.call(c); err != nil {
				t.Fatalf("not in effect: want success, got %v", err)
			}
			if n := srv.served[cc.route]; n != 2 {
				t.Errorf("not in effect: sent %d times, want twice", n)
			}
		})
	}
}

func TestAnAttachRefusedAfterALostAnswerIsUnconfirmed(t *testing.T) {
	// The engine does not list an attach under way [INF]: the second copy
	// is refused because the first was taken.
	c, srv := newRouteClient(t, Config{}, map[string][]func(http.ResponseWriter){
		"POST /storage/attach":  {internalError, jsonReply(http.StatusBadRequest, `{"message":"Storage volume s-1 is already attached to cluster c-1"}`)},
		"GET /storage/info/s-1": {jsonReply(http.StatusOK, `{"storage_info":{"cluster_ids":[]}}`)},
	})
	_, err := c.AttachStorage(context.Background(), "s-1", []string{"c-1"})
	if !IsUnconfirmed(err) || !IsBadRequest(err) || !strings.Contains(err.Error(), "tp storage info s-1") {
		t.Fatalf("want an *UnconfirmedError around the 400 naming `tp storage info s-1`, got %v", err)
	}
	if n := srv.served["POST /storage/attach"]; n != 2 {
		t.Errorf("sent %d times, want twice", n)
	}
	// Without a lost answer first, the same refusal is final as it is.
	c, _ = newRouteClient(t, Config{}, map[string][]func(http.ResponseWriter){
		"POST /storage/attach": {jsonReply(http.StatusBadRequest, `{"message":"Cluster c-1 is PENDING"}`)},
	})
	if _, err := c.AttachStorage(context.Background(), "s-1", []string{"c-1"}); IsUnconfirmed(err) || !IsBadRequest(err) {
		t.Errorf("want the plain 400, got %v", err)
	}
}

func TestAChangeRidesOutRefusalsUntilItsDeadline(t *testing.T) {
	// Far more refusals than MaxRetries: within a deadline the change keeps
	// going; without one it stops after MaxRetries.
	c, srv := newRouteClient(t, Config{MaxRetries: 2, Clock: runningClock(t)}, map[string][]func(http.ResponseWriter){
		"POST /cluster/create": {rateLimited, rateLimited, rateLimited, rateLimited, rateLimited, rateLimited, accepted},
	})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := c.CreateCluster(ctx, ClusterSpec{InstanceType: "1xH100"}); err != nil {
		t.Fatalf("within a deadline: %v", err)
	}
	if n := srv.served["POST /cluster/create"]; n != 7 {
		t.Errorf("sent %d times, want 7", n)
	}
	// Without a deadline it rides them out for changeRideOut, then gives up.
	c, srv = newRouteClient(t, Config{MaxRetries: 2, Clock: runningClock(t)}, map[string][]func(http.ResponseWriter){"POST /cluster/create": {rateLimited}})
	if _, err := c.CreateCluster(context.Background(), ClusterSpec{InstanceType: "1xH100"}); !IsOutage(err) {
		t.Fatalf("without a deadline: want the 429, got %v", err)
	}
	got := srv.requests()
	if span := got[len(got)-1].At.Sub(got[0].At); len(got) <= 3 || span > changeRideOut {
		t.Errorf("without a deadline: %d attempts over %s, want more than MaxRetries+1 within %s", len(got), span, changeRideOut)
	}
}

func TestConnectionRefusedAfterTheEngineWasReachedIsAnOutage(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		jsonReply(http.StatusOK, `{"cluster_info":{"status":"RUNNING"}}`)(w)
	}))
	newClient := func() *Client {
		c, err := New(Config{BaseURL: srv.URL, APIKey: testKey, RetryPolicy: fastPolicy})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	talked := newClient()
	if _, err := talked.GetCluster(context.Background(), "c-1"); err != nil {
		t.Fatal(err)
	}
	srv.Close() // the engine goes away: its port now refuses connections
	_, err := talked.GetCluster(context.Background(), "c-1")
	if !IsOutage(err) || IsUnreachable(err) || !engineDidNothing(err) {
		t.Errorf("refused after the engine answered: want an outage (restart), got %v", err)
	}
	_, err = newClient().GetCluster(context.Background(), "c-1")
	if IsOutage(err) || !IsUnreachable(err) {
		t.Errorf("refused before any answer: want unreachable (configuration), got %v", err)
	}
}

func TestACancelDoesNotCutAChangeOnItsWay(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodGet { // the cluster list read before the claim
			jsonReply(http.StatusOK, `{"message":"No clusters"}`)(w)
			return
		}
		cancel() // Ctrl-C while the engine works on the claim
		<-release
		accepted(w)
	}))
	defer srv.Close()
	go func() { <-ctx.Done(); close(release) }()
	c, err := New(Config{BaseURL: srv.URL, APIKey: testKey, RetryPolicy: fastPolicy})
	if err != nil {
		t.Fatal(err)
	}
	created, err := c.CreateCluster(ctx, ClusterSpec{InstanceType: "1xH100"})
	if err != nil || created.ClusterID != "c-1" {
		t.Fatalf("the claim's answer must be read after the cancel: %+v, %v", created, err)
	}
	// A read is cut short as before.
	if _, err := c.GetCluster(ctx, "c-1"); err == nil {
		t.Error("a read after the cancel must fail")
	}
}
