package backoff

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/clock"
	"github.com/tensorpool/terraform-provider-tensorpool/internal/clock/clocktest"
)

func TestPolicyDelayGrowsToTheCap(t *testing.T) {
	p := Policy{Initial: time.Second, Max: 10 * time.Second, Multiplier: 1.5}
	want := []time.Duration{1000, 1500, 2250, 3375, 5062, 7593, 10000, 10000}
	for attempt, w := range want {
		got := p.Delay(attempt).Milliseconds()
		if got != int64(w) {
			t.Errorf("Delay(%d) = %dms, want %dms", attempt, got, w)
		}
	}
}

func TestJitterOnlyShortens(t *testing.T) {
	p := Policy{Initial: time.Second, Max: time.Second, Multiplier: 2, Jitter: 0.2}
	for i := 0; i < 1000; i++ {
		d := p.Delay(3)
		if d > time.Second || d < 800*time.Millisecond {
			t.Fatalf("jittered delay %v outside [800ms, 1s]", d)
		}
	}
}

func TestHintIsHonouredButCapped(t *testing.T) {
	p := Policy{Initial: time.Second, Max: 10 * time.Second, Multiplier: 2, MaxHint: 30 * time.Second}
	if d := p.WithHint(0, 5*time.Second); d != 5*time.Second {
		t.Errorf("hint 5s: got %v", d)
	}
	if d := p.WithHint(0, time.Hour); d != 30*time.Second {
		t.Errorf("hint 1h: got %v, want the 30s cap", d)
	}
	if d := p.WithHint(4, 0); d != 10*time.Second {
		t.Errorf("no hint: got %v", d)
	}
}

func TestSleepRefusesToOutliveTheDeadline(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	fake := clocktest.NewFake(time.Unix(0, 0))
	if err := Sleep(ctx, fake, time.Hour, nil); !errors.Is(err, ErrDeadline) {
		t.Fatalf("want ErrDeadline, got %v", err)
	}
	if fake.Pending() != 0 {
		t.Error("no timer should have been started")
	}
}

func TestSleepEndsOnCancelAndWake(t *testing.T) {
	fake := clocktest.NewFake(time.Unix(0, 0))
	ctx, cancel := context.WithCancel(context.Background())
	created := fake.TimerCreated()
	done := make(chan error)
	go func() { done <- Sleep(ctx, fake, time.Hour, nil) }()
	<-created
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("want context.Canceled, got %v", err)
	}

	wake := make(chan struct{}, 1)
	created = fake.TimerCreated()
	go func() { done <- Sleep(context.Background(), fake, time.Hour, wake) }()
	<-created
	wake <- struct{}{}
	if err := <-done; err != nil {
		t.Fatalf("wake: %v", err)
	}
}

func TestPollTimesOutOnTheFakeClockInMilliseconds(t *testing.T) {
	fake := clocktest.NewFake(time.Unix(0, 0))
	stop := make(chan struct{})
	defer close(stop)
	go fake.RunTimers(stop)

	var checks []time.Duration
	start := fake.Now()
	p := Poll{Clock: fake, Policy: Policy{Initial: time.Second, Max: 10 * time.Second, Multiplier: 1.5}, Timeout: 20 * time.Minute}
	err := p.Run(context.Background(), func(context.Context) (bool, time.Duration, error) {
		checks = append(checks, fake.Now().Sub(start))
		return false, 0, nil
	})
	var timeout *TimeoutError
	if !errors.As(err, &timeout) || timeout.Waited != 20*time.Minute {
		t.Fatalf("want a timeout after exactly 20m, got %v", err)
	}
	if checks[0] != 0 || checks[1] != time.Second {
		t.Errorf("first polls must come quickly: %v", checks[:3])
	}
	if last := checks[len(checks)-1]; last != 20*time.Minute {
		t.Errorf("a last check must run at the deadline, last was at %v", last)
	}
	for i := 2; i < len(checks); i++ {
		if gap := checks[i] - checks[i-1]; gap > 10*time.Second {
			t.Errorf("gap %v between checks %d and %d exceeds the 10s cap", gap, i-1, i)
		}
	}
	// 20 minutes at a 10s cap is about 120 polls, not 1200 at 1s.
	if len(checks) > 130 {
		t.Errorf("%d checks: the interval does not grow", len(checks))
	}
}

func TestPollHonoursHintsAndStopsWhenDone(t *testing.T) {
	fake := clocktest.NewFake(time.Unix(0, 0))
	stop := make(chan struct{})
	defer close(stop)
	go fake.RunTimers(stop)
	var at []time.Duration
	start := fake.Now()
	p := Poll{Clock: fake, Policy: Policy{Initial: time.Second, Max: 10 * time.Second, Multiplier: 2, MaxHint: 30 * time.Second}, Timeout: time.Hour}
	err := p.Run(context.Background(), func(context.Context) (bool, time.Duration, error) {
		at = append(at, fake.Now().Sub(start))
		return len(at) == 3, 7 * time.Second, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(at) != 3 || at[1] != 7*time.Second || at[2] != 14*time.Second {
		t.Errorf("checks at %v, want [0s 7s 14s]", at)
	}
}

func TestPollWakeCutsTheWaitShortAndClosedWakeDoesNotSpin(t *testing.T) {
	fake := clocktest.NewFake(time.Unix(0, 0))
	wake := make(chan struct{})
	checks := 0
	p := Poll{Clock: fake, Policy: Policy{Initial: time.Hour, Max: time.Hour}, Timeout: 2 * time.Hour, Wake: wake}
	done := make(chan error)
	created := fake.TimerCreated()
	go func() {
		done <- p.Run(context.Background(), func(context.Context) (bool, time.Duration, error) {
			checks++
			return checks == 3, 0, nil
		})
	}()
	<-created
	created = fake.TimerCreated()
	close(wake) // one wake-up, then the closed channel must be ignored
	<-created
	if fake.Now() != time.Unix(0, 0) {
		t.Fatal("the clock moved")
	}
	fake.Advance(time.Hour)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if checks != 3 {
		t.Errorf("checks = %d, want 3 (initial, after wake, after the hour)", checks)
	}
}

func TestPollErrorsAndContext(t *testing.T) {
	boom := errors.New("boom")
	p := Poll{Clock: clocktest.NewFake(time.Unix(0, 0)), Policy: Policy{Initial: time.Second, Max: time.Second}, Timeout: time.Hour}
	if err := p.Run(context.Background(), func(context.Context) (bool, time.Duration, error) { return false, 0, boom }); !errors.Is(err, boom) {
		t.Errorf("want the check's error, got %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := p.Run(ctx, func(context.Context) (bool, time.Duration, error) { return false, 0, nil })
	var interrupted *InterruptedError
	if !errors.As(err, &interrupted) || !errors.Is(err, context.Canceled) {
		t.Errorf("want InterruptedError wrapping Canceled, got %v", err)
	}
}

// alwaysDue is a fake clock whose timers are due the moment they are made,
// as when another goroutine advances a fake clock to each new timer: a
// select then finds the timer ready together with anything else.
type alwaysDue struct{ *clocktest.Fake }

func (c alwaysDue) NewTimer(d time.Duration) clock.Timer {
	t := c.Fake.NewTimer(d)
	c.Advance(d)
	return t
}

func TestPollAPendingWakeWinsOverATimerThatIsDueAtOnce(t *testing.T) {
	// Go picks at random among ready select cases: without the priority,
	// each round below would take the hour-long timer half the time.
	for round := 0; round < 64; round++ {
		clk := alwaysDue{clocktest.NewFake(time.Unix(0, 0))}
		wake := make(chan struct{}, 1)
		wake <- struct{}{}
		var at []time.Time
		p := Poll{Clock: clk, Policy: Policy{Initial: time.Hour, Max: time.Hour}, Timeout: 3 * time.Hour, Wake: wake}
		err := p.Run(context.Background(), func(context.Context) (bool, time.Duration, error) {
			at = append(at, clk.Now())
			return len(at) == 2, 0, nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if !at[1].Equal(time.Unix(0, 0)) {
			t.Fatalf("round %d: the second check ran at %v: the timer won over the wake-up that was already there", round, at[1])
		}
	}
}

func TestPollTakesItsDeadlineFromTheContextWhenSooner(t *testing.T) {
	fake := clocktest.NewFake(time.Unix(0, 0))
	stop := make(chan struct{})
	defer close(stop)
	go fake.RunTimers(stop)
	ctx, cancel := context.WithTimeout(context.Background(), time.Hour)
	defer cancel()
	start := fake.Now()
	var last time.Duration
	p := Poll{Clock: fake, Policy: Policy{Initial: 7 * time.Minute, Max: 7 * time.Minute}, Timeout: 2 * time.Hour}
	err := p.Run(ctx, func(context.Context) (bool, time.Duration, error) {
		last = fake.Now().Sub(start)
		return false, 0, nil
	})
	var timeout *TimeoutError
	if !errors.As(err, &timeout) {
		t.Fatalf("want a timeout, got %v", err)
	}
	// The context allows an hour of (real) time; the final check keeps a
	// second of it to be answered in. Real time passes a little meanwhile.
	hi := time.Hour - finalCheckTimeMax
	lo := hi - time.Second
	if last > hi || last < lo || timeout.Waited != last {
		t.Errorf("final check at %v, reported waited %v: want both at the context's deadline less the final check's time, %v..%v",
			last, timeout.Waited, lo, hi)
	}
}

func TestPollRunsAFinalCheckBeforeTheContextDeadline(t *testing.T) {
	// Real time: the context's deadline is what ends this poll, and a
	// check started at that deadline would be cut off.
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	deadline, _ := ctx.Deadline()
	checks, live := 0, 0
	p := Poll{Policy: Policy{Initial: time.Hour, Max: time.Hour, MaxHint: time.Hour}, Timeout: time.Hour}
	err := p.Run(ctx, func(ctx context.Context) (bool, time.Duration, error) {
		checks++
		if ctx.Err() == nil {
			live++
		}
		return false, 5 * time.Second, nil // as a Retry-After longer than all the time left
	})
	var timeout *TimeoutError
	if !errors.As(err, &timeout) {
		t.Fatalf("want a timeout, got %v", err)
	}
	if checks != 2 || live != 2 {
		t.Errorf("%d checks, %d of them before the deadline: want the first and a final one, both in time", checks, live)
	}
	if time.Now().After(deadline) {
		t.Errorf("the poll returned %v after the context's deadline", time.Since(deadline))
	}
}

// While held, the schedule's interval gives way to HeldInterval, in the wait
// in progress and without a check; released, the schedule is back, counted
// from the start of the wait in progress.
func TestPollHoldStretchesTheWaitsUntilReleased(t *testing.T) {
	fake := clocktest.NewFake(time.Unix(0, 0))
	hold := make(chan bool)
	var at []time.Duration
	p := Poll{Clock: fake, Policy: Policy{Initial: 4 * time.Second, Max: 4 * time.Second}, Timeout: time.Hour,
		Hold: hold, HeldInterval: time.Minute}
	done := make(chan error, 1)
	created := fake.TimerCreated()
	go func() {
		done <- p.Run(context.Background(), func(context.Context) (bool, time.Duration, error) {
			at = append(at, fake.Now().Sub(time.Unix(0, 0)))
			return len(at) == 4, 0, nil
		})
	}()
	<-created
	hold <- true // the schedule's 4 s timer gives way to a minute
	fake.Advance(30 * time.Second)
	created = fake.TimerCreated()
	fake.Advance(30 * time.Second) // the guard check at 1 min
	<-created
	fake.Advance(10 * time.Second)
	created = fake.TimerCreated()
	hold <- false // 10 s into the wait: the 4 s are over, check at once
	<-created
	fake.Advance(4 * time.Second) // and on the schedule again
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	want := []time.Duration{0, time.Minute, 70 * time.Second, 74 * time.Second}
	if !slices.Equal(at, want) {
		t.Errorf("checks at %v, want %v", at, want)
	}
}
