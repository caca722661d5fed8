package clocktest

import (
	"testing"
	"time"
)

func TestFakeFiresTimersInOrderOnlyWhenAdvanced(t *testing.T) {
	start := time.Unix(100, 0)
	f := NewFake(start)
	late := f.NewTimer(2 * time.Second)
	early := f.NewTimer(time.Second)
	select {
	case <-early.C():
		t.Fatal("fired before the clock moved")
	default:
	}
	f.Advance(time.Second)
	if at := <-early.C(); !at.Equal(start.Add(time.Second)) {
		t.Errorf("early fired at %v", at)
	}
	select {
	case <-late.C():
		t.Fatal("late fired early")
	default:
	}
	if !late.Stop() || late.Stop() {
		t.Error("Stop must report true once for a pending timer")
	}
	f.Advance(time.Hour)
	select {
	case <-late.C():
		t.Fatal("a stopped timer fired")
	default:
	}
	if f.Pending() != 0 {
		t.Errorf("pending = %d", f.Pending())
	}
}

func TestFakeTimerCreatedAndZeroDuration(t *testing.T) {
	f := NewFake(time.Unix(0, 0))
	created := f.TimerCreated()
	f.NewTimer(time.Minute)
	select {
	case <-created:
	default:
		t.Fatal("TimerCreated did not report the new timer")
	}
	if at, ok := f.NextDeadline(); !ok || !at.Equal(time.Unix(60, 0)) {
		t.Errorf("NextDeadline = %v, %v", at, ok)
	}
	select {
	case <-f.NewTimer(0).C():
	default:
		t.Fatal("a zero timer must fire at once")
	}
}

func TestOffsetSkips(t *testing.T) {
	var o Offset
	before := o.Now()
	o.Skip(time.Hour)
	if d := o.Now().Sub(before); d < time.Hour {
		t.Errorf("skipped only %v", d)
	}
}
