package provider

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/backoff"
	"github.com/tensorpool/terraform-provider-tensorpool/internal/client"
	"github.com/tensorpool/terraform-provider-tensorpool/internal/clock"
)

// scriptedAPI answers GetJob from a list of statuses (the last one repeats)
// and records every call. A status "404" answers not found; "503" a server
// error that outlasted the client's retries.
type scriptedAPI struct {
	mu        sync.Mutex
	statuses  []string
	cancel    func() (*client.CancelResult, error)
	deleteErr error
	calls     []string
}

func (s *scriptedAPI) GetJob(_ context.Context, id string) (*client.Job, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, "get")
	st := s.statuses[0]
	if len(s.statuses) > 1 {
		s.statuses = s.statuses[1:]
	}
	switch st {
	case "404":
		return nil, &client.APIError{StatusCode: 404, Message: "Job not found"}
	case "503":
		return nil, &client.APIError{StatusCode: 503, Message: "Service unavailable"}
	case "401":
		return nil, &client.APIError{StatusCode: 401, Message: "bad key"}
	}
	return &client.Job{ID: id, Status: client.ParseStatus(st)}, nil
}

func (s *scriptedAPI) CancelJob(context.Context, string) (*client.CancelResult, error) {
	s.mu.Lock()
	s.calls = append(s.calls, "cancel")
	s.mu.Unlock()
	return s.cancel()
}

func (s *scriptedAPI) DeleteJob(context.Context, string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, "delete")
	return "", s.deleteErr
}

func accepted(status client.Status) func() (*client.CancelResult, error) {
	return func() (*client.CancelResult, error) {
		return &client.CancelResult{Outcome: client.CancelAccepted, Status: status}, nil
	}
}

func cancelErr(code int, msg string) func() (*client.CancelResult, error) {
	return func() (*client.CancelResult, error) { return nil, &client.APIError{StatusCode: code, Message: msg} }
}

// flaky fails n times with a 429, then answers like then.
func flaky(n int, then func() (*client.CancelResult, error)) func() (*client.CancelResult, error) {
	return func() (*client.CancelResult, error) {
		if n > 0 {
			n--
			return nil, &client.APIError{StatusCode: 429, Message: "Rate limit exceeded", RetryAfter: "1"}
		}
		return then()
	}
}

var noCancel = func() (*client.CancelResult, error) { return nil, errors.New("cancel must not be called") }

// instantWait polls on a fake clock that a helper goroutine advances to each
// timer as soon as it is set, so waits of minutes take microseconds.
func instantWait(t *testing.T, timeout time.Duration) waitConfig {
	t.Helper()
	fake := clock.NewFake(time.Unix(0, 0))
	stop := make(chan struct{})
	t.Cleanup(func() { close(stop) })
	go fake.RunTimers(stop)
	return waitConfig{Policy: DefaultPollPolicy, Clock: fake, Timeout: timeout}
}

func TestDestroyDecisionTable(t *testing.T) {
	cases := []struct {
		name      string
		statuses  []string
		cancel    func() (*client.CancelResult, error)
		onDestroy string
		purge     bool
		wantCalls string
		want      destroyAction
		wantFinal client.Status
		wantErr   string
		wantWarn  string
		// known is the status of a refresh moments ago ("" = none).
		known string
	}{
		{name: "gone before destroy", statuses: []string{"404"}, cancel: noCancel, wantCalls: "get", want: destroyGone},
		{name: "already completed", statuses: []string{"completed"}, cancel: noCancel, wantCalls: "get", want: destroyTerminal, wantFinal: "completed"},
		{name: "already canceled, purge", statuses: []string{"canceled"}, cancel: noCancel, purge: true, wantCalls: "get,delete", want: destroyTerminal, wantFinal: "canceled"},
		{name: "abandon running", statuses: []string{"running"}, cancel: noCancel, onDestroy: onDestroyAbandon, purge: true, wantCalls: "get", want: destroyAbandoned, wantFinal: "running", wantWarn: "keeps running"},
		{name: "canceling goes straight to waiting", statuses: []string{"canceling", "canceling", "canceled"}, cancel: noCancel, wantCalls: "get,get,get", want: destroyCanceled, wantFinal: "canceled"},
		{name: "cancel 200", statuses: []string{"running"}, cancel: func() (*client.CancelResult, error) {
			return &client.CancelResult{Outcome: client.CancelAlreadyCanceled, Status: client.StatusCanceled}, nil
		}, wantCalls: "get,cancel", want: destroyCanceled, wantFinal: "canceled"},
		{name: "cancel 202 canceled at once", statuses: []string{"pending"}, cancel: accepted(client.StatusCanceled), wantCalls: "get,cancel", want: destroyCanceled, wantFinal: "canceled"},
		{name: "cancel 202 then wait", statuses: []string{"running", "canceling", "canceling", "canceled"}, cancel: accepted(client.StatusCanceling), purge: true, wantCalls: "get,cancel,get,get,get,delete", want: destroyCanceled, wantFinal: "canceled"},
		{name: "cancel 404", statuses: []string{"running"}, cancel: cancelErr(404, "Job not found"), wantCalls: "get,cancel", want: destroyGone},
		{name: "cancel 400 because it just completed", statuses: []string{"running", "completed"}, cancel: cancelErr(400, "not cancelable"), wantCalls: "get,cancel,get", want: destroyTerminal, wantFinal: "completed"},
		{name: "cancel 400 and still running", statuses: []string{"running", "running"}, cancel: cancelErr(400, "Job is not in a cancelable state"), wantCalls: "get,cancel,get", wantErr: "Job is not in a cancelable state"},
		{name: "cancel 403", statuses: []string{"running"}, cancel: cancelErr(403, "Access denied"), wantCalls: "get,cancel", wantErr: "Access denied"},
		{name: "job deleted while waiting", statuses: []string{"running", "canceling", "404"}, cancel: accepted(client.StatusCanceling), wantCalls: "get,cancel,get,get", want: destroyGone},
		{name: "5xx while waiting does not end the wait", statuses: []string{"running", "503", "503", "canceled"}, cancel: accepted(client.StatusCanceling), wantCalls: "get,cancel,get,get,get", want: destroyCanceled, wantFinal: "canceled"},
		{name: "401 while waiting ends it", statuses: []string{"running", "401"}, cancel: accepted(client.StatusCanceling), wantCalls: "get,cancel,get", wantErr: "bad key"},
		{name: "unknown status is waited on", statuses: []string{"running", "Draining", "Draining", "canceled"}, cancel: accepted(client.StatusCanceling), wantCalls: "get,cancel,get,get,get", want: destroyCanceled, wantFinal: "canceled"},
		{name: "read fails first", statuses: []string{"401"}, cancel: noCancel, wantCalls: "get", wantErr: "reading job"},
		{name: "fresh refresh says running: cancel without reading", known: "running", statuses: []string{"canceled"}, cancel: accepted(client.StatusCanceling), wantCalls: "cancel,get", want: destroyCanceled, wantFinal: "canceled"},
		{name: "fresh refresh says completed: nothing to do", known: "completed", statuses: []string{"completed"}, cancel: noCancel, wantCalls: "", want: destroyTerminal, wantFinal: "completed"},
		{name: "fresh refresh is stale by a moment: the cancel's 400 settles it", known: "running", statuses: []string{"error"}, cancel: cancelErr(400, "not cancelable"), wantCalls: "cancel,get", want: destroyTerminal, wantFinal: "error"},
		{name: "engine refuses a second cancel of a canceling job: wait", known: "running", statuses: []string{"canceling", "canceled"}, cancel: cancelErr(400, "already canceling"), wantCalls: "cancel,get,get", want: destroyCanceled, wantFinal: "canceled"},
		{name: "fresh refresh says canceling: only wait", known: "canceling", statuses: []string{"canceled"}, cancel: noCancel, wantCalls: "get", want: destroyCanceled, wantFinal: "canceled"},
		{name: "rate-limited live read is tried again", statuses: []string{"503", "503", "running", "canceled"}, cancel: accepted(client.StatusCanceling), wantCalls: "get,get,get,cancel,get", want: destroyCanceled, wantFinal: "canceled"},
		{name: "failing cancel is tried again", statuses: []string{"running", "canceled"}, cancel: flaky(2, accepted(client.StatusCanceling)), wantCalls: "get,cancel,cancel,cancel,get", want: destroyCanceled, wantFinal: "canceled"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			api := &scriptedAPI{statuses: tc.statuses, cancel: tc.cancel}
			onDestroy := tc.onDestroy
			if onDestroy == "" {
				onDestroy = onDestroyCancel
			}
			settings := destroySettings{OnDestroy: onDestroy, Purge: tc.purge, Wait: instantWait(t, time.Hour)}
			if tc.known != "" {
				settings.Known = &client.Job{ID: "job-1", Status: client.Status(tc.known)}
			}
			res, err := destroyJob(context.Background(), api, "job-1", settings)
			if got := strings.Join(api.calls, ","); got != tc.wantCalls {
				t.Errorf("calls = %s, want %s", got, tc.wantCalls)
			}
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.Action != tc.want || res.FinalStatus != tc.wantFinal {
				t.Errorf("result = %s/%q, want %s/%q", res.Action, res.FinalStatus, tc.want, tc.wantFinal)
			}
			if warn := strings.Join(res.Warnings, "\n"); !strings.Contains(warn, tc.wantWarn) || (tc.wantWarn == "" && warn != "") {
				t.Errorf("warnings = %q, want %q", warn, tc.wantWarn)
			}
		})
	}
}

func TestDestroyPurgeFailureIsAWarning(t *testing.T) {
	api := &scriptedAPI{statuses: []string{"completed"}, cancel: noCancel, deleteErr: &client.APIError{StatusCode: 500, Message: "boom"}}
	res, err := destroyJob(context.Background(), api, "job-1", destroySettings{OnDestroy: onDestroyCancel, Purge: true, Wait: instantWait(t, time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Warnings) != 1 || !strings.Contains(res.Warnings[0], "boom") {
		t.Errorf("warnings = %v", res.Warnings)
	}
}

func TestDestroyTimeoutNamesStatusAndTime(t *testing.T) {
	api := &scriptedAPI{statuses: []string{"running", "canceling"}, cancel: accepted(client.StatusCanceling)}
	_, err := destroyJob(context.Background(), api, "job-1", destroySettings{OnDestroy: onDestroyCancel, Wait: instantWait(t, 20*time.Minute)})
	var waitErr *waitError
	if !errors.As(err, &waitErr) || !waitErr.TimedOut {
		t.Fatalf("want a timed-out waitError, got %v", err)
	}
	if waitErr.LastStatus != client.StatusCanceling || waitErr.Waited != 20*time.Minute {
		t.Errorf("waitErr = %+v", waitErr)
	}
	detail := destroyErrorDetail(20*time.Minute, err)
	for _, want := range []string{`"canceling"`, "20m0s", "timeouts.delete", "terraform destroy", `on_destroy = "abandon"`, "apply"} {
		if !strings.Contains(detail, want) {
			t.Errorf("timeout message lacks %q:\n%s", want, detail)
		}
	}
	// 20 minutes on a schedule that grows to Max (with up to Jitter shorter
	// intervals): between 1200s/Max and 1200s/(Max×(1−Jitter)) reads plus
	// the ramp, not the 1200 of a fixed 1s poll.
	p := DefaultPollPolicy
	low := int(20*time.Minute/p.Max) - 5
	high := int(float64(20*time.Minute)/(float64(p.Max)*(1-p.Jitter))) + 10
	if n := len(api.calls); n > high || n < low {
		t.Errorf("%d calls during a 20m wait, want %d..%d", n, low, high)
	}
}

func TestDestroyGivesUpOnAnEngineThatKeepsFailingAtTheDeadline(t *testing.T) {
	api := &scriptedAPI{statuses: []string{"503"}, cancel: noCancel}
	_, err := destroyJob(context.Background(), api, "job-1", destroySettings{OnDestroy: onDestroyCancel, Wait: instantWait(t, time.Minute)})
	if err == nil || !strings.Contains(err.Error(), "Service unavailable") || !strings.Contains(err.Error(), "still failing") {
		t.Fatalf("err = %v", err)
	}
}

func TestDestroyTimeoutAfterRepeated5xxReportsTheError(t *testing.T) {
	api := &scriptedAPI{statuses: []string{"running", "503"}, cancel: accepted(client.StatusCanceling)}
	_, err := destroyJob(context.Background(), api, "job-1", destroySettings{OnDestroy: onDestroyCancel, Wait: instantWait(t, time.Minute)})
	if err == nil || !strings.Contains(err.Error(), "Service unavailable") || !strings.Contains(err.Error(), "timed out") {
		t.Fatalf("err = %v", err)
	}
}

func TestDestroyInterruptedByContext(t *testing.T) {
	api := &scriptedAPI{statuses: []string{"running", "canceling"}, cancel: accepted(client.StatusCanceling)}
	fake := clock.NewFake(time.Unix(0, 0))
	ctx, cancel := context.WithCancel(context.Background())
	created := fake.TimerCreated()
	go func() {
		<-created
		cancel() // Ctrl-C while the wait sleeps
	}()
	_, err := destroyJob(ctx, api, "job-1", destroySettings{OnDestroy: onDestroyCancel, Wait: waitConfig{Policy: DefaultPollPolicy, Clock: fake, Timeout: time.Hour}})
	var waitErr *waitError
	if !errors.As(err, &waitErr) || waitErr.TimedOut || !errors.Is(err, context.Canceled) {
		t.Fatalf("want an interrupted waitError, got %v", err)
	}
	if !strings.Contains(destroyErrorDetail(time.Hour, err), "run `terraform destroy` again") {
		t.Error("interrupted message must say how to finish")
	}
}

func TestDestroyErrorSummaries(t *testing.T) {
	for err, want := range map[error]string{
		&waitError{TimedOut: true}:           "Timed out",
		&waitError{}:                         "interrupted",
		fmt.Errorf("x: %w", errors.New("y")): "Could not cancel",
	} {
		if got := destroyErrorSummary(err); !strings.Contains(got, want) {
			t.Errorf("summary(%v) = %q, want %q", err, got, want)
		}
	}
}

// streamAPI is a scriptedAPI whose status the test changes while a wait runs.
type streamAPI struct {
	mu     sync.Mutex
	status client.Status
	gets   int
	// canceledAfter, when positive, makes the job canceled from that read on.
	canceledAfter int
}

func (s *streamAPI) GetJob(_ context.Context, id string) (*client.Job, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gets++
	if s.canceledAfter > 0 && s.gets >= s.canceledAfter {
		s.status = client.StatusCanceled
	}
	return &client.Job{ID: id, Status: s.status}, nil
}

func (s *streamAPI) CancelJob(context.Context, string) (*client.CancelResult, error) {
	return &client.CancelResult{Outcome: client.CancelAccepted, Status: client.StatusCanceling}, nil
}

func (s *streamAPI) DeleteJob(context.Context, string) (string, error) { return "", nil }

func (s *streamAPI) set(status client.Status) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status = status
}

func TestWaitWakesOnTheStreamAndOnlyThenReads(t *testing.T) {
	fake := clock.NewFake(time.Unix(0, 0))
	api := &streamAPI{status: client.StatusCanceling}
	wake := make(chan struct{}, 1)
	cfg := waitConfig{
		Policy:       DefaultPollPolicy,
		StreamPolicy: backoff.Policy{Initial: time.Hour, Max: time.Hour},
		Clock:        fake,
		Timeout:      2 * time.Hour,
		Listen:       func(context.Context, string) (<-chan struct{}, error) { return wake, nil },
	}
	created := fake.TimerCreated()
	done := make(chan error, 1)
	go func() {
		_, err := waitForTerminal(context.Background(), api, "job-1", nil, false, cfg)
		done <- err
	}()
	<-created // waiting, without having read: the cancel just said canceling
	api.set(client.StatusCanceled)
	wake <- struct{}{}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if api.gets != 1 || fake.Now() != time.Unix(0, 0) {
		t.Errorf("gets = %d at %v: want one read, at once, on the wake-up", api.gets, fake.Now())
	}
}

func TestWaitFallsBackToPollingWhenTheStreamEnds(t *testing.T) {
	// The job is canceled from the 4th read on.
	api := &streamAPI{status: client.StatusCanceling, canceledAfter: 4}
	wake := make(chan struct{})
	close(wake) // the stream ended without a terminal state
	cfg := instantWait(t, time.Hour)
	cfg.StreamPolicy = backoff.Policy{Initial: time.Hour, Max: time.Hour}
	cfg.Listen = func(context.Context, string) (<-chan struct{}, error) { return wake, nil }
	fake, ok := cfg.Clock.(*clock.Fake)
	if !ok {
		t.Fatalf("instantWait must use a fake clock, got %T", cfg.Clock)
	}
	if _, err := waitForTerminal(context.Background(), api, "job-1", nil, false, cfg); err != nil {
		t.Fatal(err)
	}
	// Reads at 0s (on the stream's end), then on the fallback schedule: 1s,
	// +1.5s, +2.25s (less jitter). Never an hour.
	p := DefaultPollPolicy
	want := p.Initial + time.Duration(float64(p.Initial)*p.Multiplier) + time.Duration(float64(p.Initial)*p.Multiplier*p.Multiplier)
	if waited := fake.Now().Sub(time.Unix(0, 0)); waited > want || waited < time.Duration(float64(want)*(1-p.Jitter)) {
		t.Errorf("waited %v, want about %v: the hour-long stream schedule must give way to polling", waited, want)
	}
}

func TestWaitPollsWhenTheStreamIsUnavailable(t *testing.T) {
	api := &streamAPI{status: client.StatusCanceled}
	cfg := instantWait(t, time.Hour)
	var logged string
	cfg.Logf = func(format string, args ...any) { logged = fmt.Sprintf(format, args...) }
	cfg.Listen = func(context.Context, string) (<-chan struct{}, error) { return nil, client.ErrListenUnavailable }
	if _, err := waitForTerminal(context.Background(), api, "job-1", nil, true, cfg); err != nil {
		t.Fatal(err)
	}
	if api.gets != 1 || !strings.Contains(logged, "unavailable") {
		t.Errorf("gets=%d logged=%q", api.gets, logged)
	}
}
