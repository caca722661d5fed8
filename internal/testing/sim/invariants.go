package sim

import (
	"errors"
	"fmt"
	"maps"
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

// The same promises for clusters, storage and keys, which bill by the hour:
//
//   - after a destroy that reported success, nothing the test created is
//     live or billing (CheckNothingBilling, and CheckNoSSHKeys for keys,
//     which do not bill but must not be left behind either);
//   - after any apply, every live cluster, volume and attachment of the user
//     is in the Terraform state (CheckNoOrphanedObjects).
//
// Shared pre-existing clusters (Options.Clusters) have no owner and are
// never reported.

// CheckNothingBilling reports the owner's clusters, volumes and attachments
// that are live (running, being created or released, or billing), except
// the ids in allowed (attachments by AttachmentID).
func (e *Engine) CheckNothingBilling(owner string, allowed ...string) error {
	live := e.liveObjects(owner)
	var out []string
	for _, o := range live {
		if !slices.Contains(allowed, o.id) {
			out = append(out, o.String())
		}
	}
	if len(out) > 0 {
		return fmt.Errorf("after a successful destroy, still live or billing: %s", strings.Join(out, ", "))
	}
	return nil
}

// CheckNoSSHKeys reports the owner's saved keys, except the ids in allowed.
func (e *Engine) CheckNoSSHKeys(owner string, allowed ...string) error {
	var left []string
	for _, k := range e.SSHKeys() {
		if k.Owner == owner && !slices.Contains(allowed, k.KeyID) {
			left = append(left, fmt.Sprintf("SSH key %s (%s)", k.KeyID, k.Name))
		}
	}
	if len(left) > 0 {
		return fmt.Errorf("after a successful destroy, SSH keys are still saved: %s", strings.Join(left, ", "))
	}
	return nil
}

// CheckNoOrphanedObjects reports the owner's live clusters, volumes and
// attachments whose id is missing from stateIDs (the ids in the Terraform
// state; an attachment's id is AttachmentID(storage, cluster)), except the
// ids in allowed.
func (e *Engine) CheckNoOrphanedObjects(owner string, stateIDs []string, allowed ...string) error {
	var orphans []string
	for _, o := range e.liveObjects(owner) {
		if !slices.Contains(stateIDs, o.id) && !slices.Contains(allowed, o.id) {
			orphans = append(orphans, o.String())
		}
	}
	if len(orphans) > 0 {
		return fmt.Errorf("live objects missing from the Terraform state (orphaned): %s", strings.Join(orphans, ", "))
	}
	return nil
}

// liveObject is one live cluster, volume or attachment, for reports.
type liveObject struct {
	kind, id, status string
	billing          bool
}

func (o liveObject) String() string {
	s := fmt.Sprintf("%s %s (%s", o.kind, o.id, o.status)
	if o.billing {
		s += ", billing"
	}
	return s + ")"
}

// liveObjects returns the owner's live clusters, volumes and attachments,
// in creation order (attachments by id).
func (e *Engine) liveObjects(owner string) []liveObject {
	e.lockSettled()
	defer e.mu.Unlock()
	var out []liveObject
	cls := slices.SortedFunc(maps.Values(e.clusters), func(a, b *cluster) int { return a.seq - b.seq })
	for _, c := range cls {
		if c.owner == owner && owner != "" && c.live() {
			out = append(out, liveObject{"cluster", c.id, c.status, c.billing()})
		}
	}
	ss := slices.SortedFunc(maps.Values(e.storage), func(a, b *storage) int { return a.seq - b.seq })
	for _, s := range ss {
		if s.owner == owner && s.live() {
			out = append(out, liveObject{"storage", s.id, s.status, s.billing()})
		}
	}
	for _, id := range slices.Sorted(maps.Keys(e.attachments)) {
		if a := e.attachments[id]; a.owner == owner && a.live() {
			out = append(out, liveObject{"attachment", id, a.status, false})
		}
	}
	return out
}
