package sim

import (
	"fmt"
	"slices"
	"strings"
)

// The two promises the provider makes, checked from the engine's side after
// every acceptance and end-to-end scenario:
//
//   - after a destroy that reported success, none of the user's jobs is still
//     running (pending, running, canceling or any unknown status);
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
