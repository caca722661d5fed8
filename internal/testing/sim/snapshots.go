package sim

import (
	"maps"
	"slices"
	"time"
)

// created is what every engine object records: its place in creation order,
// by which lists and snapshots are sorted.
type created interface{ creationSeq() int }

func (j *job) creationSeq() int      { return j.seq }
func (cl *cluster) creationSeq() int { return cl.seq }
func (s *storage) creationSeq() int  { return s.seq }
func (k *sshKey) creationSeq() int   { return k.seq }

// inCreationOrder is the objects of m, oldest first.
func inCreationOrder[O created](m map[string]O) []O {
	return slices.SortedFunc(maps.Values(m), func(a, b O) int { return a.creationSeq() - b.creationSeq() })
}

// snapshotAll is every object of the map objects returns, oldest first, as
// snapshot shows it once the engine has settled. objects is called with
// e.mu held.
func snapshotAll[O created, S any](e *Engine, objects func() map[string]O, snapshot func(O, time.Time) S) []S {
	e.lockSettled()
	defer e.mu.Unlock()
	now := e.clock.Now()
	all := inCreationOrder(objects())
	out := make([]S, 0, len(all))
	for _, o := range all {
		out = append(out, snapshot(o, now))
	}
	return out
}

// snapshotOne is the object id of the map objects returns, as snapshot
// shows it once the engine has settled; false if there is none.
func snapshotOne[O created, S any](e *Engine, objects func() map[string]O, id string, snapshot func(O, time.Time) S) (S, bool) {
	e.lockSettled()
	defer e.mu.Unlock()
	o, ok := objects()[id]
	if !ok {
		var none S
		return none, false
	}
	return snapshot(o, e.clock.Now()), true
}
