package client

import (
	"context"
	"errors"
	"math"
	"testing"
	"time"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/clock/clocktest"
)

var probe = request{method: "GET", path: "/job/info/job-1"}

func newFakeLimiter(ceiling float64) (*adaptiveLimiter, *clocktest.Fake) {
	fake := clocktest.NewFake(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	return newAdaptiveLimiter(fake, ceiling), fake
}

// admitNow lets n requests through at the current fake time; they must not
// wait.
func admitNow(t *testing.T, l *adaptiveLimiter, n int) uint64 {
	t.Helper()
	var round uint64
	for range n {
		done := make(chan error, 1)
		go func() {
			var err error
			round, err = l.wait(context.Background(), probe)
			done <- err
		}()
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("a request that should pass at once waited")
		}
	}
	return round
}

// admissionTimes runs n requests one after the other on a fake clock that
// jumps to each timer, and returns the fake time each was let through.
func admissionTimes(t *testing.T, l *adaptiveLimiter, fake *clocktest.Fake, n int) []time.Time {
	t.Helper()
	stop, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		fake.RunTimers(stop)
	}()
	defer func() {
		close(stop)
		<-done
	}()
	times := make([]time.Time, 0, n)
	for range n {
		if _, err := l.wait(context.Background(), probe); err != nil {
			t.Fatal(err)
		}
		times = append(times, fake.Now())
	}
	return times
}

func near(got, want float64) bool { return math.Abs(got-want) < 1e-9 }

func TestLimiterNeverDelaysWithoutPushback(t *testing.T) {
	l, fake := newFakeLimiter(0)
	start := fake.Now()
	round := admitNow(t, l, 500)
	for range 500 {
		l.observe(round, 200, 0)
		l.observe(round, 503, time.Hour) // a failing engine is not a rate signal
	}
	admitNow(t, l, 500)
	if rate, _ := l.state(); rate != 0 || fake.Pending() != 0 || !fake.Now().Equal(start) {
		t.Errorf("rate %v, %d timers, %s passed: want no limit and no wait", rate, fake.Pending(), fake.Now().Sub(start))
	}
}

func TestLimiterPausesEveryRequestForRetryAfterThenSpacesThem(t *testing.T) {
	l, fake := newFakeLimiter(0)
	start := fake.Now()
	round := admitNow(t, l, 10) // 10 requests in a second, one answered 429
	l.observe(round, 429, 2*time.Second)
	if rate, throttled := l.state(); !near(rate, 5) || throttled != 1 {
		t.Fatalf("rate %v after one 429, want half of the 10/s observed; 429s seen %d", rate, throttled)
	}
	times := admissionTimes(t, l, fake, 3)
	want := []time.Duration{2 * time.Second, 2200 * time.Millisecond, 2400 * time.Millisecond}
	for i, at := range times {
		if got := at.Sub(start); got != want[i] {
			t.Errorf("request %d let through at +%s, want +%s (after the pause, 5/s)", i, got, want[i])
		}
	}
}

func TestLimiterHalvesOncePerRound(t *testing.T) {
	l, _ := newFakeLimiter(0)
	round := admitNow(t, l, 8)
	// All 8 were sent at the same rate: their 429s are one signal.
	for range 8 {
		l.observe(round, 429, 0)
	}
	if rate, throttled := l.state(); !near(rate, 4) || throttled != 8 {
		t.Fatalf("rate %v after 8 429s of one round, want 4 (halved once); 429s seen %d", rate, throttled)
	}
	// A request let through at the lowered rate and still refused halves
	// again; a late 429 of the first round does not.
	next := round + 1
	l.observe(next, 429, 0)
	l.observe(round, 429, 0)
	if rate, _ := l.state(); !near(rate, 2) {
		t.Fatalf("rate %v, want 2", rate)
	}
	for range 10 {
		l.observe(next+1, 429, 0)
		next++
	}
	if rate, _ := l.state(); !near(rate, minAdaptiveRate) {
		t.Errorf("rate %v, want the floor %v", rate, minAdaptiveRate)
	}
}

func TestLimiterRecoversAdditivelyToUnlimited(t *testing.T) {
	l, fake := newFakeLimiter(0)
	round := admitNow(t, l, 8)
	l.observe(round, 429, 0) // 8/s drew a 429: down to 4/s
	steps := []struct {
		after time.Duration
		want  float64
	}{
		{time.Second, 5}, {500 * time.Millisecond, 5.5}, {0, 5.5}, {3 * time.Second, 6.5}, {time.Second, 7.5},
		{time.Second, 0}, // back at the 8/s that drew the 429: unlimited again
	}
	for i, step := range steps {
		fake.Advance(step.after)
		l.observe(round+1, 200, 0)
		if rate, _ := l.state(); !near(rate, step.want) {
			t.Fatalf("step %d: rate %v, want %v", i, rate, step.want)
		}
	}
}

func TestLimiterConfiguredRateIsTheCeiling(t *testing.T) {
	l, fake := newFakeLimiter(4)
	start := fake.Now()
	times := admissionTimes(t, l, fake, 6)
	// A burst of 4, then one every 250ms.
	want := []time.Duration{0, 0, 0, 0, 250 * time.Millisecond, 500 * time.Millisecond}
	for i, at := range times {
		if got := at.Sub(start); got != want[i] {
			t.Errorf("request %d at +%s, want +%s", i, got, want[i])
		}
	}
	l.observe(0, 429, 0)
	if rate, _ := l.state(); !near(rate, 2) {
		t.Fatalf("rate %v after a 429, want 2", rate)
	}
	for range 5 {
		fake.Advance(time.Second)
		l.observe(1, 200, 0)
	}
	if rate, _ := l.state(); !near(rate, 4) {
		t.Errorf("rate %v after recovering, want the configured 4, never more", rate)
	}
}

func TestLimiterWaitsEndByTheDeadlineAndOnCancel(t *testing.T) {
	l, fake := newFakeLimiter(0)
	round := admitNow(t, l, 1)
	l.observe(round, 429, 10*time.Second)

	// A slot beyond the deadline: refused at once, without waiting.
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_, err := l.wait(ctx, probe)
	var throttled *ThrottledError
	if !errors.As(err, &throttled) || throttled.Wait != 10*time.Second || fake.Pending() != 0 {
		t.Fatalf("want a ThrottledError naming the 10s wait and no timer, got %v (%d timers)", err, fake.Pending())
	}
	if !IsOutage(err) {
		t.Error("a throttled request is an outage for the caller")
	}

	// No deadline: the wait ends when the context is canceled.
	ctx, cancel = context.WithCancel(context.Background())
	created := fake.TimerCreated()
	done := make(chan error, 1)
	go func() {
		_, err := l.wait(ctx, probe)
		done <- err
	}()
	<-created
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("want context.Canceled, got %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the wait did not end on cancel")
	}
}

func TestLimiterQueuedRequestWaitsForANewPause(t *testing.T) {
	l, fake := newFakeLimiter(0)
	start := fake.Now()
	round := admitNow(t, l, 8)
	l.observe(round, 429, 0) // 4/s: the next slot is at +250ms
	created := fake.TimerCreated()
	done := make(chan error, 1)
	go func() {
		_, err := l.wait(context.Background(), probe)
		done <- err
	}()
	<-created // queued for +250ms
	// A request let through at 4/s is refused with Retry-After 1: the
	// queued one must wait for the pause, at the new rate.
	requeued := fake.TimerCreated()
	l.observe(round+1, 429, time.Second)
	select {
	case <-requeued:
	case err := <-done:
		t.Fatalf("the queued request went at its old slot (%v)", err)
	case <-time.After(5 * time.Second):
		t.Fatal("the queued request did not queue again after the 429")
	}
	fake.Advance(time.Second)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	l.mu.Lock()
	at := l.lastStart.Sub(start)
	l.mu.Unlock()
	if at != time.Second {
		t.Errorf("let through at +%s, want +1s (the pause's end)", at)
	}
}
