package sim

import (
	"net/http"
	"time"
)

// Billing. [DOC] clusters and storage bill while they exist; [INF] the
// simulator's meter: a cluster bills from the PROCESSING step of the claim
// that provisions it until its release completes (a claim that fails bills
// nothing, unless Faults.CapacityOutcome is "failed-running"); a volume
// bills from its create's PROCESSING until its destroy completes. What
// matters to the provider is the time billed after its destroy was
// requested: the cost of a slow or forgotten release.

// meter is one object's billing interval.
type meter struct {
	from, to         *time.Time
	destroyRequested *time.Time
}

// billed is how long the object billed up to now.
func (m meter) billed(now time.Time) time.Duration {
	if m.from == nil {
		return 0
	}
	end := now
	if m.to != nil {
		end = *m.to
	}
	return max(0, end.Sub(*m.from))
}

// afterDestroy is how long the object billed after its destroy was first
// requested, up to now.
func (m meter) afterDestroy(now time.Time) time.Duration {
	if m.from == nil || m.destroyRequested == nil {
		return 0
	}
	start := *m.destroyRequested
	if m.from.After(start) {
		start = *m.from
	}
	end := now
	if m.to != nil {
		end = *m.to
	}
	return max(0, end.Sub(start))
}

// Billing kinds.
const (
	BillingCluster = "cluster"
	BillingStorage = "storage"
)

// BillingEntry is one billed object of a billing report.
type BillingEntry struct {
	Kind     string `json:"kind"` // BillingCluster or BillingStorage
	ObjectID string `json:"object_id"`
	Owner    string `json:"owner"`
	Status   string `json:"status"`
	// Billing says whether it still bills.
	Billing bool          `json:"billing"`
	Billed  time.Duration `json:"billed_ns"`
	// DestroyRequestedAt is when its release/destroy was first accepted.
	DestroyRequestedAt *time.Time `json:"destroy_requested_at"`
	// BilledAfterDestroyRequested is how long it billed after that.
	BilledAfterDestroyRequested time.Duration `json:"billed_after_destroy_requested_ns"`
}

// BillingReport returns, for every cluster and volume of owner (every
// owner when owner is ""; shared clusters never bill), how long it billed
// and how long after its destroy was requested, clusters first, oldest
// first.
func (e *Engine) BillingReport(owner string) []BillingEntry {
	var out []BillingEntry
	for _, c := range e.Clusters() {
		if c.Owner == "" || (owner != "" && c.Owner != owner) {
			continue
		}
		out = append(out, BillingEntry{
			Kind: BillingCluster, ObjectID: c.ClusterID, Owner: c.Owner, Status: c.Status, Billing: c.Billing,
			Billed: c.Billed, DestroyRequestedAt: c.DestroyRequestedAt, BilledAfterDestroyRequested: c.BilledAfterDestroyRequested,
		})
	}
	for _, s := range e.Storage() {
		if owner != "" && s.Owner != owner {
			continue
		}
		out = append(out, BillingEntry{
			Kind: BillingStorage, ObjectID: s.StorageID, Owner: s.Owner, Status: s.Status, Billing: s.Billing,
			Billed: s.Billed, DestroyRequestedAt: s.DestroyRequestedAt, BilledAfterDestroyRequested: s.BilledAfterDestroyRequested,
		})
	}
	return out
}

// handleSimBilling is GET /_sim/billing[?owner=user-1].
func (e *Engine) handleSimBilling(w http.ResponseWriter, r *http.Request, _ *call) {
	writeJSON(w, http.StatusOK, map[string]any{"billing": e.BillingReport(r.URL.Query().Get("owner"))})
}
