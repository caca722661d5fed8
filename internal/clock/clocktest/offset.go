package clocktest

import (
	"sync"
	"time"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/clock"
)

// Offset is the real clock shifted by an amount that tests can grow. It lets
// an in-process simulator "skip ahead" (for example past a one-hour cancel
// latency) while real processes such as the Terraform CLI keep real time.
// Timers created before a Skip keep their real-time schedule.
type Offset struct {
	mu    sync.Mutex
	shift time.Duration
}

// Now returns the real time plus the accumulated shift.
func (o *Offset) Now() time.Time {
	o.mu.Lock()
	defer o.mu.Unlock()
	return time.Now().Add(o.shift)
}

// NewTimer is a real timer.
func (o *Offset) NewTimer(d time.Duration) clock.Timer { return clock.Real{}.NewTimer(d) }

// Skip moves the clock forward by d.
func (o *Offset) Skip(d time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.shift += d
}
