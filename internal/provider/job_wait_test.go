package provider

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework-timeouts/resource/timeouts"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/client"
	"github.com/tensorpool/terraform-provider-tensorpool/internal/clock"
	"github.com/tensorpool/terraform-provider-tensorpool/internal/clock/clocktest"
)

// scriptedAPI answers GetJob from a list of statuses (the last one repeats)
// and records every call. A status "404" answers not found; "503" a server
// error and "429" a rate limit that outlasted the client's retries;
// "refused" the error of an engine that refuses connections.
type scriptedAPI struct {
	mu        sync.Mutex
	statuses  []string
	cancel    func() (*client.CancelResult, error)
	deleteErr error
	refused   error
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
	case "429":
		return nil, &client.APIError{StatusCode: 429, Message: "Rate limit exceeded", RetryAfter: "1"}
	case "refused":
		return nil, s.refused
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
	fake := clocktest.NewFake(time.Unix(0, 0))
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
		// known is the status in the Terraform state ("" = none).
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
		{name: "state says running: cancel without reading", known: "running", statuses: []string{"canceled"}, cancel: accepted(client.StatusCanceling), wantCalls: "cancel,get", want: destroyCanceled, wantFinal: "canceled"},
		{name: "state says completed: nothing to do", known: "completed", statuses: []string{"completed"}, cancel: noCancel, wantCalls: "", want: destroyTerminal, wantFinal: "completed"},
		{name: "state is stale: the cancel's 400 and a read settle it", known: "running", statuses: []string{"error"}, cancel: cancelErr(400, "not cancelable"), wantCalls: "cancel,get", want: destroyTerminal, wantFinal: "error"},
		{name: "engine refuses a second cancel of a canceling job: wait", known: "running", statuses: []string{"canceling", "canceled"}, cancel: cancelErr(400, "already canceling"), wantCalls: "cancel,get,get", want: destroyCanceled, wantFinal: "canceled"},
		{name: "state says canceling: only wait", known: "canceling", statuses: []string{"canceled"}, cancel: noCancel, wantCalls: "get", want: destroyCanceled, wantFinal: "canceled"},
		{name: "rate-limited live read is tried again", statuses: []string{"503", "503", "running", "canceled"}, cancel: accepted(client.StatusCanceling), wantCalls: "get,get,get,cancel,get", want: destroyCanceled, wantFinal: "canceled"},
		{name: "state is stale and the read after the cancel's 400 is rate-limited: read again", known: "running", statuses: []string{"429", "503", "completed"}, cancel: cancelErr(400, "not cancelable"), wantCalls: "cancel,get,get,get", want: destroyTerminal, wantFinal: "completed"},
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
			// OnCancel (the cancel action's "Canceling job …") comes right
			// before the first cancel, and never without one.
			announcedAt := -1
			settings.OnCancel = func() { announcedAt = len(api.calls) }
			res, err := destroyJob(context.Background(), api, "job-1", settings)
			if got := strings.Join(api.calls, ","); got != tc.wantCalls {
				t.Errorf("calls = %s, want %s", got, tc.wantCalls)
			}
			if firstCancel := slices.Index(api.calls, "cancel"); announcedAt != firstCancel {
				t.Errorf("OnCancel called before call %d, the first cancel is call %d (-1: none)", announcedAt, firstCancel)
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

// connectionRefused is the error the real client returns for an engine
// that refuses connections (a port that was just closed), so that the
// provider is tested against the client's own classification.
func connectionRefused(t *testing.T) error {
	t.Helper()
	ln, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	api, err := client.New(client.Config{BaseURL: "http://" + addr, APIKey: accKey, MaxRetries: -1})
	if err != nil {
		t.Fatal(err)
	}
	_, err = api.GetJob(context.Background(), "job-1")
	if !client.IsUnreachable(err) || client.IsOutage(err) {
		t.Fatalf("a refused connection must be unreachable and not an outage: %v", err)
	}
	return err
}

// An engine that cannot be reached is a configuration or network problem:
// the destroy fails at once, saying so, instead of waiting for
// timeouts.delete.
func TestDestroyFailsFastWhenTheEngineRefusesConnections(t *testing.T) {
	refused := connectionRefused(t)
	cases := []struct {
		name, known string
		statuses    []string
		cancel      func() (*client.CancelResult, error)
		wantCalls   string
		// polls is how many poll intervals may pass before the failure.
		polls int
	}{
		{name: "the read before the cancel", statuses: []string{"refused"}, cancel: noCancel, wantCalls: "get"},
		{name: "the cancel", known: "running", statuses: []string{"running"},
			cancel: func() (*client.CancelResult, error) { return nil, refused }, wantCalls: "cancel"},
		{name: "a read while waiting", known: "running", statuses: []string{"refused"}, cancel: accepted(client.StatusCanceling), wantCalls: "cancel,get", polls: 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			api := &scriptedAPI{statuses: tc.statuses, cancel: tc.cancel, refused: refused}
			wait := instantWait(t, 20*time.Minute)
			settings := destroySettings{OnDestroy: onDestroyCancel, Wait: wait}
			if tc.known != "" {
				settings.Known = &client.Job{ID: "job-1", Status: client.Status(tc.known)}
			}
			start := wait.Clock.Now()
			_, err := destroyJob(context.Background(), api, "job-1", settings)
			if got := strings.Join(api.calls, ","); got != tc.wantCalls {
				t.Errorf("calls = %s, want %s", got, tc.wantCalls)
			}
			if waited := wait.Clock.Now().Sub(start); waited > time.Duration(tc.polls)*wait.Policy.Max {
				t.Errorf("waited %v before failing, want at most %d poll interval(s)", waited, tc.polls)
			}
			if err == nil || !strings.Contains(err.Error(), "could not reach") || !strings.Contains(err.Error(), "connection refused") {
				t.Fatalf("err = %v, want the client's \"could not reach … connection refused\"", err)
			}
			if summary := destroyErrorSummary(err); !strings.Contains(summary, "Could not reach") {
				t.Errorf("summary = %q", summary)
			}
			detail := destroyErrorDetail(20*time.Minute, err)
			for _, want := range []string{"configuration or network problem", "stays in the Terraform state", "engine_url"} {
				if !strings.Contains(detail, want) {
					t.Errorf("detail lacks %q:\n%s", want, detail)
				}
			}
		})
	}
}

// An engine that is busy or briefly down (429, 5xx) is ridden out, at every
// step of a destroy, until the deadline.
func TestDestroyRidesOutAnOutageUntilTheDeadline(t *testing.T) {
	outage := map[string]error{
		"429": &client.APIError{StatusCode: 429, Message: "Rate limit exceeded", RetryAfter: "1"},
		"503": &client.APIError{StatusCode: 503, Message: "Service unavailable"},
	}
	for code, answer := range outage {
		cases := []struct {
			name, known string
			statuses    []string
			cancel      func() (*client.CancelResult, error)
			wantErr     string
		}{
			{name: "the read before the cancel", statuses: []string{code}, cancel: noCancel, wantErr: "still failing"},
			{name: "the cancel", known: "running", statuses: []string{"running"},
				cancel: func() (*client.CancelResult, error) { return nil, answer }, wantErr: "still failing"},
			{name: "the reads while waiting", known: "running", statuses: []string{code}, cancel: accepted(client.StatusCanceling), wantErr: "timed out"},
		}
		for _, tc := range cases {
			t.Run(code+" on "+tc.name, func(t *testing.T) {
				api := &scriptedAPI{statuses: tc.statuses, cancel: tc.cancel}
				wait := instantWait(t, time.Minute)
				settings := destroySettings{OnDestroy: onDestroyCancel, Wait: wait}
				if tc.known != "" {
					settings.Known = &client.Job{ID: "job-1", Status: client.Status(tc.known)}
				}
				start := wait.Clock.Now()
				_, err := destroyJob(context.Background(), api, "job-1", settings)
				if err == nil || !strings.Contains(err.Error(), answer.Error()) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want the engine's answer and %q", err, tc.wantErr)
				}
				if waited := wait.Clock.Now().Sub(start); waited != time.Minute {
					t.Errorf("gave up after %v, want the whole minute", waited)
				}
				if n := len(api.calls); n < 5 {
					t.Errorf("%d calls in a minute of outage: it was not ridden out", n)
				}
			})
		}
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
	fake := clocktest.NewFake(time.Unix(0, 0))
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
	// read, when set, receives the number of each read as it is made.
	read chan int
}

func (s *streamAPI) GetJob(_ context.Context, id string) (*client.Job, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.gets++
	if s.read != nil {
		s.read <- s.gets
	}
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

// scriptedStream is a Listen function whose stream the test controls: each
// call is announced on opened, and the stream forwards what the test sends
// on events, and ends when the test closes events.
type scriptedStream struct {
	opened chan struct{}
	events chan client.ListenEvent
}

func newScriptedStream() *scriptedStream {
	return &scriptedStream{opened: make(chan struct{}, 1), events: make(chan client.ListenEvent)}
}

// The stream's last message, as the engine sends it for a job that did not
// complete, and a message naming a job status.
var (
	streamEnd  = client.ListenEvent{Message: "Job canceled", Status: "error", Final: true}
	streamSays = func(status client.Status) client.ListenEvent {
		return client.ListenEvent{Message: "Job is " + string(status), Status: string(status), JobStatus: status}
	}
)

// listen forwards the test's events, and ends the stream (closes it) when
// the test closes events or the wait ends, as a real stream does.
func (s *scriptedStream) listen(ctx context.Context, _ string) (<-chan client.ListenEvent, error) {
	s.opened <- struct{}{}
	out := make(chan client.ListenEvent)
	go func() {
		defer close(out)
		for {
			select {
			case ev, open := <-s.events:
				if !open {
					return
				}
				select {
				case out <- ev:
				case <-ctx.Done():
					return
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	return out, nil
}

// send hands the stream one message and returns once the wait has taken it.
func (s *scriptedStream) send(ev client.ListenEvent) { s.events <- ev }

// waitForTimers returns once the fake clock holds n pending timers, or fails
// the test after a while (real time: a safety net, not a synchronisation).
func waitForTimers(t *testing.T, fake *clocktest.Fake, n int) {
	t.Helper()
	giveUp := time.After(10 * time.Second)
	for {
		created := fake.TimerCreated()
		if fake.Pending() >= n {
			return
		}
		select {
		case <-created:
		case <-giveUp:
			t.Fatalf("%d timers pending, want %d", fake.Pending(), n)
		}
	}
}

// waitForDeadline returns once the fake clock's earliest timer is due at
// at, or fails the test after a while (real time: a safety net).
func waitForDeadline(t *testing.T, fake *clocktest.Fake, at time.Time) {
	t.Helper()
	giveUp := time.After(10 * time.Second)
	for {
		created := fake.TimerCreated()
		if next, ok := fake.NextDeadline(); ok && next.Equal(at) {
			return
		}
		select {
		case <-created:
		case <-giveUp:
			next, _ := fake.NextDeadline()
			t.Fatalf("the next timer is due at %v, want %v", next, at)
		}
	}
}

func TestWaitWakesOnTheStreamAndOnlyThenReads(t *testing.T) {
	fake := clocktest.NewFake(time.Unix(0, 0))
	api := &streamAPI{status: client.StatusRunning}
	stream := newScriptedStream()
	cfg := waitConfig{Policy: DefaultPollPolicy, Clock: fake, Timeout: 2 * time.Hour, Listen: stream.listen}
	done := make(chan error, 1)
	go func() {
		_, err := waitForTerminal(context.Background(), api, "job-1", nil, true, untilFinished, cfg)
		done <- err
	}()
	<-stream.opened // the first read found the job running: the stream opens
	// Messages that say the job still runs cost nothing.
	stream.send(streamSays(client.StatusRunning))
	stream.send(client.ListenEvent{Message: "epoch 1/10", Status: "running", JobStatus: client.StatusRunning})
	api.set(client.StatusCompleted)
	stream.send(client.ListenEvent{Message: "Job completed", Status: "success", Final: true})
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if api.gets != 2 || fake.Now() != time.Unix(0, 0) {
		t.Errorf("gets = %d at %v: want the first read, then one at once on the stream's last message", api.gets, fake.Now())
	}
}

func TestWaitOpensNoStreamForAJobThatHasStoppedByTheFirstLook(t *testing.T) {
	api := &streamAPI{status: client.StatusCanceled}
	cfg := instantWait(t, time.Hour)
	stream := newScriptedStream()
	cfg.Listen = stream.listen
	if _, err := waitForTerminal(context.Background(), api, "job-1", nil, true, untilStopped, cfg); err != nil {
		t.Fatal(err)
	}
	select {
	case <-stream.opened:
		t.Error("a stream was opened for a job whose first read found it stopped")
	default:
	}
}

// After a cancel the stream opens before any read, its messages short of
// the end cost nothing, and its last message is confirmed by one read, at
// once: the cancel, the handshake and one GET in all.
func TestDestroyFollowsTheStreamFromTheCancel(t *testing.T) {
	fake := clocktest.NewFake(time.Unix(0, 0))
	api := &streamAPI{status: client.StatusCanceling}
	stream := newScriptedStream()
	cfg := waitConfig{Policy: DefaultPollPolicy, Clock: fake, Timeout: time.Hour, Listen: stream.listen}
	done := make(chan error, 1)
	go func() {
		known := &client.Job{ID: "job-1", Status: client.StatusRunning}
		_, err := destroyJob(context.Background(), api, "job-1", destroySettings{OnDestroy: onDestroyCancel, Wait: cfg, Known: known})
		done <- err
	}()
	<-stream.opened
	stream.send(streamSays(client.StatusCanceling))
	// Hours pass with the stream open and quiet: only the guard reads come.
	for range 3 {
		waitForTimers(t, fake, 1)
		fake.Advance(streamGuardInterval)
	}
	waitForTimers(t, fake, 1)
	if api.gets != 3 {
		t.Fatalf("gets = %d after %v with the stream open: want one guard read every %v", api.gets, 3*streamGuardInterval, streamGuardInterval)
	}
	api.set(client.StatusCanceled)
	stream.send(streamEnd)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if api.gets != 4 || fake.Now() != time.Unix(0, 0).Add(3*streamGuardInterval) {
		t.Errorf("gets = %d at %v: the stream's last message must be confirmed by one read, at once", api.gets, fake.Now())
	}
}

// The stream's last message, confirmed by a read that still finds the job
// canceling (an engine whose status lags its stream), hands the wait back
// to the poll schedule, without a second read for the stream's close.
func TestAStreamAheadOfTheStatusHandsBackToTheSchedule(t *testing.T) {
	fake := clocktest.NewFake(time.Unix(0, 0))
	api := &streamAPI{status: client.StatusCanceling, canceledAfter: 2, read: make(chan int, 2)}
	stream := newScriptedStream()
	cfg := waitConfig{Policy: DefaultPollPolicy, Clock: fake, Timeout: time.Hour, Listen: stream.listen}
	cfg.Policy.Jitter = 0
	done := make(chan error, 1)
	go func() {
		_, err := waitForTerminal(context.Background(), api, "job-1", &client.Job{Status: client.StatusCanceling}, false, untilStopped, cfg)
		done <- err
	}()
	<-stream.opened
	stream.send(streamEnd)
	close(stream.events)
	// The confirming read comes at once (and after it, only timers the wait
	// set since, none left from before the stream opened). Then the
	// schedule is back: the next read is one poll interval away (not a
	// guard interval), and no other read comes before it.
	if n := <-api.read; n != 1 || fake.Now() != time.Unix(0, 0) {
		t.Fatalf("read %d at %v, want the confirming read at once", n, fake.Now())
	}
	next := time.Unix(0, 0).Add(DefaultPollPolicy.Max)
	waitForDeadline(t, fake, next)
	fake.Advance(DefaultPollPolicy.Max)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if api.gets != 2 || fake.Now() != time.Unix(0, 0).Add(DefaultPollPolicy.Max) {
		t.Errorf("gets = %d at %v: want the confirming read, then one on the schedule", api.gets, fake.Now())
	}
}

func TestWaitFallsBackToPollingWhenTheStreamEnds(t *testing.T) {
	// The job is canceled from the 4th read on.
	api := &streamAPI{status: client.StatusCanceling, canceledAfter: 4, read: make(chan int, 4)}
	fake := clocktest.NewFake(time.Unix(0, 0))
	stream := newScriptedStream()
	cfg := waitConfig{Policy: DefaultPollPolicy, Clock: fake, Timeout: time.Hour, Listen: stream.listen}
	done := make(chan error, 1)
	go func() {
		_, err := waitForTerminal(context.Background(), api, "job-1", nil, true, untilStopped, cfg)
		done <- err
	}()
	<-stream.opened
	stream.send(streamSays(client.StatusCanceling))
	// The stream ends without its last message: one read at once (it may
	// have missed the end), then polling on the one schedule.
	if n := <-api.read; n != 1 {
		t.Fatalf("read %d first, want 1", n)
	}
	close(stream.events)
	if n := <-api.read; n != 2 || fake.Now() != time.Unix(0, 0) {
		t.Fatalf("read %d at %v: the stream's end must cause one read at once", n, fake.Now())
	}
	stop := make(chan struct{})
	defer close(stop)
	go fake.RunTimers(stop)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	// Reads 3 and 4 come one poll interval apart each (less jitter).
	p := DefaultPollPolicy
	if waited := fake.Now().Sub(time.Unix(0, 0)); waited > 2*p.Max || waited < time.Duration(2*float64(p.Max)*(1-p.Jitter)) {
		t.Errorf("waited %v after the stream ended, want two poll intervals", waited)
	}
	if api.gets != 4 {
		t.Errorf("gets = %d, want 4", api.gets)
	}
}

func TestWaitPollsWhenTheStreamIsUnavailable(t *testing.T) {
	api := &streamAPI{status: client.StatusCanceling, canceledAfter: 3}
	cfg := instantWait(t, time.Hour)
	var logged []string
	cfg.Logf = func(format string, args ...any) { logged = append(logged, fmt.Sprintf(format, args...)) }
	cfg.Listen = func(context.Context, string) (<-chan client.ListenEvent, error) {
		return nil, client.ErrListenUnavailable
	}
	if _, err := waitForTerminal(context.Background(), api, "job-1", nil, true, untilStopped, cfg); err != nil {
		t.Fatal(err)
	}
	if api.gets != 3 {
		t.Errorf("gets = %d, want 3: the wait polls on without the stream", api.gets)
	}
	if len(logged) != 1 || !strings.Contains(logged[0], "unavailable") {
		t.Errorf("logged %q, want why the stream could not be used", logged)
	}
}

// wait_for = "running": the wait reads when the stream first says the job
// runs, not on the messages before (pending) or after (its output); a job
// that has already ended by then is what the read returns.
func TestWaitForRunningReadsWhenTheStreamSaysRunning(t *testing.T) {
	for _, then := range []client.Status{client.StatusRunning, client.StatusError} {
		fake := clocktest.NewFake(time.Unix(0, 0))
		api := &streamAPI{status: client.StatusPending}
		stream := newScriptedStream()
		cfg := waitConfig{Policy: DefaultPollPolicy, Clock: fake, Timeout: time.Hour, Listen: stream.listen}
		type result struct {
			job *client.Job
			err error
		}
		done := make(chan result, 1)
		go func() {
			job, err := waitForStatus(context.Background(), api, "job-1", nil, false, untilRunning, reachedRunning, cfg)
			done <- result{job, err}
		}()
		<-stream.opened
		stream.send(streamSays(client.StatusPending))
		stream.send(streamSays(client.StatusPending))
		api.set(then)
		stream.send(streamSays(client.StatusRunning))
		r := <-done
		if r.err != nil {
			t.Fatal(r.err)
		}
		if api.gets != 1 || fake.Now() != time.Unix(0, 0) || !r.job.Status.Is(then) {
			t.Errorf("%s: gets = %d at %v, status %s: want one read, at once, when the stream first says running", then, api.gets, fake.Now(), r.job.Status)
		}
	}
}

// An open stream that says nothing holds the schedule: the wait reads only
// every streamGuardInterval until the deadline, with its final read there.
func TestAQuietStreamHoldsThePollsToGuardReads(t *testing.T) {
	start := time.Unix(0, 0)
	fake := clocktest.NewFake(start)
	api := &streamAPI{status: client.StatusCanceling, read: make(chan int, 10)}
	cfg := waitConfig{Policy: DefaultPollPolicy, Clock: fake, Timeout: 5*time.Minute + 30*time.Second}
	cfg.Listen = func(ctx context.Context, _ string) (<-chan client.ListenEvent, error) {
		silent := make(chan client.ListenEvent) // open, and says nothing until the wait ends
		go func() { <-ctx.Done(); close(silent) }()
		return silent, nil
	}
	done := make(chan error, 1)
	go func() {
		_, err := waitForTerminal(context.Background(), api, "job-1", nil, false, untilStopped, cfg)
		done <- err
	}()
	// Reads at 1, 2, 3, 4 and 5 minutes, each when the clock gets there,
	// and the final one at the deadline, 5m30s.
	for i, at := range []time.Duration{time.Minute, 2 * time.Minute, 3 * time.Minute, 4 * time.Minute, 5 * time.Minute, 5*time.Minute + 30*time.Second} {
		waitForDeadline(t, fake, start.Add(at))
		fake.Advance(start.Add(at).Sub(fake.Now()))
		if n := <-api.read; n != i+1 {
			t.Fatalf("read %d at %v, want read %d", n, at, i+1)
		}
	}
	var waitErr *waitError
	if err := <-done; !errors.As(err, &waitErr) || !waitErr.TimedOut {
		t.Fatalf("want a timeout, got %v", err)
	}
	if api.gets != 6 {
		t.Errorf("gets = %d over 5m30s with a quiet stream: want a guard read a minute and the final read", api.gets)
	}
}

// A wait bounded by the context's deadline (the create's or the destroy's
// timeout) ends by it, even when the engine asks for a longer pause.
func TestWaitEndsByTheContextDeadline(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 1500*time.Millisecond)
	defer cancel()
	deadline, _ := ctx.Deadline()
	api := &scriptedAPI{statuses: []string{"running", "429"}, cancel: noCancel}
	cfg := waitConfig{Policy: DefaultPollPolicy, Clock: clock.Real{}, Timeout: time.Hour}
	_, err := waitForTerminal(ctx, api, "job-1", nil, true, untilFinished, cfg)
	var waitErr *waitError
	if !errors.As(err, &waitErr) || !waitErr.TimedOut {
		t.Fatalf("want a timed-out waitError, got %v", err)
	}
	if late := time.Since(deadline); late > 0 {
		t.Errorf("the wait ended %v after the context's deadline", late)
	}
	if waitErr.Waited > 1500*time.Millisecond || waitErr.Waited < time.Second {
		t.Errorf("reported waited %v, want the time it did wait, about the 1.5s it had", waitErr.Waited)
	}
	if !strings.Contains(err.Error(), "to finish timed out") {
		t.Errorf("message %q", err)
	}
	if got := strings.Join(api.calls, ","); got != "get,get" {
		t.Errorf("calls = %s, want the first read and a final one before the deadline", got)
	}
}

func TestWaitErrorsSayWhatWasAwaitedAndWhatHappened(t *testing.T) {
	const configured = `timeouts.create = "90m"`
	says := func(what, summary, detail string, wanted, unwanted []string) {
		t.Helper()
		for _, want := range wanted {
			if !strings.Contains(summary+"\n"+detail, want) {
				t.Errorf("%s lacks %q:\n%s\n%s", what, want, summary, detail)
			}
		}
		for _, not := range unwanted {
			if strings.Contains(summary+"\n"+detail, not) {
				t.Errorf("%s says %q:\n%s\n%s", what, not, summary, detail)
			}
		}
	}
	finish := &waitError{JobID: "job-1", Until: untilFinished, LastStatus: client.StatusRunning, Waited: 3 * time.Second, Cause: context.Canceled}
	summary, detail := completionError("job-1", waitForCompleted, configured, nil, finish)
	says("an interrupted wait_for = completed", summary, detail,
		[]string{"interrupted", "Ctrl-C", "after waiting 3s for it to finish", `its last status was "running"`, "untaint"}, []string{"in time", "to stop"})
	if strings.Count(summary+detail, "job-1") != 1 {
		t.Errorf("the job's id is said more than once:\n%s\n%s", summary, detail)
	}

	// A timeout names the configured timeout, not how long the wait itself
	// lasted (the submission came first).
	finish.TimedOut, finish.Cause, finish.Waited = true, nil, 89*time.Minute
	summary, detail = completionError("job-1", waitForCompleted, configured, nil, finish)
	says("a timed-out wait_for = completed", summary, detail,
		[]string{"did not finish in time", `did not finish within timeouts.create = "90m"`, `its last status was "running"`}, []string{"89m", "1h29m"})
	finish.Until, finish.LastStatus = untilRunning, client.StatusPending
	summary, detail = completionError("job-1", waitForRunning, createTimeoutText(timeouts.Value{}), nil, finish)
	says("a timed-out wait_for = running with the default timeout", summary, detail,
		[]string{"did not start running in time", "within timeouts.create (1h, the default)", `its last status was "pending"`}, nil)

	// A job that ended before a wait_for = "running" saw it run says so.
	infra := "Job failed due to an infrastructure error on TensorPool's side"
	summary, detail = completionError("job-1", waitForRunning, configured, &client.Job{Status: client.StatusFailed, Message: &infra}, nil)
	says("a job that failed before it was seen running", summary, detail,
		[]string{"ended before it was seen running", infra}, []string{"did not complete"})
	exitCode, commandFailed := int64(1), "Job failed: a command exited with code 1"
	summary, detail = completionError("job-1", waitForCompleted, configured, &client.Job{Status: client.StatusError, ExitCode: &exitCode, Message: &commandFailed}, nil)
	says("a job that errored", summary, detail, []string{"did not complete", `with status "error" (exit code 1): ` + commandFailed}, nil)
	// No status said twice.
	canceledMsg := "Job was canceled"
	summary, detail = completionError("job-1", waitForCompleted, configured, &client.Job{Status: client.StatusCanceled, Message: &canceledMsg}, nil)
	if n := strings.Count(summary+detail, "cancel"); n != 1 {
		t.Errorf("a canceled job's error says its status %d times:\n%s\n%s", n, summary, detail)
	}
	if summary, _ := completionError("job-1", waitForRunning, configured, &client.Job{Status: client.StatusCompleted}, nil); summary != "" {
		t.Errorf("a job that completed before it was seen running is an error: %s", summary)
	}

	stop := &waitError{JobID: "job-1", Until: untilStopped, Cause: context.Canceled}
	if summary, detail := destroyErrorSummary(stop), destroyErrorDetail(time.Hour, stop); !strings.Contains(summary, "interrupted (Ctrl-C)") ||
		!strings.Contains(detail, "to stop was interrupted") || strings.Contains(summary+detail, "in time") {
		t.Errorf("an interrupted destroy says:\n%s\n%s", summary, detail)
	}
}

// stopsAtAPI is a job that is canceling until the clock reaches stop, and
// canceled from then on; it counts the reads.
type stopsAtAPI struct {
	clock clock.Clock
	stop  time.Time
	mu    sync.Mutex
	reads int
}

func (a *stopsAtAPI) GetJob(_ context.Context, id string) (*client.Job, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.reads++
	if a.clock.Now().Before(a.stop) {
		return &client.Job{ID: id, Status: client.StatusCanceling}, nil
	}
	return &client.Job{ID: id, Status: client.StatusCanceled}, nil
}

func (a *stopsAtAPI) CancelJob(context.Context, string) (*client.CancelResult, error) {
	return &client.CancelResult{Outcome: client.CancelAccepted, Status: client.StatusCanceling}, nil
}

func (a *stopsAtAPI) DeleteJob(context.Context, string) (string, error) { return "", nil }

// The budget of DefaultPollPolicy and the stream, over every cancel
// duration from 0.1 s to a minute (on the fake clock, jitter included): a
// destroy sends at most one request more than the official CLI's cancel and
// 2-second polls (the stream's handshake, refused or not); with the stream
// it notices the stop at once, without one within 5 s.
func TestDestroyOnTheDefaultScheduleCostsNoMoreThanTheCLI(t *testing.T) {
	for _, stream := range []bool{true, false} {
		for w := 100 * time.Millisecond; w <= time.Minute; w += 100 * time.Millisecond {
			sent, noticed := destroyWithStream(t, w, stream)
			cli := 1 + int((w+2*time.Second-1)/(2*time.Second))
			if sent > cli+1 {
				t.Errorf("stream %v, cancel of %v: %d requests, the CLI's %d", stream, w, sent, cli)
			}
			if stream && noticed != 0 || noticed > 5*time.Second {
				t.Errorf("stream %v, cancel of %v: the stop was noticed %v later", stream, w, noticed)
			}
		}
	}
}

// destroyWithStream destroys a job whose cancel takes w on a fake clock, with
// a stream that says the job is canceling and sends its last message at the
// stop, or without a stream (refused), and returns the requests it sent and
// how long after the stop the wait returned.
func destroyWithStream(t *testing.T, w time.Duration, stream bool) (sent int, noticed time.Duration) {
	t.Helper()
	known := &client.Job{ID: "job-1", Status: client.StatusRunning}
	if !stream {
		cfg := instantWait(t, time.Hour)
		api := &stopsAtAPI{clock: cfg.Clock, stop: cfg.Clock.Now().Add(w)}
		cfg.Listen = func(context.Context, string) (<-chan client.ListenEvent, error) {
			return nil, client.ErrListenUnavailable
		}
		if _, err := destroyJob(context.Background(), api, "job-1", destroySettings{OnDestroy: onDestroyCancel, Wait: cfg, Known: known}); err != nil {
			t.Fatal(err)
		}
		return 1 + api.reads + 1, cfg.Clock.Now().Sub(api.stop)
	}
	// With the stream the test moves the clock itself, to the stop, and
	// only then lets the stream say so: a clock driven to every timer as
	// soon as it exists would race past the stop to the next guard read.
	fake := clocktest.NewFake(time.Unix(0, 0))
	api := &stopsAtAPI{clock: fake, stop: fake.Now().Add(w)}
	opened, end := make(chan struct{}), make(chan struct{})
	cfg := waitConfig{Policy: DefaultPollPolicy, Clock: fake, Timeout: time.Hour}
	cfg.Listen = func(ctx context.Context, _ string) (<-chan client.ListenEvent, error) {
		events := make(chan client.ListenEvent, 1)
		events <- streamSays(client.StatusCanceling)
		close(opened)
		go func() {
			defer close(events)
			select {
			case <-end:
				events <- streamEnd
			case <-ctx.Done():
			}
		}()
		return events, nil
	}
	done := make(chan error, 1)
	go func() {
		_, err := destroyJob(context.Background(), api, "job-1", destroySettings{OnDestroy: onDestroyCancel, Wait: cfg, Known: known})
		done <- err
	}()
	<-opened
	waitForTimers(t, fake, 1)
	fake.Advance(w)
	close(end)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	api.mu.Lock()
	defer api.mu.Unlock()
	return 1 + api.reads + 1, fake.Now().Sub(api.stop)
}
