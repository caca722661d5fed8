package sim

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Clusters. [DOC] POST /cluster/create answers 202 {cluster_id, message,
// instance_ids, request_id} and starts a CLUSTER_CLAIM; DELETE
// /cluster/{cluster_id} answers 202 {request_id} and starts a
// CLUSTER_RELEASE; a ready cluster is "RUNNING". [CLI] PATCH
// /cluster/edit/{cluster_id} {cluster_name, deletion_protection} answers 202
// with a message; GET /cluster/info and /cluster/list answer a message.
// [INF] everything else: the cluster_info object, the other statuses, the
// 400s, the request_id of an edit, the id formats.

// Cluster statuses. [DOC] RUNNING; [INF] the others.
const (
	ClusterPending    = "PENDING"    // claim not finished
	ClusterRunning    = "RUNNING"    // ready: accepts jobs and storage
	ClusterDestroying = "DESTROYING" // release in progress, still billing
	ClusterDestroyed  = "DESTROYED"  // released; info still answers 200
	ClusterFailed     = "FAILED"     // claim failed: nothing runs, nothing bills
)

// clusterRegion is where every simulated cluster runs. [INF]
const clusterRegion = "us-east"

// instanceTypePattern is the accepted instance types: N GPUs (1, 2, 4 or 8)
// of a known model, e.g. 1xH100 or 8xB200. [DOC] 1xH100, 8xH100, 1xH200,
// 8xH200 and 8xB200 are documented, "…" more; [INF] the rest.
var instanceTypePattern = regexp.MustCompile(`^(1|2|4|8)x(H100|H200|B200|A100|L40S)$`)

type cluster struct {
	id, owner          string // owner "" = shared (Options.Clusters)
	seq                int
	instanceType       string
	numNodes           int
	name, container    string
	instanceIDs        []string
	deletionProtection bool
	saveKeys           bool
	publicKeys         []string // body public_keys + the owner's saved keys at claim time
	created            time.Time
	status             string
	restarts           int // whole-cluster restarts (one per storage attach)

	billFrom, billTo     *time.Time
	destroyRequestedAt   *time.Time
	releasedAt           *time.Time
	jobsRunningAtRelease []string
	claimID, releaseID   string
}

// gone reports whether nothing runs on the cluster any more (it may still
// bill if a failed claim left it running: then its status is RUNNING).
func (c *cluster) gone() bool { return c.status == ClusterDestroyed || c.status == ClusterFailed }

// billing reports whether the cluster bills now.
func (c *cluster) billing() bool { return c.billFrom != nil && c.billTo == nil }

// live reports whether the cluster is running or billing: what a destroy
// must leave none of.
func (c *cluster) live() bool { return !c.gone() || c.billing() }

// startBilling starts the meter at t, once.
func (c *cluster) startBilling(t time.Time) {
	if c.billFrom == nil {
		c.billFrom = &t
	}
}

// stopBilling stops the meter at t, once.
func (c *cluster) stopBilling(t time.Time) {
	if c.billFrom != nil && c.billTo == nil {
		c.billTo = &t
	}
}

// addSharedClusterLocked registers a pre-existing cluster (Options.Clusters).
func (e *Engine) addSharedClusterLocked(id string) {
	e.objSeq++
	e.clusters[id] = &cluster{
		id: id, seq: e.objSeq, instanceType: instanceType, numNodes: 1, status: ClusterRunning,
		instanceIDs: []string{newHexID("i-", 6)}, created: e.clock.Now(),
	}
}

// visibleLocked reports whether user may see and change the cluster.
// [DOC] objects belong to their creator; [INF] shared clusters to everyone.
func (c *cluster) visibleTo(user string) bool { return c.owner == "" || c.owner == user }

// checkPushTargetLocked reports why user cannot push a job to clusterID:
// it must exist, be theirs or shared, and be RUNNING. [INF] the texts.
func (e *Engine) checkPushTargetLocked(user, clusterID string) error {
	c, ok := e.clusters[clusterID]
	switch {
	case !ok:
		return fmt.Errorf("unknown cluster %q", clusterID)
	case !c.visibleTo(user):
		return fmt.Errorf("access denied to cluster %q", clusterID)
	case c.status != ClusterRunning:
		return fmt.Errorf("cluster %q is %s, not RUNNING: it cannot run jobs", clusterID, c.status)
	}
	return nil
}

// clusterLocked returns the caller's cluster, or answers 404/403. Callers
// hold e.mu.
func (e *Engine) clusterLocked(w http.ResponseWriter, user, id string) *cluster {
	c, ok := e.clusters[id]
	if !ok {
		writeJSON(w, http.StatusNotFound, msg(fmt.Sprintf("Cluster %s not found", id)))
		return nil
	}
	if !c.visibleTo(user) {
		writeJSON(w, http.StatusForbidden, msg("Access denied"))
		return nil
	}
	return c
}

// ----- create -----------------------------------------------------------------------

// handleClusterCreate is POST /cluster/create. [DOC] the body and the 202;
// [INF] the 422s for an unknown instance type, num_nodes < 1 and malformed
// public keys. [DOC] save_keys defaults to true; [INF] what it does: the
// simulator saves each body public key the user has not saved yet as a
// saved SSH key (named after the cluster), after the cluster got its keys.
// A client that means to leave nothing behind must send save_keys false.
func (e *Engine) handleClusterCreate(w http.ResponseWriter, r *http.Request, c *call) {
	b := readJSONBody(r)
	typ := b.str("instance_type", true)
	if typ != nil && !instanceTypePattern.MatchString(*typ) {
		b.fail([]any{"body", "instance_type"},
			fmt.Sprintf("Value error, unknown instance type %q: want NxGPU such as 1xH100 or 8xB200", *typ), "value_error")
	}
	nodes := b.integer("num_nodes", false, 1)
	name := b.str("tp_cluster_name", false)
	container := b.str("container", false)
	keys := b.strList("public_keys", false)
	for i, k := range keys {
		if !validPublicKey(k) {
			b.errs = append(b.errs, publicKeyError([]any{"body", "public_keys", i}))
		}
	}
	protect := b.boolean("deletion_protection")
	saveKeys := b.boolean("save_keys")
	if writeValidation(w, b.errs) {
		return
	}
	spec := ClusterSpec{InstanceType: *typ, NumNodes: 1, PublicKeys: keys, SaveKeys: true}
	if nodes != nil {
		spec.NumNodes = int(*nodes)
	}
	spec.Name = deref(name)
	spec.Container = deref(container)
	spec.DeletionProtection = protect != nil && *protect
	if saveKeys != nil {
		spec.SaveKeys = *saveKeys
	}

	e.lockSettled()
	cl, req := e.claimLocked(c.user, spec)
	e.countForLocked("POST /cluster/create", cl.id)
	body := map[string]any{
		"cluster_id":   cl.id,
		"instance_ids": slices.Clone(cl.instanceIDs),
		"request_id":   req.id,
		"message":      fmt.Sprintf("Claiming %s: %d × %s; follow request %s", cl.id, cl.numNodes, cl.instanceType, req.id),
	}
	e.mu.Unlock()
	writeJSON(w, http.StatusAccepted, body)
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// claimLocked creates a PENDING cluster and its CLUSTER_CLAIM. Callers hold
// e.mu and have settled.
func (e *Engine) claimLocked(owner string, spec ClusterSpec) (*cluster, *request) {
	now := e.clock.Now()
	e.objSeq++
	cl := &cluster{
		id: e.uniqueIDLocked("c-"), owner: owner, seq: e.objSeq, instanceType: spec.InstanceType,
		numNodes: spec.NumNodes, name: spec.Name, container: spec.Container,
		deletionProtection: spec.DeletionProtection, saveKeys: spec.SaveKeys, created: now, status: ClusterPending,
	}
	for range spec.NumNodes {
		cl.instanceIDs = append(cl.instanceIDs, newHexID("i-", 6))
	}
	// [DOC] saved keys are added to clusters created after them: the keys
	// saved when the claim is accepted.
	cl.publicKeys = slices.Clone(spec.PublicKeys)
	for _, k := range e.keysOfLocked(owner) {
		cl.publicKeys = append(cl.publicKeys, k.publicKey)
	}
	if spec.SaveKeys {
		for _, pub := range spec.PublicKeys {
			if !slices.ContainsFunc(e.keysOfLocked(owner), func(k *sshKey) bool { return sameKey(k.publicKey, pub) }) {
				e.addKeyLocked(owner, pub, "saved with cluster "+cl.id)
			}
		}
	}
	e.clusters[cl.id] = cl
	req := e.addRequestLocked(owner, RequestClusterClaim, cl.id, now, e.claimSteps(cl, now))
	cl.claimID = req.id
	return cl, req
}

// claimSteps schedules a claim: PENDING → PROCESSING → COMPLETED normally,
// and under a capacity shortage (Faults.CapacityShortage/CapacityOutcome,
// read now) PENDING → PROCESSING → RETRYING → PROCESSING → COMPLETED, or →
// FAILED. The cluster bills from the PROCESSING that provisions it
// (capacity found) until its release completes; a claim that fails never
// bills, unless the outcome is "failed-running".
func (e *Engine) claimSteps(cl *cluster, now time.Time) []reqStep {
	provisioning := func(at time.Time) {
		if cl.status == ClusterPending {
			cl.startBilling(at)
		}
	}
	ready := func(at time.Time) {
		if cl.status == ClusterPending {
			cl.status = ClusterRunning
		}
	}
	f := e.faults
	if !f.capacityShort() {
		return e.standardSteps(now, e.opts.ClusterProvisionLatency, provisioning, ready)
	}
	start := now.Add(e.opts.RequestPendingLatency)
	retryUntil := start.Add(f.CapacityShortage)
	what := fmt.Sprintf("%d × %s", cl.numNodes, cl.instanceType)
	steps := []reqStep{
		{at: now, status: RequestPending},
		{at: start, status: RequestProcessing},
		{
			at: start, status: RequestRetrying, attempts: true,
			message: fmt.Sprintf("Waiting for %s capacity in %s; retrying (attempt %%d)", what, clusterRegion),
		},
	}
	attempts := 1 + int(f.CapacityShortage/capacityRetryInterval)
	switch f.CapacityOutcome {
	case CapacityFailed:
		steps = append(steps, reqStep{
			at: retryUntil, status: RequestFailed,
			message: fmt.Sprintf("No %s capacity became available in %s after %d attempts; the claim was abandoned: nothing is running or billing",
				what, clusterRegion, attempts),
			effect: func(at time.Time) {
				if cl.status == ClusterPending {
					cl.status = ClusterFailed
				}
			},
		})
	case CapacityFailedRunning:
		steps = append(steps, reqStep{
			at: retryUntil, status: RequestFailed,
			message: fmt.Sprintf("Provisioning did not finish: instance %s failed its health check; the cluster may still be running and billing: release it",
				cl.instanceIDs[0]),
			effect: func(at time.Time) {
				if cl.status == ClusterPending {
					cl.status = ClusterRunning
					cl.startBilling(at)
				}
			},
		})
	default:
		steps = append(steps,
			reqStep{at: retryUntil, status: RequestProcessing, effect: provisioning},
			reqStep{at: retryUntil.Add(e.opts.ClusterProvisionLatency), status: RequestCompleted, effect: ready})
	}
	return steps
}

// ----- read ---------------------------------------------------------------------------

// clusterInfo is the cluster_info object. [INF] the whole shape.
type clusterInfo struct {
	ClusterID          string   `json:"cluster_id"`
	Status             string   `json:"status"`
	InstanceType       string   `json:"instance_type"`
	NumNodes           int      `json:"num_nodes"`
	TPClusterName      *string  `json:"tp_cluster_name"`
	Container          *string  `json:"container"`
	InstanceIDs        []string `json:"instance_ids"`
	DeletionProtection bool     `json:"deletion_protection"`
	CreatedAt          string   `json:"created_at"`
}

// handleClusterInfo is GET /cluster/info/{cluster_id}. [CLI] a message;
// [INF] cluster_info, absent under Faults.InfoMessageOnly. A released
// cluster still answers 200 with status DESTROYED [INF], the harder case
// for a client than a 404.
func (e *Engine) handleClusterInfo(w http.ResponseWriter, _ *http.Request, c *call) {
	e.lockSettled()
	cl := e.clusterLocked(w, c.user, c.id)
	if cl == nil {
		e.mu.Unlock()
		return
	}
	info := clusterInfo{
		ClusterID: cl.id, Status: cl.status, InstanceType: cl.instanceType, NumNodes: cl.numNodes,
		TPClusterName: nullable(cl.name), Container: nullable(cl.container), InstanceIDs: slices.Clone(cl.instanceIDs),
		DeletionProtection: cl.deletionProtection, CreatedAt: apiTime(cl.created),
	}
	attached := e.attachedStorageLocked(cl.id)
	messageOnly := e.faults.InfoMessageOnly
	e.mu.Unlock()
	text := renderClusterInfo(info, attached)
	if messageOnly {
		writeJSON(w, http.StatusOK, msg(text))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"message": text, "cluster_info": info})
}

func renderClusterInfo(i clusterInfo, storage []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Cluster %s", i.ClusterID)
	if i.TPClusterName != nil {
		fmt.Fprintf(&b, " (%s)", *i.TPClusterName)
	}
	fmt.Fprintf(&b, "\n  Status: %s\n  Instance type: %s × %d node(s)\n  Instances: %s\n",
		i.Status, i.InstanceType, i.NumNodes, strings.Join(i.InstanceIDs, ", "))
	if i.Container != nil {
		fmt.Fprintf(&b, "  Container: %s\n", *i.Container)
	}
	fmt.Fprintf(&b, "  Deletion protection: %t\n  Created: %s", i.DeletionProtection, i.CreatedAt)
	if len(storage) > 0 {
		fmt.Fprintf(&b, "\n  Storage: %s", strings.Join(storage, ", "))
	}
	return b.String()
}

// handleClusterList is GET /cluster/list. [CLI] only a message; [INF] each
// user is its own organisation, so include_org changes nothing.
func (e *Engine) handleClusterList(w http.ResponseWriter, _ *http.Request, c *call) {
	e.lockSettled()
	cls := inCreationOrder(e.clusters)
	var lines []string
	for _, cl := range cls {
		if cl.visibleTo(c.user) && !cl.gone() {
			lines = append(lines, fmt.Sprintf("%s  %s  %d × %s  %s", cl.id, cl.status, cl.numNodes, cl.instanceType, cl.name))
		}
	}
	e.mu.Unlock()
	if len(lines) == 0 {
		writeJSON(w, http.StatusOK, msg("No clusters"))
		return
	}
	writeJSON(w, http.StatusOK, msg(strings.Join(lines, "\n")))
}

// ----- edit -----------------------------------------------------------------------------

// handleClusterEdit is PATCH /cluster/edit/{cluster_id}. [CLI] body
// {cluster_name, deletion_protection} (either may be absent), 202 with a
// message; [INF] the request_id (CLUSTER_EDIT), the change showing once the
// request completes, and 400 for a cluster that is released or being
// released.
func (e *Engine) handleClusterEdit(w http.ResponseWriter, r *http.Request, c *call) {
	b := readJSONBody(r)
	name := b.str("cluster_name", false)
	protect := b.boolean("deletion_protection")
	if writeValidation(w, b.errs) {
		return
	}
	e.lockSettled()
	defer e.mu.Unlock()
	cl := e.clusterLocked(w, c.user, c.id)
	if cl == nil {
		return
	}
	if cl.gone() || cl.status == ClusterDestroying {
		writeJSON(w, http.StatusBadRequest, msg(fmt.Sprintf("Cluster %s is %s and can no longer be edited", cl.id, cl.status)))
		return
	}
	apply := func(time.Time) {
		if cl.gone() {
			return
		}
		if name != nil {
			cl.name = *name
		}
		if protect != nil {
			cl.deletionProtection = *protect
		}
	}
	now := e.clock.Now()
	req := e.addRequestLocked(c.user, RequestClusterEdit, cl.id, now, e.standardSteps(now, e.opts.ClusterEditLatency, nil, apply))
	writeJSON(w, http.StatusAccepted, map[string]any{
		"message": fmt.Sprintf("Updating cluster %s", cl.id), "request_id": req.id,
	})
}

// ----- release ----------------------------------------------------------------------------

// handleClusterRelease is DELETE /cluster/{cluster_id}. [DOC] 202
// {request_id}, CLUSTER_RELEASE; [INF] 400 for a protected cluster and for
// one that is released, being released or FAILED (nothing to release).
func (e *Engine) handleClusterRelease(w http.ResponseWriter, _ *http.Request, c *call) {
	e.lockSettled()
	defer e.mu.Unlock()
	cl := e.clusterLocked(w, c.user, c.id)
	if cl == nil {
		return
	}
	if err := releasable(cl); err != nil {
		writeJSON(w, http.StatusBadRequest, msg(err.Error()))
		return
	}
	req := e.releaseLocked(c.user, cl)
	writeJSON(w, http.StatusAccepted, e.withRequestIDLocked(map[string]any{"message": fmt.Sprintf("Releasing cluster %s", cl.id)}, req.id))
}

// releasable says why a cluster cannot be released. [INF]
func releasable(cl *cluster) error {
	switch {
	case cl.deletionProtection:
		return fmt.Errorf("cluster %s has deletion protection enabled; disable it first "+
			"(PATCH /cluster/edit/%s with deletion_protection false, or tp cluster edit %s --deletion-protection false)", cl.id, cl.id, cl.id)
	case cl.status == ClusterDestroying:
		return fmt.Errorf("cluster %s is already being released", cl.id)
	case cl.status == ClusterDestroyed:
		return fmt.Errorf("cluster %s is already released", cl.id)
	case cl.status == ClusterFailed:
		return fmt.Errorf("cluster %s failed to provision: nothing to release", cl.id)
	}
	return nil
}

// releaseLocked starts a CLUSTER_RELEASE: the cluster is DESTROYING at once;
// a claim still in progress fails; the jobs still running are recorded and
// end "failed" when the release completes [INF]; so do its attachments.
// Callers hold e.mu and have settled.
func (e *Engine) releaseLocked(user string, cl *cluster) *request {
	now := e.clock.Now()
	e.beginReleaseLocked(cl, now)
	done := now.Add(e.opts.RequestPendingLatency).Add(e.opts.ClusterReleaseLatency)
	e.scheduleJobsEndLocked(cl, done)
	req := e.addRequestLocked(user, RequestClusterRelease, cl.id, now,
		e.standardSteps(now, e.opts.ClusterReleaseLatency, nil, func(at time.Time) { e.finishReleaseLocked(cl, at) }))
	cl.releaseID = req.id
	return req
}

// beginReleaseLocked marks the cluster DESTROYING at now and records the
// jobs running on it.
func (e *Engine) beginReleaseLocked(cl *cluster, now time.Time) {
	cl.status = ClusterDestroying
	if claim := e.requests[cl.claimID]; claim != nil {
		claim.failNow(now, fmt.Sprintf("Canceled: cluster %s was released before it was provisioned", cl.id))
	}
	if cl.destroyRequestedAt != nil {
		return // the first request counts
	}
	t := now
	cl.destroyRequestedAt = &t
	for _, j := range e.jobsOnLocked(cl.id) {
		if !IsTerminal(j.status(now)) {
			cl.jobsRunningAtRelease = append(cl.jobsRunningAtRelease, j.id)
		}
	}
}

// scheduleJobsEndLocked makes every job on the cluster still running at
// `at` fail then, so that job streams see it coming. (finishReleaseLocked
// checks again: a cancel may have replaced the schedule since.)
func (e *Engine) scheduleJobsEndLocked(cl *cluster, at time.Time) {
	for _, j := range e.jobsOnLocked(cl.id) {
		if !IsTerminal(j.status(at)) {
			j.replaceFuture(at, step{at: at, status: StatusFailed})
		}
	}
	e.notifyLocked()
}

// finishReleaseLocked is the end of a release at `at`: DESTROYED, billing
// stopped, attachments ended, jobs ended.
func (e *Engine) finishReleaseLocked(cl *cluster, at time.Time) {
	if cl.status != ClusterDestroying {
		return
	}
	cl.status = ClusterDestroyed
	cl.stopBilling(at)
	t := at
	cl.releasedAt = &t
	e.scheduleJobsEndLocked(cl, at)
	for _, a := range e.attachments {
		if a.clusterID == cl.id && a.live() {
			a.end(at)
			if s := e.storage[a.storageID]; s != nil {
				e.refreshStorageStatusLocked(s)
			}
		}
	}
}

// jobsOnLocked returns the jobs pushed to a cluster, oldest first.
func (e *Engine) jobsOnLocked(clusterID string) []*job {
	var out []*job
	for _, j := range e.jobs {
		if j.cluster == clusterID {
			out = append(out, j)
		}
	}
	slices.SortFunc(out, func(a, b *job) int { return a.creationSeq() - b.creationSeq() })
	return out
}

// ----- inspection ---------------------------------------------------------------------------

// ClusterSnapshot is a copy of a cluster's state at one instant, for tests
// and GET /_sim/clusters.
type ClusterSnapshot struct {
	ClusterID string `json:"cluster_id"`
	// Owner is the user that created it; "" for a shared pre-existing
	// cluster (Options.Clusters).
	Owner              string   `json:"owner"`
	Status             string   `json:"status"`
	InstanceType       string   `json:"instance_type"`
	NumNodes           int      `json:"num_nodes"`
	InstanceIDs        []string `json:"instance_ids"`
	Name               string   `json:"name"`
	Container          string   `json:"container"`
	DeletionProtection bool     `json:"deletion_protection"`
	SaveKeys           bool     `json:"save_keys"`
	// PublicKeys are the keys the cluster got: the body's public_keys, then
	// the owner's saved keys when the claim was accepted.
	PublicKeys []string `json:"public_keys"`
	// Restarts counts whole-cluster restarts: one per completed attach.
	Restarts int `json:"restarts"`
	// StorageIDs are the volumes attached now.
	StorageIDs []string  `json:"storage_ids"`
	CreatedAt  time.Time `json:"created_at"`
	// Billing: from BillingStartedAt until BillingEndedAt (nil while it
	// still bills); Billing says whether it bills now.
	Billing          bool       `json:"billing"`
	BillingStartedAt *time.Time `json:"billing_started_at"`
	BillingEndedAt   *time.Time `json:"billing_ended_at"`
	// Billed is how long it has billed in all.
	Billed             time.Duration `json:"billed_ns"`
	DestroyRequestedAt *time.Time    `json:"destroy_requested_at"`
	ReleasedAt         *time.Time    `json:"released_at"`
	// BilledAfterDestroyRequested is how long it billed after its first
	// accepted release (or ReleaseCluster): the release latency when all
	// went well, growing while it still bills.
	BilledAfterDestroyRequested time.Duration `json:"billed_after_destroy_requested_ns"`
	// JobsRunningAtRelease are the jobs that were not terminal when the
	// release was accepted; they end "failed" when it completes.
	JobsRunningAtRelease []string `json:"jobs_running_at_release"`
	ClaimRequestID       string   `json:"claim_request_id"`
	ReleaseRequestID     string   `json:"release_request_id"`
}

func (e *Engine) clusterSnapshotLocked(cl *cluster, now time.Time) ClusterSnapshot {
	m := meter{from: cl.billFrom, to: cl.billTo, destroyRequested: cl.destroyRequestedAt}
	return ClusterSnapshot{
		ClusterID: cl.id, Owner: cl.owner, Status: cl.status, InstanceType: cl.instanceType, NumNodes: cl.numNodes,
		InstanceIDs: slices.Clone(cl.instanceIDs), Name: cl.name, Container: cl.container,
		DeletionProtection: cl.deletionProtection, SaveKeys: cl.saveKeys, PublicKeys: slices.Clone(cl.publicKeys),
		Restarts: cl.restarts, StorageIDs: e.attachedStorageLocked(cl.id), CreatedAt: cl.created.UTC(),
		Billing: cl.billing(), BillingStartedAt: utcPtr(cl.billFrom), BillingEndedAt: utcPtr(cl.billTo),
		Billed: m.billed(now), DestroyRequestedAt: utcPtr(cl.destroyRequestedAt), ReleasedAt: utcPtr(cl.releasedAt),
		BilledAfterDestroyRequested: m.afterDestroy(now), JobsRunningAtRelease: slices.Clone(cl.jobsRunningAtRelease),
		ClaimRequestID: cl.claimID, ReleaseRequestID: cl.releaseID,
	}
}

// Clusters returns every cluster, shared ones included, oldest first.
func (e *Engine) Clusters() []ClusterSnapshot {
	return snapshotAll(e, func() map[string]*cluster { return e.clusters }, e.clusterSnapshotLocked)
}

// Cluster returns one cluster.
func (e *Engine) Cluster(id string) (ClusterSnapshot, bool) {
	return snapshotOne(e, func() map[string]*cluster { return e.clusters }, id, e.clusterSnapshotLocked)
}

// handleSimClusters is GET /_sim/clusters.
func (e *Engine) handleSimClusters(w http.ResponseWriter, _ *http.Request, _ *call) {
	writeJSON(w, http.StatusOK, map[string]any{"clusters": e.Clusters()})
}

// ErrNoObject is returned by the Go helpers for an unknown cluster, volume,
// attachment or key.
var ErrNoObject = errors.New("no such object")
