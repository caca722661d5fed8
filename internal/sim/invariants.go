package sim

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// The two promises the provider makes, checked from the engine's side after
// every acceptance and end-to-end scenario:
//
//   - after a destroy that reported success, none of the user's jobs is still
//     running (pending, running, canceling or any unknown status), and no
//     cancel of theirs finished after the destroy returned (CheckDestroyedBy);
//   - after any apply, failed or not, every job of the user that is still
//     running is in the Terraform state: nothing paid for is orphaned.

// CheckDestroyed reports the owner's jobs that are not terminal, except the
// ids in allowed (for example jobs deliberately abandoned).
func (e *Engine) CheckDestroyed(owner string, allowed ...string) error {
	var live []string
	for _, j := range e.Jobs() {
		if j.Owner == owner && !IsTerminal(j.Status) && !slices.Contains(allowed, j.JobID) {
			live = append(live, j.JobID+" ("+j.Status+")")
		}
	}
	if len(live) > 0 {
		return fmt.Errorf("after a successful destroy, jobs are still running: %s", strings.Join(live, ", "))
	}
	return nil
}

// CheckDestroyedBy is CheckDestroyed for a destroy that returned at the
// engine-clock moment returned (read by the caller on the clock it gave the
// engine): besides the live jobs, it reports every job of the owner that a
// cancel made terminal after returned, that is a destroy that reported
// success before the engine says the job stopped. Jobs in allowed are
// skipped by both checks.
func (e *Engine) CheckDestroyedBy(owner string, returned time.Time, allowed ...string) error {
	live := e.CheckDestroyed(owner, allowed...)
	var early []string
	e.mu.Lock()
	now := e.clock.Now()
	for _, j := range e.jobs {
		if j.owner != owner || slices.Contains(allowed, j.id) {
			continue
		}
		if s, ok := j.terminalStep(now); ok && s.byCancel && s.at.After(returned) {
			early = append(early, fmt.Sprintf("%s (%s at %s, %s after destroy returned)",
				j.id, j.status(now), apiTime(s.at), s.at.Sub(returned)))
		}
	}
	e.mu.Unlock()
	var earlyErr error
	if len(early) > 0 {
		slices.Sort(early)
		earlyErr = fmt.Errorf("destroy returned before the engine finished canceling: %s", strings.Join(early, ", "))
	}
	return errors.Join(live, earlyErr)
}

// CheckNoOrphans reports the owner's non-terminal jobs that are missing from
// stateIDs (the ids in the Terraform state), except the ids in allowed.
func (e *Engine) CheckNoOrphans(owner string, stateIDs []string, allowed ...string) error {
	var orphans []string
	for _, j := range e.Jobs() {
		if j.Owner != owner || IsTerminal(j.Status) || slices.Contains(stateIDs, j.JobID) || slices.Contains(allowed, j.JobID) {
			continue
		}
		orphans = append(orphans, j.JobID+" ("+j.Status+")")
	}
	if len(orphans) > 0 {
		return fmt.Errorf("running jobs missing from the Terraform state (orphaned): %s", strings.Join(orphans, ", "))
	}
	return nil
}
