package sim

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
)

// The /_sim/* routes let a test (or a human with curl) inspect and steer the
// engine from outside the process. They need no auth, are not counted in
// the stats and are never subject to faults. They are not part of the
// TensorPool API.

// handleSimJobs is GET /_sim/jobs: every job of every user, oldest first.
func (e *Engine) handleSimJobs(w http.ResponseWriter, _ *http.Request, _ *call) {
	writeJSON(w, http.StatusOK, map[string]any{"jobs": e.Jobs()})
}

// handleSimCreate is POST /_sim/jobs {"owner": "user-1", "cluster_id": "c-local"}:
// creates a job as if its owner had pushed it (both fields optional: the
// first user and the first cluster), so that a curl session can get a job
// without speaking the WebSocket protocol. Owners are named, never keyed.
func (e *Engine) handleSimCreate(w http.ResponseWriter, r *http.Request, _ *call) {
	var body struct {
		Owner     string `json:"owner"`
		ClusterID string `json:"cluster_id"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&body); err != nil && !errors.Is(err, io.EOF) {
		writeJSON(w, http.StatusBadRequest, msg(`body must be {"owner": "user-1", "cluster_id": "c-…"}: `+err.Error()))
		return
	}
	id, err := e.addJobForOwner(body.Owner, body.ClusterID)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, msg(err.Error()))
		return
	}
	snap, _ := e.Job(id)
	writeJSON(w, http.StatusCreated, snap)
}

// handleSimForce is POST /_sim/jobs/{id}/status {"status": "..."}: forces a
// status and answers the job's snapshot.
func (e *Engine) handleSimForce(w http.ResponseWriter, r *http.Request, c *call) {
	var body struct {
		Status string `json:"status"`
	}
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&body); err != nil {
		writeJSON(w, http.StatusBadRequest, msg(`body must be {"status": "<status>"}: `+err.Error()))
		return
	}
	if strings.TrimSpace(body.Status) == "" {
		writeJSON(w, http.StatusBadRequest, msg("status must not be empty"))
		return
	}
	if err := e.SetStatus(c.jobID, body.Status); err != nil {
		writeSimError(w, err)
		return
	}
	snap, _ := e.Job(c.jobID)
	writeJSON(w, http.StatusOK, snap)
}

// handleSimRemove is DELETE /_sim/jobs/{id}: the job disappears, whatever its
// status, as if deleted by someone else.
func (e *Engine) handleSimRemove(w http.ResponseWriter, _ *http.Request, c *call) {
	if err := e.Remove(c.jobID); err != nil {
		writeSimError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, msg("Job "+c.jobID+" removed"))
}

func writeSimError(w http.ResponseWriter, err error) {
	if errors.Is(err, ErrNotFound) {
		writeJSON(w, http.StatusNotFound, msg("Job not found"))
		return
	}
	writeJSON(w, http.StatusBadRequest, msg(err.Error()))
}

// handleSimStats is GET /_sim/stats.
func (e *Engine) handleSimStats(w http.ResponseWriter, _ *http.Request, _ *call) {
	writeJSON(w, http.StatusOK, map[string]any{"requests": e.Stats()})
}

// handleSimResetStats is DELETE /_sim/stats.
func (e *Engine) handleSimResetStats(w http.ResponseWriter, _ *http.Request, _ *call) {
	e.ResetStats()
	writeJSON(w, http.StatusOK, map[string]any{"requests": map[string]int{}})
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
