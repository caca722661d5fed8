package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/backoff"
	"github.com/tensorpool/terraform-provider-tensorpool/internal/clock"
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
			req, err := c.WaitForRequest(context.Background(), testRequestID, RequestWaitOptions{Timeout: time.Hour})
			if err != nil {
				t.Fatal(err)
			}
			if req.Status != RequestCompleted || req.ObjectID == nil || *req.ObjectID != "c-0123456789ab" {
				t.Errorf("final request = %+v", req)
			}
			want := []time.Duration{tc.want, tc.want, tc.want}
			if got := srv.gaps(); !reflect.DeepEqual(got, want) {
				t.Errorf("waits between reads = %v, want %v", got, want)
			}
		})
	}
}

func TestWaitForRequestTimeoutQuotesTheLastState(t *testing.T) {
	fake := runningFakeClock(t)
	c, srv := newRouteClient(t, Config{Clock: fake}, map[string][]func(http.ResponseWriter){
		requestInfoPath: {requestReply("RETRYING", capacityMessage, "4")},
	})
	last, err := c.WaitForRequest(context.Background(), testRequestID, RequestWaitOptions{Timeout: 10 * time.Second})
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
	// Reads at 0, 4 and 8 s, then a final one right at the 10 s deadline.
	want := []time.Duration{4 * time.Second, 4 * time.Second, 2 * time.Second}
	if got := srv.gaps(); !reflect.DeepEqual(got, want) {
		t.Errorf("waits between reads = %v, want %v (never past the deadline, a final read at it)", got, want)
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
	fake := clock.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
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
	<-waiting // the first read is answered and the wait has begun
	cancel()
	err := <-done
	var waitErr *RequestWaitError
	var interrupted *backoff.InterruptedError
	if !errors.As(err, &waitErr) || !errors.As(err, &interrupted) || !errors.Is(err, context.Canceled) {
		t.Fatalf("want a *RequestWaitError wrapping a *backoff.InterruptedError, got %T %v", err, err)
	}
	if !strings.Contains(err.Error(), "PROCESSING") || !strings.Contains(err.Error(), testRequestID) {
		t.Errorf("error does not quote the last state: %v", err)
	}
	if n := len(srv.requests()); n != 1 {
		t.Errorf("reads = %d, want 1", n)
	}
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
		if waited := fake.Now().Sub(start); waited > unreachableRetryWindow {
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
