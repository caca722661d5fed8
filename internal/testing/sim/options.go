package sim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/clock"
)

// Defaults applied by New when the corresponding option is zero or empty.
const (
	DefaultAPIKey  = "tp-local-key"
	DefaultCluster = "c-local"
	// DefaultOrganizationBalance is Options.OrganizationBalance's default.
	DefaultOrganizationBalance = 1000.0
	DefaultOutcome             = StatusCompleted
	// DefaultMessageTimeout bounds every wait for a WebSocket client message.
	DefaultMessageTimeout = 60 * time.Second
	// DefaultRateLimitRetryAfter is the Retry-After (seconds) of a 429.
	DefaultRateLimitRetryAfter = 1
)

// Options configures an Engine. The zero value is usable: New fills in the
// key tp-local-key, the cluster c-local and the outcome completed, and leaves
// every delay at zero (jobs run at once and run forever).
type Options struct {
	// APIKeys are the accepted API keys. Each key is its own user (and its own
	// organisation), named user-1, user-2, … in this order. Duplicates are
	// ignored. Empty means []string{DefaultAPIKey}.
	APIKeys []string
	// Clusters are pre-existing clusters, RUNNING from the start and shared
	// by every user (like an organisation's cluster): every user may push to
	// them, read them and release them. They have no owner, so the per-owner
	// invariant checks ignore them, and they bill nobody. Empty means
	// []string{DefaultCluster}.
	Clusters []string
	// PendingDelay is how long a new job stays pending before running.
	PendingDelay time.Duration
	// PendingDelayJitter makes each job stay pending PendingDelay + d, with
	// d drawn once per job, uniformly in [0, PendingDelayJitter) (from the
	// same seeded draws as the cancel-latency jitter); 0 means exactly
	// PendingDelay.
	PendingDelayJitter time.Duration
	// RunDuration is how long a job runs before reaching Outcome; 0 means it
	// runs until canceled or forced.
	RunDuration time.Duration
	// Outcome is the status a job reaches after RunDuration: completed, error
	// or failed. Empty means completed.
	Outcome string
	// CancelLatency is how long a job stays canceling after a cancel; 0 means
	// the cancel completes at once (the cancel answers "canceled").
	CancelLatency time.Duration
	// CancelLatencyJitter makes each cancel take CancelLatency + d, with d
	// drawn once per cancel, uniformly in [0, CancelLatencyJitter); 0 means
	// every cancel takes exactly CancelLatency. The job's terminal_at is the
	// drawn moment, exactly. (With CancelLatency 0, a draw of 0 completes
	// the cancel at once.)
	CancelLatencyJitter time.Duration
	// Seed seeds the simulator's schedule randomness (the cancel-latency
	// jitter), so that a seeded run draws the same latencies in the same
	// cancel order; 0 means a random seed. Fault injection (FailRate) and
	// job ids are not affected.
	Seed int64
	// InfoRetryAfter is sent as Retry-After (whole seconds, rounded up) on
	// GET /job/info responses for non-terminal jobs; 0 means no header.
	InfoRetryAfter time.Duration
	// RequestPendingLatency is how long every async request (cluster,
	// storage) stays PENDING before PROCESSING.
	RequestPendingLatency time.Duration
	// ClusterProvisionLatency is how long a CLUSTER_CLAIM stays PROCESSING
	// before COMPLETED (the cluster RUNNING). [DOC] 1–2 minutes for real.
	ClusterProvisionLatency time.Duration
	// ClusterReleaseLatency is how long a CLUSTER_RELEASE stays PROCESSING
	// before COMPLETED (the cluster DESTROYED, billing stopped).
	ClusterReleaseLatency time.Duration
	// ClusterEditLatency is how long a CLUSTER_EDIT stays PROCESSING; the
	// change shows once it completes.
	ClusterEditLatency time.Duration
	// StorageLatency is how long STORAGE_CREATE, STORAGE_DESTROY,
	// STORAGE_ATTACH, STORAGE_DETACH and STORAGE_EDIT stay PROCESSING.
	StorageLatency time.Duration
	// RequestRetryAfter is sent as Retry-After (whole seconds, rounded up) on
	// GET /request/info answers for non-terminal requests; 0 means no header.
	RequestRetryAfter time.Duration
	// MessageTimeout bounds every wait for a WebSocket client message (real
	// time, not Clock: it guards against a stuck peer, not a job schedule).
	// Zero means DefaultMessageTimeout.
	MessageTimeout time.Duration
	// Clock drives the job lifecycle, timestamps and the rate limiter; nil
	// means the real clock.
	Clock clock.Clock
	// Logf, when set, receives one line per request (method, path, status,
	// duration). It never receives headers, bodies or keys.
	Logf func(format string, args ...any)
	// OrganizationBalance is the balance, in US dollars, that
	// GET /user/organization/info reports for every organisation; 0 means
	// DefaultOrganizationBalance. [INF] it stays as set: nothing is charged
	// against it.
	OrganizationBalance float64
	// Faults are the initial fault switches; change them at run time with
	// Engine.SetFaults or POST /_sim/faults. (Being embedded, Faults' JSON
	// methods are promoted: Options is not meant to be JSON-encoded, and if it
	// is, only the faults come out, never the keys.)
	Faults
}

// DefaultOptions returns the settings of the tensorpool-sim command: the
// default key and cluster, a 1 s pending delay, jobs that run until
// canceled, a 3 s cancel latency and Retry-After: 2 on info polls; async
// requests pending 0.5 s, a cluster claim 3 s, a release 2 s, an edit or a
// storage change 1 s, and Retry-After: 2 on request polls (the CLI's
// fallback). Real provisioning takes minutes; these keep a demo short.
func DefaultOptions() Options {
	return Options{
		APIKeys:                 []string{DefaultAPIKey},
		Clusters:                []string{DefaultCluster},
		PendingDelay:            time.Second,
		Outcome:                 DefaultOutcome,
		CancelLatency:           3 * time.Second,
		InfoRetryAfter:          2 * time.Second,
		RequestPendingLatency:   500 * time.Millisecond,
		ClusterProvisionLatency: 3 * time.Second,
		ClusterReleaseLatency:   2 * time.Second,
		ClusterEditLatency:      time.Second,
		StorageLatency:          time.Second,
		RequestRetryAfter:       2 * time.Second,
		MessageTimeout:          DefaultMessageTimeout,
	}
}

// Validate reports options New would refuse.
func (o Options) Validate() error {
	var errs []error
	switch strings.ToLower(o.Outcome) {
	case "", StatusCompleted, StatusError, StatusFailed:
	default:
		errs = append(errs, fmt.Errorf("outcome %q: want completed, error or failed", o.Outcome))
	}
	for name, d := range map[string]time.Duration{
		"pending delay": o.PendingDelay, "run duration": o.RunDuration, "cancel latency": o.CancelLatency,
		"cancel latency jitter": o.CancelLatencyJitter, "pending delay jitter": o.PendingDelayJitter, "info Retry-After": o.InfoRetryAfter, "message timeout": o.MessageTimeout,
		"request pending latency": o.RequestPendingLatency, "cluster provision latency": o.ClusterProvisionLatency,
		"cluster release latency": o.ClusterReleaseLatency, "cluster edit latency": o.ClusterEditLatency,
		"storage latency": o.StorageLatency, "request Retry-After": o.RequestRetryAfter,
	} {
		if d < 0 {
			errs = append(errs, fmt.Errorf("%s must not be negative, got %s", name, d))
		}
	}
	for _, k := range o.APIKeys {
		if strings.TrimSpace(k) == "" {
			errs = append(errs, errors.New("an API key is empty"))
		}
	}
	for _, c := range o.Clusters {
		if strings.TrimSpace(c) == "" {
			errs = append(errs, errors.New("a cluster id is empty"))
		}
	}
	if err := o.Faults.Validate(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// withDefaults fills the zero fields that have a documented default.
func (o Options) withDefaults() Options {
	if len(o.APIKeys) == 0 {
		o.APIKeys = []string{DefaultAPIKey}
	}
	if len(o.Clusters) == 0 {
		o.Clusters = []string{DefaultCluster}
	}
	if o.Outcome == "" {
		o.Outcome = DefaultOutcome
	}
	o.Outcome = strings.ToLower(o.Outcome)
	if o.MessageTimeout == 0 {
		o.MessageTimeout = DefaultMessageTimeout
	}
	o.Clock = clock.OrReal(o.Clock)
	return o
}

// Faults are fault switches that can change while the engine runs. They never
// apply to /healthz or /_sim/*. RateLimit, FailRate, FailNext and Garble
// apply to the REST API only (a failed WebSocket handshake is modelled by
// RefuseHandshakes, ListenUnavailable and ListenHang); Latency applies to
// REST calls and WebSocket handshakes.
//
// In JSON (GET/POST /_sim/faults) the fields are snake_case and latency is a
// Go duration string ("250ms") or a number of nanoseconds. A POST replaces
// the whole set: omitted fields are switched off.
type Faults struct {
	// RateLimit is the allowed REST requests per second per API key, all
	// REST routes together, measured on the engine clock (so a fake clock
	// refills the bucket only when advanced); the burst is RateLimit rounded
	// up. Beyond it the engine answers 429 {"message":"Rate limit exceeded"}
	// with Retry-After; a 429 counts in Stats and RequestsFor like any
	// request. 0 = off. "5 requests per second, Retry-After 1" is
	// Faults{RateLimit: 5, RateLimitRetryAfter: 1}.
	RateLimit float64 `json:"rate_limit"`
	// RateLimitRetryAfter is the Retry-After of a 429, in seconds; 0 means 1.
	RateLimitRetryAfter int `json:"rate_limit_retry_after"`
	// FailRate is the fraction (0..1) of REST requests answered, at random,
	// 500 {"message":"Internal server error"} or 503 {"message":"Service
	// unavailable"}, both with Retry-After: 1.
	FailRate float64 `json:"fail_rate"`
	// FailStatus, when 500 or 503, is the only status FailRate answers;
	// 0 means either, at random.
	FailStatus int `json:"fail_status"`
	// FailNext makes the next N REST requests (after auth and rate limiting)
	// answer 503 with Retry-After: 1: the deterministic form of FailRate.
	FailNext int `json:"fail_next"`
	// Latency is added (real time) before each API response; a request whose
	// context ends during the wait gets no response.
	Latency time.Duration `json:"latency"`
	// DropPushAfterJobID makes /job/push drop the TCP connection without a
	// close frame right after sending job_id; the job still exists.
	DropPushAfterJobID bool `json:"drop_push_after_job_id"`
	// RefuseHandshakes makes the next N WebSocket handshakes (/job/push and
	// /job/listen) answer 429 {"message":"Rate limit exceeded"} with
	// Retry-After: 1 instead of upgrading; each counts in Stats. [INF]
	// Whether the engine limits handshakes is unknown; it could not do so
	// per key, which only comes with the first message.
	RefuseHandshakes int `json:"refuse_handshakes"`
	// ListenUnavailable makes /job/listen answer HTTP 404 before upgrading.
	ListenUnavailable bool `json:"listen_unavailable"`
	// ListenHang makes /job/listen accept the TCP connection and the upgrade
	// request but never answer it: the handshake hangs until the client goes
	// away or the engine closes (then the connection drops with no
	// response). It wins over ListenUnavailable.
	ListenHang bool `json:"listen_hang"`
	// Garble corrupts 200 responses of GET /job/info: "not-json" sends
	// <html>oops</html>, "wrong-shape" sends {"job_info":"oops","message":3}.
	Garble string `json:"garble"`
	// CapacityShortage makes every CLUSTER_CLAIM accepted while it is set
	// wait for capacity: PROCESSING, then RETRYING for this long with an
	// external_message that names the instance type and counts attempts,
	// then CapacityOutcome. The schedule is fixed when the claim is
	// accepted: changing the switch later does not affect it. 0 (with
	// CapacityOutcome "" or "completed") means no shortage.
	CapacityShortage time.Duration `json:"capacity_shortage"`
	// CapacityOutcome is how a claim that waited for capacity ends:
	// "completed" (or ""): PROCESSING for the provision latency, then
	// COMPLETED and RUNNING; "failed": FAILED, the cluster FAILED, nothing
	// running or billing; "failed-running": FAILED, but the cluster is
	// RUNNING and billing from then on (the engine does not confirm that
	// nothing runs). A failing outcome applies even with CapacityShortage 0.
	CapacityOutcome string `json:"capacity_outcome"`
	// InfoMessageOnly makes GET /cluster/info and GET /storage/info answer
	// only {"message": ...}, as the CLI shows them [CLI]: the structured
	// objects are [INF].
	InfoMessageOnly bool `json:"info_message_only"`
	// SSHKeyMessageOnly makes the SSH key routes answer as the official CLI
	// reads them, only {"message": ...} [CLI] (the key_id and the ssh_keys
	// list are [INF]): "add" for POST /user/ssh-key/add alone (the list
	// stays structured), "all" for the add and GET /user/ssh-key/list.
	SSHKeyMessageOnly string `json:"ssh_key_message_only"`
	// DropAfterChange makes the next N REST requests that change something
	// (any method but GET), after auth and rate limiting, do their work and
	// then drop the connection without an answer: the lost answer of a
	// change the engine made. [INF] How often the real engine does this is
	// unknown; any HTTP server can.
	DropAfterChange int `json:"drop_after_change"`
	// FailAfterChange is DropAfterChange answering 500 {"message":"Internal
	// server error"} (no Retry-After) instead of dropping: the engine made
	// the change and then failed.
	FailAfterChange int `json:"fail_after_change"`
	// LateAnswers makes the next N REST requests (after auth and rate
	// limiting) do their work at once and answer only LateBy later, or not
	// at all when the client stops waiting first: a request that times out
	// after the engine acted on it.
	LateAnswers int           `json:"late_answers"`
	LateBy      time.Duration `json:"late_by"`
	// LateChanges makes LateAnswers count only the requests that change
	// something (any method but GET), as DropAfterChange does: the reads
	// before them are answered on time.
	LateChanges bool `json:"late_changes"`
	// LostRate is the fraction (0..1) of the REST requests that change
	// something (any method but GET) that, at random, do their work and
	// then lose the answer: half drop the connection, half answer 500
	// {"message":"Internal server error"} without Retry-After. It applies
	// after FailRate (a request FailRate fails did nothing). LostRoutes,
	// when set, limits it to those routes, as Stats names them, separated
	// by commas ("POST /cluster/create,POST /storage/create"). [INF] How
	// often the real engine does this is unknown; any HTTP server can.
	LostRate   float64 `json:"lost_rate"`
	LostRoutes string  `json:"lost_routes"`
	// UploadNeedsSSHIdentity makes the upload command of /job/push check
	// first that the SSH agent of the machine running it holds an identity
	// the cluster accepts (its public_keys, and the keys saved before its
	// claim), failing like ssh (exit 255, "Permission denied (publickey).")
	// otherwise: see identityCheck. [INF] Off, the upload needs no identity.
	UploadNeedsSSHIdentity bool `json:"upload_needs_ssh_identity"`
	// NoRequestIDs makes POST /storage/attach answer without request_ids,
	// and POST /storage/detach, DELETE /cluster/{id} and DELETE
	// /storage/{id} without request_id, which the official CLI treats as
	// optional [CLI: helpers.py returns at once without them]; the change
	// still takes its usual time.
	NoRequestIDs bool `json:"no_request_ids"`
}

// SSH key answer modes (Faults.SSHKeyMessageOnly).
const (
	SSHKeyMessageOnlyAdd = "add"
	SSHKeyMessageOnlyAll = "all"
)

// Capacity outcomes (Faults.CapacityOutcome).
const (
	CapacityCompleted     = "completed"
	CapacityFailed        = "failed"
	CapacityFailedRunning = "failed-running"
)

// capacityShort reports whether a claim accepted now waits for capacity.
func (f Faults) capacityShort() bool {
	return f.CapacityShortage > 0 || (f.CapacityOutcome != "" && f.CapacityOutcome != CapacityCompleted)
}

// Garble modes.
const (
	GarbleNotJSON    = "not-json"
	GarbleWrongShape = "wrong-shape"
)

// Validate reports fault settings the engine cannot apply.
func (f Faults) Validate() error {
	var errs []error
	if f.RateLimit < 0 || math.IsNaN(f.RateLimit) || math.IsInf(f.RateLimit, 0) {
		errs = append(errs, fmt.Errorf("rate_limit must be a finite number ≥ 0, got %v", f.RateLimit))
	}
	if f.RateLimitRetryAfter < 0 {
		errs = append(errs, fmt.Errorf("rate_limit_retry_after must be ≥ 0, got %d", f.RateLimitRetryAfter))
	}
	if !(f.FailRate >= 0 && f.FailRate <= 1) {
		errs = append(errs, fmt.Errorf("fail_rate must be between 0 and 1, got %v", f.FailRate))
	}
	switch f.FailStatus {
	case 0, http.StatusInternalServerError, http.StatusServiceUnavailable:
	default:
		errs = append(errs, fmt.Errorf("fail_status must be 0, 500 or 503, got %d", f.FailStatus))
	}
	if f.FailNext < 0 {
		errs = append(errs, fmt.Errorf("fail_next must be ≥ 0, got %d", f.FailNext))
	}
	if f.LateAnswers < 0 || f.LateBy < 0 {
		errs = append(errs, fmt.Errorf("late_answers and late_by must be ≥ 0, got %d and %s", f.LateAnswers, f.LateBy))
	}
	if !(f.LostRate >= 0 && f.LostRate <= 1) {
		errs = append(errs, fmt.Errorf("lost_rate must be between 0 and 1, got %v", f.LostRate))
	}
	if f.DropAfterChange < 0 || f.FailAfterChange < 0 {
		errs = append(errs, fmt.Errorf("drop_after_change and fail_after_change must be ≥ 0, got %d and %d", f.DropAfterChange, f.FailAfterChange))
	}
	if f.RefuseHandshakes < 0 {
		errs = append(errs, fmt.Errorf("refuse_handshakes must be ≥ 0, got %d", f.RefuseHandshakes))
	}
	if f.Latency < 0 {
		errs = append(errs, fmt.Errorf("latency must be ≥ 0, got %s", f.Latency))
	}
	switch f.Garble {
	case "", GarbleNotJSON, GarbleWrongShape:
	default:
		errs = append(errs, fmt.Errorf("garble must be \"\", %q or %q, got %q", GarbleNotJSON, GarbleWrongShape, f.Garble))
	}
	if f.CapacityShortage < 0 {
		errs = append(errs, fmt.Errorf("capacity_shortage must be ≥ 0, got %s", f.CapacityShortage))
	}
	switch f.CapacityOutcome {
	case "", CapacityCompleted, CapacityFailed, CapacityFailedRunning:
	default:
		errs = append(errs, fmt.Errorf("capacity_outcome must be \"\", %q, %q or %q, got %q",
			CapacityCompleted, CapacityFailed, CapacityFailedRunning, f.CapacityOutcome))
	}
	switch f.SSHKeyMessageOnly {
	case "", SSHKeyMessageOnlyAdd, SSHKeyMessageOnlyAll:
	default:
		errs = append(errs, fmt.Errorf("ssh_key_message_only must be \"\", %q or %q, got %q",
			SSHKeyMessageOnlyAdd, SSHKeyMessageOnlyAll, f.SSHKeyMessageOnly))
	}
	return errors.Join(errs...)
}

// faultsJSON is Faults with durations as duration strings.
type faultsJSON struct {
	RateLimit              float64         `json:"rate_limit"`
	RateLimitRetryAfter    int             `json:"rate_limit_retry_after"`
	FailRate               float64         `json:"fail_rate"`
	FailStatus             int             `json:"fail_status"`
	FailNext               int             `json:"fail_next"`
	Latency                json.RawMessage `json:"latency,omitempty"`
	DropPushAfterJobID     bool            `json:"drop_push_after_job_id"`
	RefuseHandshakes       int             `json:"refuse_handshakes"`
	ListenUnavailable      bool            `json:"listen_unavailable"`
	ListenHang             bool            `json:"listen_hang"`
	Garble                 string          `json:"garble"`
	CapacityShortage       json.RawMessage `json:"capacity_shortage,omitempty"`
	CapacityOutcome        string          `json:"capacity_outcome"`
	InfoMessageOnly        bool            `json:"info_message_only"`
	SSHKeyMessageOnly      string          `json:"ssh_key_message_only"`
	DropAfterChange        int             `json:"drop_after_change"`
	FailAfterChange        int             `json:"fail_after_change"`
	LateAnswers            int             `json:"late_answers"`
	LateBy                 json.RawMessage `json:"late_by,omitempty"`
	LateChanges            bool            `json:"late_changes"`
	LostRate               float64         `json:"lost_rate"`
	LostRoutes             string          `json:"lost_routes"`
	NoRequestIDs           bool            `json:"no_request_ids"`
	UploadNeedsSSHIdentity bool            `json:"upload_needs_ssh_identity"`
}

// MarshalJSON writes latency and capacity_shortage as Go duration strings.
func (f Faults) MarshalJSON() ([]byte, error) {
	lat, _ := json.Marshal(f.Latency.String())
	shortage, _ := json.Marshal(f.CapacityShortage.String())
	lateBy, _ := json.Marshal(f.LateBy.String())
	return json.Marshal(faultsJSON{
		RateLimit: f.RateLimit, RateLimitRetryAfter: f.RateLimitRetryAfter, FailRate: f.FailRate, FailStatus: f.FailStatus,
		FailNext: f.FailNext, Latency: lat, DropPushAfterJobID: f.DropPushAfterJobID, RefuseHandshakes: f.RefuseHandshakes,
		ListenUnavailable: f.ListenUnavailable, ListenHang: f.ListenHang, Garble: f.Garble,
		CapacityShortage: shortage, CapacityOutcome: f.CapacityOutcome, InfoMessageOnly: f.InfoMessageOnly,
		SSHKeyMessageOnly: f.SSHKeyMessageOnly,
		DropAfterChange:   f.DropAfterChange, FailAfterChange: f.FailAfterChange, LateAnswers: f.LateAnswers, LateBy: lateBy,
		LateChanges: f.LateChanges, LostRate: f.LostRate, LostRoutes: f.LostRoutes,
		NoRequestIDs: f.NoRequestIDs, UploadNeedsSSHIdentity: f.UploadNeedsSSHIdentity,
	})
}

// UnmarshalJSON accepts latency and capacity_shortage as duration strings
// or nanoseconds and refuses unknown fields, so that a typo in a test does
// not silently switch nothing on.
func (f *Faults) UnmarshalJSON(data []byte) error {
	var raw faultsJSON
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		return err
	}
	out := Faults{
		RateLimit: raw.RateLimit, RateLimitRetryAfter: raw.RateLimitRetryAfter, FailRate: raw.FailRate, FailStatus: raw.FailStatus,
		FailNext: raw.FailNext, DropPushAfterJobID: raw.DropPushAfterJobID, RefuseHandshakes: raw.RefuseHandshakes,
		ListenUnavailable: raw.ListenUnavailable, ListenHang: raw.ListenHang, Garble: raw.Garble,
		CapacityOutcome: raw.CapacityOutcome, InfoMessageOnly: raw.InfoMessageOnly, SSHKeyMessageOnly: raw.SSHKeyMessageOnly, NoRequestIDs: raw.NoRequestIDs,
		UploadNeedsSSHIdentity: raw.UploadNeedsSSHIdentity,
		DropAfterChange:        raw.DropAfterChange, FailAfterChange: raw.FailAfterChange, LateAnswers: raw.LateAnswers,
		LateChanges: raw.LateChanges, LostRate: raw.LostRate, LostRoutes: raw.LostRoutes,
	}
	var err error
	if out.Latency, err = durationJSON("latency", raw.Latency); err != nil {
		return err
	}
	if out.CapacityShortage, err = durationJSON("capacity_shortage", raw.CapacityShortage); err != nil {
		return err
	}
	if out.LateBy, err = durationJSON("late_by", raw.LateBy); err != nil {
		return err
	}
	*f = out
	return nil
}

// durationJSON reads a duration given as a Go duration string or a number
// of nanoseconds; absent or null is 0.
func durationJSON(name string, raw json.RawMessage) (time.Duration, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return 0, nil
	}
	var s string
	var n int64
	switch {
	case json.Unmarshal(raw, &s) == nil:
		d, err := time.ParseDuration(s)
		if err != nil {
			return 0, fmt.Errorf("%s: %w", name, err)
		}
		return d, nil
	case json.Unmarshal(raw, &n) == nil:
		return time.Duration(n), nil
	}
	return 0, fmt.Errorf("%s: want a duration string such as \"250ms\" or nanoseconds, got %s", name, raw)
}
