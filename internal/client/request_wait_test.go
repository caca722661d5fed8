package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/backoff"
	"github.com/tensorpool/terraform-provider-tensorpool/internal/clock/clocktest"
)

const (
	testRequestID   = "r-0123456789ab"
	requestInfoPath = "GET /request/info/" + testRequestID
	capacityMessage = "Waiting for 8xB200 capacity in us-east; retrying (attempt 2)"
)

// requestInfo is a request info body; an empty message is sent as null.
func requestInfo(status, message string) string {
	msg := "null"
	if message != "" {
		data, _ := json.Marshal(message)
		msg = string(data)
	}
	return fmt.Sprintf(`{"request_id":%q,"request_type":"CLUSTER_CLAIM","status":%q,"created_at":"2026-01-01T00:00:00Z","object_id":"c-0123456789ab","external_message":%s}`,
		testRequestID, status, msg)
}

// requestReply answers a request info, with Retry-After when retryAfter is
// not "".
func requestReply(status, message, retryAfter string) func(w http.ResponseWriter) {
	if retryAfter == "" {
		return jsonReply(http.StatusOK, requestInfo(status, message))
	}
	return jsonReply(http.StatusOK, requestInfo(status, message), "Retry-After", retryAfter)
}

// readsAfter returns when each request reached srv, measured from start.
func readsAfter(srv *routeServer, start time.Time) []time.Duration {
	var at []time.Duration
	for _, r := range srv.requests() {
		at = append(at, r.At.Sub(start))
	}
	return at
}

// cliNoHeaderInterval is the official CLI's wait when the engine sends no
// Retry-After: `max(1, int(retry_after)) if retry_after else 2` [CLI].
const cliNoHeaderInterval = 2 * time.Second

func TestWaitForRequestFirstReadComesOneIntervalAfterTheCall(t *testing.T) {
	for _, status := range []string{"PENDING", "COMPLETED"} {
		t.Run(status, func(t *testing.T) {
			fake := runningFakeClock(t)
			c, srv := newRouteClient(t, Config{Clock: fake}, map[string][]func(http.ResponseWriter){
				requestInfoPath: {requestReply(status, "", "1"), requestReply("COMPLETED", "", "")},
			})
			start := fake.Now()
			if _, err := c.WaitForRequest(context.Background(), testRequestID, RequestWaitOptions{Timeout: time.Hour}); err != nil {
				t.Fatal(err)
			}
			reads := readsAfter(srv, start)
			if len(reads) == 0 || reads[0] == 0 {
				t.Fatalf("reads at %v: a request just accepted must not be read at once (it cannot have ended)", reads)
			}
			// The CLI's reads fall on 0, 2, 4 s… without the header; ours
			// must land on that grid, so that we never notice an end later.
			if reads[0] != cliNoHeaderInterval {
				t.Errorf("first read %v after the call, want %v", reads[0], cliNoHeaderInterval)
			}
		})
	}
}

func TestWaitForRequestAcceptedEarlierReadsAtOnce(t *testing.T) {
	fake := runningFakeClock(t)
	c, srv := newRouteClient(t, Config{Clock: fake}, map[string][]func(http.ResponseWriter){
		requestInfoPath: {requestReply("COMPLETED", "", "")},
	})
	start := fake.Now()
	req, err := c.WaitForRequest(context.Background(), testRequestID, RequestWaitOptions{Timeout: time.Hour, AcceptedEarlier: true})
	if err != nil || req.Status != RequestCompleted {
		t.Fatalf("got %+v, %v", req, err)
	}
	if got := readsAfter(srv, start); !reflect.DeepEqual(got, []time.Duration{0}) {
		t.Errorf("reads at %v, want one at once", got)
	}
}

func TestWaitForRequestPollsAtTheEnginesPaceWithinBounds(t *testing.T) {
	cases := []struct {
		name       string
		retryAfter string
		want       time.Duration
	}{
		{"header honoured", "3", 3 * time.Second},
		{"zero raised to the minimum", "0", MinRequestPollInterval},
		{"no header: the CLI's default", "", DefaultRequestPollInterval},
		{"long header capped", "60", MaxRequestPollInterval},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fake := runningFakeClock(t)
			c, srv := newRouteClient(t, Config{Clock: fake}, map[string][]func(http.ResponseWriter){
				requestInfoPath: {
					requestReply("PENDING", "", tc.retryAfter),
					requestReply("PROCESSING", "", tc.retryAfter),
					requestReply("PROCESSING", "", tc.retryAfter),
					requestReply("COMPLETED", "", ""),
				},
			})
			start := fake.Now()
			req, err := c.WaitForRequest(context.Background(), testRequestID, RequestWaitOptions{Timeout: time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			if req.Status != RequestCompleted || req.ObjectID == nil || *req.ObjectID != "c-0123456789ab" {
				t.Errorf("final request = %+v", req)
			}
			first := cliNoHeaderInterval // the 202 carried no Retry-After
			want := []time.Duration{first, first + tc.want, first + 2*tc.want, first + 3*tc.want}
			if got := readsAfter(srv, start); !reflect.DeepEqual(got, want) {
				t.Errorf("reads at %v after the call, want %v", got, want)
			}
		})
	}
}

func TestWaitForRequestTimeoutQuotesTheLastState(t *testing.T) {
	fake := runningFakeClock(t)
	c, srv := newRouteClient(t, Config{Clock: fake}, map[string][]func(http.ResponseWriter){
		requestInfoPath: {requestReply("RETRYING", capacityMessage, "4")},
	})
	start := fake.Now()
	last, err := c.WaitForRequest(context.Background(), testRequestID, RequestWaitOptions{Timeout: 11 * time.Second})
	var waitErr *RequestWaitError
	var timeout *backoff.TimeoutError
	if !errors.As(err, &waitErr) || !errors.As(err, &timeout) {
		t.Fatalf("want a *RequestWaitError wrapping a *backoff.TimeoutError, got %T %v", err, err)
	}
	for _, want := range []string{testRequestID, "CLUSTER_CLAIM", "RETRYING", capacityMessage, "timeout"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not quote %q: %v", want, err)
		}
	}
	if last == nil || waitErr.Last != last || last.Status != RequestRetrying {
		t.Errorf("last state = %+v, error's = %+v", last, waitErr.Last)
	}
	// Reads at 2, 6 and 10 s, then a final one right at the 11 s deadline.
	want := []time.Duration{2 * time.Second, 6 * time.Second, 10 * time.Second, 11 * time.Second}
	if got := readsAfter(srv, start); !reflect.DeepEqual(got, want) {
		t.Errorf("reads at %v after the call, want %v (never past the deadline, a final read at it)", got, want)
	}
}

func TestWaitForRequestFailedIsATypedError(t *testing.T) {
	const why = "No 8xB200 capacity in us-east after 3 attempts"
	c, _ := newRouteClient(t, Config{Clock: runningFakeClock(t)}, map[string][]func(http.ResponseWriter){
		requestInfoPath: {requestReply("PROCESSING", "", "1"), requestReply("FAILED", why, "")},
	})
	req, err := c.WaitForRequest(context.Background(), testRequestID, RequestWaitOptions{Timeout: time.Minute})
	var failed *RequestFailedError
	if !errors.As(err, &failed) || failed.Request == nil || failed.Request.Status != RequestFailed {
		t.Fatalf("want *RequestFailedError with the FAILED state, got %T %v", err, err)
	}
	for _, want := range []string{testRequestID, "CLUSTER_CLAIM", "FAILED", why} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not quote %q: %v", want, err)
		}
	}
	if req != failed.Request {
		t.Error("the FAILED state should also be returned")
	}
}

func TestWaitForRequestContextCancelIsAnInterruption(t *testing.T) {
	cases := []struct {
		name      string
		waitsSeen int // timers created before the cancel: 1 = the first wait
		wantReads int
		wantText  string
	}{
		{"during the first wait", 1, 0, "no status was read"},
		{"during a later wait", 2, 1, "PROCESSING"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// A clock that moves only when told: the waits can end only
			// through the context.
			fake := clocktest.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
			c, srv := newRouteClient(t, Config{Clock: fake}, map[string][]func(http.ResponseWriter){
				requestInfoPath: {requestReply("PROCESSING", "", "5")},
			})
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			waiting := fake.TimerCreated()
			done := make(chan error, 1)
			go func() {
				// No Timeout: only the context bounds this wait.
				_, err := c.WaitForRequest(ctx, testRequestID, RequestWaitOptions{})
				done <- err
			}()
			for i := 1; i <= tc.waitsSeen; i++ {
				select {
				case <-waiting:
				case <-time.After(10 * time.Second):
					t.Fatalf("wait %d never began", i)
				}
				if i < tc.waitsSeen {
					waiting = fake.TimerCreated()
					fake.Advance(cliNoHeaderInterval) // ends the first wait: the read follows
				}
			}
			cancel()
			var err error
			select {
			case err = <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("the wait did not end on cancel")
			}
			var waitErr *RequestWaitError
			var interrupted *backoff.InterruptedError
			if !errors.As(err, &waitErr) || !errors.As(err, &interrupted) || !errors.Is(err, context.Canceled) {
				t.Fatalf("want a *RequestWaitError wrapping a *backoff.InterruptedError, got %T %v", err, err)
			}
			if !strings.Contains(err.Error(), tc.wantText) || !strings.Contains(err.Error(), testRequestID) {
				t.Errorf("error does not quote the request and %q: %v", tc.wantText, err)
			}
			if n := len(srv.requests()); n != tc.wantReads {
				t.Errorf("reads = %d, want %d", n, tc.wantReads)
			}
		})
	}
}

func TestWaitForRequestDeadlineEndsTheFirstWait(t *testing.T) {
	t.Run("timeout shorter than the first wait", func(t *testing.T) {
		fake := runningFakeClock(t)
		c, srv := newRouteClient(t, Config{Clock: fake}, map[string][]func(http.ResponseWriter){
			requestInfoPath: {requestReply("PENDING", "", "1")},
		})
		start := fake.Now()
		timeout := cliNoHeaderInterval / 4
		_, err := c.WaitForRequest(context.Background(), testRequestID, RequestWaitOptions{Timeout: timeout})
		var timedOut *backoff.TimeoutError
		if !errors.As(err, &timedOut) {
			t.Fatalf("want a *backoff.TimeoutError, got %T %v", err, err)
		}
		// The first wait is cut to the deadline, where the final read runs.
		if got := readsAfter(srv, start); !reflect.DeepEqual(got, []time.Duration{timeout}) {
			t.Errorf("reads at %v after the call, want one at the %v deadline", got, timeout)
		}
	})
	t.Run("context deadline", func(t *testing.T) {
		// The fake clock stands still: only the context's (real) deadline
		// can end the first wait.
		fake := clocktest.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
		c, srv := newRouteClient(t, Config{Clock: fake}, map[string][]func(http.ResponseWriter){
			requestInfoPath: {requestReply("PENDING", "", "1")},
		})
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		done := make(chan error, 1)
		go func() {
			_, err := c.WaitForRequest(ctx, testRequestID, RequestWaitOptions{Timeout: time.Hour})
			done <- err
		}()
		var err error
		select {
		case err = <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("the first wait outlived the context's deadline")
		}
		var waitErr *RequestWaitError
		var timedOut *backoff.TimeoutError
		if !errors.As(err, &waitErr) || !errors.As(err, &timedOut) {
			t.Fatalf("want a *RequestWaitError wrapping a *backoff.TimeoutError, got %T %v", err, err)
		}
		if n := len(srv.requests()); n != 0 {
			t.Errorf("reads = %d, want 0", n)
		}
	})
}

func TestWaitForRequestRidesOutOutages(t *testing.T) {
	fake := runningFakeClock(t)
	// No client-level retries: each outage reaches the wait, which must
	// keep going on the engine's schedule.
	c, srv := newRouteClient(t, Config{Clock: fake, MaxRetries: -1}, map[string][]func(http.ResponseWriter){
		requestInfoPath: {
			requestReply("PROCESSING", "", ""),
			jsonReply(http.StatusServiceUnavailable, `{"message":"down"}`),
			jsonReply(http.StatusTooManyRequests, `{"message":"slow down"}`, "Retry-After", "5"),
			jsonReply(http.StatusBadGateway, `<html>bad gateway</html>`),
			requestReply("COMPLETED", "", ""),
		},
	})
	req, err := c.WaitForRequest(context.Background(), testRequestID, RequestWaitOptions{Timeout: time.Minute})
	if err != nil || req.Status != RequestCompleted {
		t.Fatalf("want COMPLETED after the outage, got %+v, %v", req, err)
	}
	want := []time.Duration{DefaultRequestPollInterval, DefaultRequestPollInterval, 5 * time.Second, DefaultRequestPollInterval}
	if got := srv.gaps(); !reflect.DeepEqual(got, want) {
		t.Errorf("waits between reads = %v, want %v", got, want)
	}
}

func TestWaitForRequestOutageUntilTheDeadlineSaysSo(t *testing.T) {
	c, _ := newRouteClient(t, Config{Clock: runningFakeClock(t), MaxRetries: -1}, map[string][]func(http.ResponseWriter){
		requestInfoPath: {requestReply("PROCESSING", "", "1"), jsonReply(http.StatusServiceUnavailable, `{"message":"engine restarting"}`)},
	})
	_, err := c.WaitForRequest(context.Background(), testRequestID, RequestWaitOptions{Timeout: 20 * time.Second})
	var waitErr *RequestWaitError
	if !errors.As(err, &waitErr) || waitErr.Outage == nil || !IsOutage(waitErr.Outage) {
		t.Fatalf("want a *RequestWaitError holding the outage, got %T %v", err, err)
	}
	if !strings.Contains(err.Error(), "engine restarting") || !strings.Contains(err.Error(), "PROCESSING") {
		t.Errorf("error should quote the last status and the failing read: %v", err)
	}

	// An outage the engine recovered from is not blamed for the timeout.
	c, _ = newRouteClient(t, Config{Clock: runningFakeClock(t), MaxRetries: -1}, map[string][]func(http.ResponseWriter){
		requestInfoPath: {
			requestReply("PROCESSING", "", "1"),
			jsonReply(http.StatusServiceUnavailable, `{"message":"engine restarting"}`),
			requestReply("PROCESSING", "", "1"),
		},
	})
	_, err = c.WaitForRequest(context.Background(), testRequestID, RequestWaitOptions{Timeout: 20 * time.Second})
	if !errors.As(err, &waitErr) || waitErr.Outage != nil || strings.Contains(err.Error(), "engine restarting") {
		t.Errorf("want a timeout that does not mention the past outage, got %v", err)
	}
}

func TestWaitForRequestFatalErrorsEndAtOnce(t *testing.T) {
	for _, code := range []int{http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			c, srv := newRouteClient(t, Config{Clock: runningFakeClock(t)}, map[string][]func(http.ResponseWriter){
				requestInfoPath: {requestReply("PROCESSING", "", "1"), jsonReply(code, `{"message":"no"}`)},
			})
			_, err := c.WaitForRequest(context.Background(), testRequestID, RequestWaitOptions{Timeout: time.Hour})
			var waitErr *RequestWaitError
			if !hasStatus(err, code) || errors.As(err, &waitErr) {
				t.Fatalf("want the %d itself, got %T %v", code, err, err)
			}
			if code == http.StatusNotFound && !IsNotFound(err) {
				t.Error("IsNotFound must see through the wrap")
			}
			if n := len(srv.requests()); n != 2 {
				t.Errorf("reads = %d, want 2 (no retry of a %d)", n, code)
			}
		})
	}
	t.Run("unreachable", func(t *testing.T) {
		fake := runningFakeClock(t)
		c, err := New(Config{BaseURL: closedPortURL(t), APIKey: testKey, Clock: fake, RetryPolicy: fastPolicy})
		if err != nil {
			t.Fatal(err)
		}
		start := fake.Now()
		_, err = c.WaitForRequest(context.Background(), testRequestID, RequestWaitOptions{Timeout: time.Hour})
		if !IsUnreachable(err) {
			t.Fatalf("want an unreachable error, got %v", err)
		}
		if waited := fake.Now().Sub(start); waited > firstRequestPoll+unreachableRetryWindow {
			t.Errorf("waited %s on an unreachable engine", waited)
		}
	})
}

func TestWaitForRequestOnChangeReportsEachChange(t *testing.T) {
	c, _ := newRouteClient(t, Config{Clock: runningFakeClock(t)}, map[string][]func(http.ResponseWriter){
		requestInfoPath: {
			requestReply("PENDING", "", "1"),
			requestReply("PENDING", "", "1"),
			requestReply("PROCESSING", "", "1"),
			requestReply("RETRYING", capacityMessage, "1"),
			requestReply("RETRYING", capacityMessage, "1"),
			requestReply("RETRYING", "attempt 3", "1"),
			requestReply("Queued", "attempt 3", "1"), // unknown: kept, not terminal
			requestReply("COMPLETED", "", ""),
		},
	})
	describe := func(r *Request) string {
		if r == nil {
			return "-"
		}
		if r.ExternalMessage != nil {
			return string(r.Status) + ":" + *r.ExternalMessage
		}
		return string(r.Status)
	}
	var calls []string
	_, err := c.WaitForRequest(context.Background(), testRequestID, RequestWaitOptions{
		Timeout:  time.Minute,
		OnChange: func(prev, cur *Request) { calls = append(calls, describe(prev)+" > "+describe(cur)) },
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"- > PENDING",
		"PENDING > PROCESSING",
		"PROCESSING > RETRYING:" + capacityMessage,
		"RETRYING:" + capacityMessage + " > RETRYING:attempt 3",
		"RETRYING:attempt 3 > QUEUED:attempt 3",
		"QUEUED:attempt 3 > COMPLETED",
	}
	if !reflect.DeepEqual(calls, want) {
		t.Errorf("OnChange calls:\n got %q\nwant %q", calls, want)
	}
}

func TestWaitForRequestRefusesABadIDWithoutARequest(t *testing.T) {
	c, srv := newRouteClient(t, Config{}, nil)
	for _, id := range []string{"", "a/b", "..", strings.Repeat("r", MaxObjectIDLength+1), "r\n1"} {
		_, err := c.WaitForRequest(context.Background(), id, RequestWaitOptions{Timeout: time.Second})
		var invalid *InvalidIDError
		if !errors.As(err, &invalid) || !strings.Contains(err.Error(), "invalid request id") {
			t.Errorf("WaitForRequest(%q): want *InvalidIDError naming a request id, got %v", id, err)
		}
	}
	if n := len(srv.requests()); n != 0 {
		t.Errorf("%d requests reached the engine", n)
	}
}

// TestWaitForRequestFollowsTheConfiguredSchedule: a client given its own
// schedule (tests run it on a millisecond scale) waits by it: first read,
// interval without Retry-After, and the cap on a long Retry-After.
func TestWaitForRequestFollowsTheConfiguredSchedule(t *testing.T) {
	fake := runningFakeClock(t)
	schedule := RequestPollSchedule{First: 3 * time.Second, Min: time.Second, Default: 5 * time.Second, Max: 7 * time.Second}
	c, srv := newRouteClient(t, Config{Clock: fake, RequestPoll: schedule}, map[string][]func(http.ResponseWriter){
		requestInfoPath: {requestReply("PENDING", "", ""), requestReply("PROCESSING", "", "60"), requestReply("COMPLETED", "", "")},
	})
	start := fake.Now()
	if _, err := c.WaitForRequest(context.Background(), testRequestID, RequestWaitOptions{Timeout: time.Hour}); err != nil {
		t.Fatal(err)
	}
	want := []time.Duration{3 * time.Second, 8 * time.Second, 15 * time.Second}
	if got := readsAfter(srv, start); !slices.Equal(got, want) {
		t.Errorf("reads at %v after the call, want %v (first 3 s, then the default 5 s, then Retry-After 60 capped at 7 s)", got, want)
	}
}
