package sim

import (
	"encoding/json"
	"io"
	"net/http"
)

// The /_sim/* routes let a test or a human with curl look into a running
// tensorpool-sim process (scripts/demo.sh reads /_sim/jobs) and switch its
// faults. They need no auth, are not counted in the stats and are never
// subject to faults. They are not part of the TensorPool API. In-process
// tests use the Engine's methods instead.
//
//	GET  /_sim/jobs         {"jobs": [JobSnapshot]}            Engine.Jobs
//	GET  /_sim/clusters     {"clusters": [ClusterSnapshot]}    Engine.Clusters
//	GET  /_sim/storage      {"storage": [StorageSnapshot]}     Engine.Storage
//	GET  /_sim/attachments  {"attachments": [AttachmentSnapshot]} Engine.Attachments
//	GET  /_sim/ssh-keys     {"ssh_keys": [SSHKeySnapshot]}     Engine.SSHKeys
//	GET  /_sim/requests     {"requests": [RequestSnapshot]}    Engine.Requests
//	GET  /_sim/billing      {"billing": [BillingEntry]}        Engine.BillingReport (?owner=user-1)
//	GET  /_sim/stats        {"requests": {route: count}}       Engine.Stats
//	GET  /_sim/faults       Faults                             Engine.Faults
//	POST /_sim/faults       Faults                             Engine.SetFaults
//
// Durations in snapshots are integers of nanoseconds (fields ending in _ns).

// handleSimJobs is GET /_sim/jobs: every job of every user, oldest first.
func (e *Engine) handleSimJobs(w http.ResponseWriter, _ *http.Request, _ *call) {
	writeJSON(w, http.StatusOK, map[string]any{"jobs": e.Jobs()})
}

// handleSimStats is GET /_sim/stats: Engine.Stats.
func (e *Engine) handleSimStats(w http.ResponseWriter, _ *http.Request, _ *call) {
	writeJSON(w, http.StatusOK, map[string]any{"requests": e.Stats()})
}

// handleSimFaults is GET /_sim/faults.
func (e *Engine) handleSimFaults(w http.ResponseWriter, _ *http.Request, _ *call) {
	writeJSON(w, http.StatusOK, e.Faults())
}

// handleSimSetFaults is POST /_sim/faults: replaces every switch (omitted
// fields are off) and answers the new set.
func (e *Engine) handleSimSetFaults(w http.ResponseWriter, r *http.Request, _ *call) {
	var f Faults
	data, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err == nil {
		err = json.Unmarshal(data, &f)
	}
	if err == nil {
		err = f.Validate()
	}
	if err != nil {
		writeJSON(w, http.StatusBadRequest, msg("invalid faults: "+err.Error()))
		return
	}
	e.SetFaults(f)
	writeJSON(w, http.StatusOK, e.Faults())
}
