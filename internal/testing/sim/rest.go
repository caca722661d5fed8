package sim

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// ----- helpers ----------------------------------------------------------------

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"message":"Internal server error"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// msg is the body shape of most answers. [DOC]
func msg(text string) map[string]any { return map[string]any{"message": text} }

func ceilFloat(f float64) float64 { return math.Ceil(f) }

func randFloat() float64 { return rand.Float64() } //nolint:gosec // fault injection needs no cryptographic randomness

// apiTime formats a timestamp as RFC 3339 in UTC. [INF] The real engine's
// time format is unknown; fractional seconds appear only when non-zero.
func apiTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// ----- validation ---------------------------------------------------------------

// fieldError is one FastAPI/pydantic validation error. [DOC] HTTPValidationError.
type fieldError struct {
	Loc  []any  `json:"loc"`
	Msg  string `json:"msg"`
	Type string `json:"type"`
}

const maxJobIDLen = 128

// jobIDPattern is the simulator's id format. [INF] The real format is
// unknown; the docs only say an invalid format answers 400.
var jobIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]*$`)

// idTooLong is the 422 a FastAPI path parameter with max_length=128 gives.
func idTooLong(id string) []fieldError {
	if utf8.RuneCountInString(id) > maxJobIDLen {
		return []fieldError{{Loc: []any{"path", "job_id"}, Msg: fmt.Sprintf("String should have at most %d characters", maxJobIDLen), Type: "string_too_long"}}
	}
	return nil
}

// writeValidation answers 422 when there are validation errors.
func writeValidation(w http.ResponseWriter, errs []fieldError) bool {
	if len(errs) == 0 {
		return false
	}
	writeJSON(w, http.StatusUnprocessableEntity, map[string]any{"detail": errs})
	return true
}

// checkIDFormat answers 400 for an id the route cannot look up. [DOC] "400:
// Invalid job ID format".
func checkIDFormat(w http.ResponseWriter, id string) bool {
	if !jobIDPattern.MatchString(id) {
		writeJSON(w, http.StatusBadRequest, msg("Invalid job ID format"))
		return false
	}
	return true
}

// ownedLocked returns the caller's job, or answers 404/403. [DOC] 403 is a
// job the key cannot access, 404 one that does not exist (or was deleted
// [INF]). Callers hold e.mu.
func (e *Engine) ownedLocked(w http.ResponseWriter, c *call) *job {
	j, ok := e.jobs[c.jobID]
	if !ok {
		writeJSON(w, http.StatusNotFound, msg("Job not found"))
		return nil
	}
	if j.owner != c.user {
		writeJSON(w, http.StatusForbidden, msg("Access denied"))
		return nil
	}
	return j
}

// ----- handlers -------------------------------------------------------------------

// handleHealthz is the unauthenticated liveness probe. [DOC]
func (e *Engine) handleHealthz(w http.ResponseWriter, _ *http.Request, _ *call) {
	writeJSON(w, http.StatusOK, map[string]any{"status": "ok"})
}

// handleHealth is the CLI's version gate. [CLI] Any body is accepted.
func (e *Engine) handleHealth(w http.ResponseWriter, r *http.Request, _ *call) {
	_, _ = io.Copy(io.Discard, io.LimitReader(r.Body, 1<<20))
	writeJSON(w, http.StatusOK, msg("ok"))
}

// handleUserInfo answers account information as text. [CLI] Only "message"
// is known.
func (e *Engine) handleUserInfo(w http.ResponseWriter, _ *http.Request, c *call) {
	e.mu.Lock()
	n := 0
	for _, j := range e.jobs {
		if j.owner == c.user {
			n++
		}
	}
	e.mu.Unlock()
	writeJSON(w, http.StatusOK, msg(renderUserInfo(c.user, n)))
}

// handleInit returns the configuration template. [CLI]
func (e *Engine) handleInit(w http.ResponseWriter, _ *http.Request, _ *call) {
	writeJSON(w, http.StatusOK, map[string]any{
		"empty_tp_config": initTemplate,
		"message":         "Created an empty job configuration: edit `commands`, then push it with `tp job push`",
	})
}

// jobInfo is the job_info object. [DOC] status, instance type, exit code and a
// public message are documented; [INF] the field names besides status.
type jobInfo struct {
	JobID        string `json:"job_id"`
	Status       string `json:"status"`
	ClusterID    string `json:"cluster_id"`
	InstanceType string `json:"instance_type"`
	ExitCode     *int   `json:"exit_code,omitempty"`
	CreatedAt    string `json:"created_at"`
	UpdatedAt    string `json:"updated_at"`
	Message      string `json:"message"`
}

// instanceType is what every simulated cluster runs on. [INF]
const instanceType = "1xH100"

func infoOf(s JobSnapshot) jobInfo {
	return jobInfo{
		JobID: s.JobID, Status: s.Status, ClusterID: s.ClusterID, InstanceType: instanceType,
		ExitCode: s.ExitCode, CreatedAt: apiTime(s.CreatedAt), UpdatedAt: apiTime(s.UpdatedAt),
		Message: publicMessage(s.Status, s.ClusterID),
	}
}

// handleInfo is GET /job/info/{job_id}. [DOC][CLI]
func (e *Engine) handleInfo(w http.ResponseWriter, _ *http.Request, c *call) {
	if writeValidation(w, idTooLong(c.jobID)) || !checkIDFormat(w, c.jobID) {
		return
	}
	e.mu.Lock()
	j := e.ownedLocked(w, c)
	if j == nil {
		e.mu.Unlock()
		return
	}
	now := e.clock.Now()
	garble := e.faults.Garble
	// Only a readable answer counts as the client having seen the end.
	if IsTerminal(j.status(now)) && j.observedTerminal == nil && garble == "" {
		t := now
		j.observedTerminal = &t
	}
	if j.status(now) != StatusPending && j.observedStarted == nil && garble == "" {
		t := now
		j.observedStarted = &t
	}
	snap := j.snapshot(now)
	e.mu.Unlock()

	// [DOC] Non-terminal status responses carry Retry-After (seconds).
	if !IsTerminal(snap.Status) && e.opts.InfoRetryAfter > 0 {
		secs := int64((e.opts.InfoRetryAfter + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
	}
	switch garble {
	case GarbleNotJSON:
		// A proxy error page with the API's content type, the worst case.
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusOK)
		_, _ = io.WriteString(w, "<html>oops</html>")
		return
	case GarbleWrongShape:
		writeJSON(w, http.StatusOK, map[string]any{"job_info": "oops", "message": 3})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"job_info": infoOf(snap), "message": renderInfo(snap)})
}

// handleList is GET /job/list. [CLI] Only a pre-rendered table is known, so
// none of the structure is exposed. [INF] Each user is its own organisation,
// so include_org=true lists the same jobs.
func (e *Engine) handleList(w http.ResponseWriter, _ *http.Request, c *call) {
	var mine []JobSnapshot
	for _, s := range e.Jobs() {
		if s.Owner == c.user {
			mine = append(mine, s)
		}
	}
	writeJSON(w, http.StatusOK, msg(renderList(mine)))
}

// cancelResponse is the seed's JobCancelRestResponse. [DOC]
type cancelResponse struct {
	JobID   string `json:"job_id"`
	Message string `json:"message"`
	Status  string `json:"status"`
}

// handleCancel is POST /job/cancel/{job_id}, per the OpenAPI seed. [DOC]
func (e *Engine) handleCancel(w http.ResponseWriter, _ *http.Request, c *call) {
	if writeValidation(w, idTooLong(c.jobID)) || !checkIDFormat(w, c.jobID) {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	j := e.ownedLocked(w, c)
	if j == nil {
		return
	}
	now := e.clock.Now()
	status := j.status(now)
	switch low := strings.ToLower(status); {
	case low == StatusCanceled:
		// [DOC] "200: Job already canceled (idempotent)"; [INF] the body.
		writeJSON(w, http.StatusOK, cancelResponse{j.id, "Job already canceled", StatusCanceled})
	case low == StatusCanceling:
		// [INF] A repeated cancel neither restarts nor shortens the latency.
		writeJSON(w, http.StatusAccepted, cancelResponse{j.id, "Job cancellation already in progress", StatusCanceling})
	case IsTerminal(status):
		// [DOC] "400: ... job not in cancelable state"; [INF] the text.
		writeJSON(w, http.StatusBadRequest, msg(fmt.Sprintf("Job is not in a cancelable state (status: %s)", status)))
	default:
		// pending, running, or a forced unknown status. [INF] for the latter.
		j.cancel(now, e.cancels.next())
		e.notifyLocked()
		writeJSON(w, http.StatusAccepted, cancelResponse{j.id, "Job cancellation initiated", j.status(now)})
	}
}

// handleDelete is DELETE /job/delete/{job_id}. [CLI] 200 with a message;
// [INF] non-terminal jobs answer 400 and a deleted job 404.
func (e *Engine) handleDelete(w http.ResponseWriter, _ *http.Request, c *call) {
	if writeValidation(w, idTooLong(c.jobID)) || !checkIDFormat(w, c.jobID) {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	j := e.ownedLocked(w, c)
	if j == nil {
		return
	}
	if status := j.status(e.clock.Now()); !IsTerminal(status) {
		writeJSON(w, http.StatusBadRequest, msg(fmt.Sprintf("Job is still %s; cancel it before deleting", status)))
		return
	}
	delete(e.jobs, j.id)
	e.notifyLocked()
	writeJSON(w, http.StatusOK, msg(fmt.Sprintf("Job %s deleted", j.id)))
}

// pullSystems are the accepted ?system= values. [DOC]
var pullSystems = []string{"linux", "darwin", "windows"}

// handlePull is GET /job/pull/{job_id}. [DOC] The response fields, an rsync
// command for a live job and presigned URLs for a finished one; [INF] an
// absent system means linux, and a finished job's files are those its
// config's outputs name (see downloadMap).
func (e *Engine) handlePull(w http.ResponseWriter, r *http.Request, c *call) {
	q := r.URL.Query()
	errs := idTooLong(c.jobID)
	// An absent system means linux; the answer does not depend on it, so
	// only a given value is checked.
	if q.Has("system") {
		if !slices.Contains(pullSystems, q.Get("system")) {
			errs = append(errs, fieldError{Loc: []any{"query", "system"}, Msg: "Input should be 'linux', 'darwin' or 'windows'", Type: "enum"})
		}
	}
	dryRun := false
	if q.Has("dry_run") {
		var ok bool
		if dryRun, ok = parseBool(q.Get("dry_run")); !ok {
			errs = append(errs, fieldError{Loc: []any{"query", "dry_run"}, Msg: "Input should be a valid boolean, unable to interpret input", Type: "bool_parsing"})
		}
	}
	if writeValidation(w, errs) || !checkIDFormat(w, c.jobID) {
		return
	}
	e.mu.Lock()
	j := e.ownedLocked(w, c)
	if j == nil {
		e.mu.Unlock()
		return
	}
	now := e.clock.Now()
	status := j.status(now)
	id, cluster := j.id, j.cluster
	files := j.downloadMap(now)
	e.mu.Unlock()

	body := map[string]any{"download_map": files, "command": nil, "command_show_stdout": false}
	var message string
	switch {
	case strings.EqualFold(status, StatusRunning):
		// [DOC] "an rsync command for a live job".
		body["command"] = fmt.Sprintf("rsync -avz --progress tp@%s.sim.tensorpool.local:/home/tp/%s/ ./%s/", cluster, id, id)
		message = fmt.Sprintf("Pulling files of running job %s", id)
	case IsTerminal(status) && len(files) == 0:
		message = fmt.Sprintf("No output files found for job %s", id)
	case IsTerminal(status):
		message = fmt.Sprintf("Found %d output files for job %s", len(files), id)
	default:
		message = fmt.Sprintf("Job %s is %s; its files can be pulled once it runs", id, status)
	}
	if dryRun {
		message = "Dry run: " + message
	}
	body["message"] = message
	writeJSON(w, http.StatusOK, body)
}

// parseBool accepts what pydantic accepts for a boolean query parameter.
func parseBool(s string) (bool, bool) {
	switch strings.ToLower(s) {
	case "1", "true", "t", "yes", "y", "on":
		return true, true
	case "0", "false", "f", "no", "n", "off":
		return false, true
	}
	return false, false
}
