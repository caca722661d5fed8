package sim

import (
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Storage volumes and their attachments to clusters. [DOC] the routes, the
// bodies, 202 with request ids, one STORAGE_ATTACH per cluster, and that
// attaching restarts every node of the cluster. [INF] the storage_info
// object, the statuses, the 400s and the id format.

// Storage statuses. [INF]
const (
	StoragePending    = "PENDING"
	StorageAvailable  = "AVAILABLE" // ready, not attached
	StorageAttached   = "ATTACHED"
	StorageDestroying = "DESTROYING"
	StorageDestroyed  = "DESTROYED"
	StorageFailed     = "FAILED"
)

// Attachment statuses (simulator only: the API shows attachments as a
// volume's cluster_ids). [INF]
const (
	AttachmentAttaching = "ATTACHING"
	AttachmentAttached  = "ATTACHED"
	AttachmentDetaching = "DETACHING"
	AttachmentDetached  = "DETACHED"
)

type storage struct {
	id, owner          string
	seq                int
	sizeGB             int64
	name               string
	deletionProtection bool
	created            time.Time
	status             string

	billFrom, billTo   *time.Time
	destroyRequestedAt *time.Time
	releasedAt         *time.Time
}

func (s *storage) gone() bool    { return s.status == StorageDestroyed || s.status == StorageFailed }
func (s *storage) billing() bool { return s.billFrom != nil && s.billTo == nil }
func (s *storage) live() bool    { return !s.gone() || s.billing() }

// attachment is one volume attached (or being attached or detached) to one
// cluster. Its id, "<storage_id>/<cluster_id>", is the one the provider
// gives the attachment resource.
type attachment struct {
	storageID, clusterID string
	owner                string
	status               string
	requestedAt          time.Time
	attachedAt           *time.Time
	detachedAt           *time.Time
}

// AttachmentID is the id of the attachment of a volume to a cluster, as
// CheckNoOrphanedObjects expects it in the state: "<storage_id>/<cluster_id>".
func AttachmentID(storageID, clusterID string) string { return storageID + "/" + clusterID }

// live reports whether the attachment holds (or is about to hold) the
// volume on the cluster.
func (a *attachment) live() bool { return a.status != AttachmentDetached }

// mounted reports whether the cluster sees the volume now: attached, or
// attached and being detached.
func (a *attachment) mounted() bool {
	return a.status == AttachmentAttached || a.status == AttachmentDetaching
}

func (a *attachment) end(at time.Time) {
	a.status = AttachmentDetached
	t := at
	a.detachedAt = &t
}

// attachedStorageLocked returns the ids of the volumes mounted on a
// cluster, sorted.
func (e *Engine) attachedStorageLocked(clusterID string) []string {
	var out []string
	for _, a := range e.attachments {
		if a.clusterID == clusterID && a.mounted() {
			out = append(out, a.storageID)
		}
	}
	slices.Sort(out)
	return out
}

// mountedOnLocked returns the ids of the clusters a volume is mounted on,
// sorted.
func (e *Engine) mountedOnLocked(storageID string) []string {
	var out []string
	for _, a := range e.attachments {
		if a.storageID == storageID && a.mounted() {
			out = append(out, a.clusterID)
		}
	}
	slices.Sort(out)
	return out
}

// refreshStorageStatusLocked sets a ready volume's status from its
// attachments: ATTACHED when mounted somewhere, AVAILABLE otherwise.
func (e *Engine) refreshStorageStatusLocked(s *storage) {
	if s.status != StorageAvailable && s.status != StorageAttached {
		return
	}
	s.status = StorageAvailable
	if len(e.mountedOnLocked(s.id)) > 0 {
		s.status = StorageAttached
	}
}

// storageLocked returns the caller's volume, or answers 404/403.
func (e *Engine) storageLocked(w http.ResponseWriter, user, id string) *storage {
	s, ok := e.storage[id]
	if !ok {
		writeJSON(w, http.StatusNotFound, msg(fmt.Sprintf("Storage volume %s not found", id)))
		return nil
	}
	if s.owner != user {
		writeJSON(w, http.StatusForbidden, msg("Access denied"))
		return nil
	}
	return s
}

// ----- create -------------------------------------------------------------------------

// handleStorageCreate is POST /storage/create. [DOC] {size (GB, required),
// name, deletion_protection} → 202 {storage_id, request_id, message};
// [INF] size < 1 → 422.
func (e *Engine) handleStorageCreate(w http.ResponseWriter, r *http.Request, c *call) {
	b := readJSONBody(r)
	size := b.integer("size", true, 1)
	name := b.str("name", false)
	protect := b.boolean("deletion_protection")
	if writeValidation(w, b.errs) {
		return
	}
	e.lockSettled()
	defer e.mu.Unlock()
	s, req := e.createStorageLocked(c.user, StorageSpec{SizeGB: *size, Name: deref(name), DeletionProtection: protect != nil && *protect})
	e.countForLocked("POST /storage/create", s.id)
	writeJSON(w, http.StatusAccepted, map[string]any{
		"storage_id": s.id, "request_id": req.id,
		"message": fmt.Sprintf("Creating a %d GB storage volume %s; follow request %s", s.sizeGB, s.id, req.id),
	})
}

// createStorageLocked creates a PENDING volume and its STORAGE_CREATE: it
// bills from PROCESSING and is AVAILABLE once COMPLETED.
func (e *Engine) createStorageLocked(owner string, spec StorageSpec) (*storage, *request) {
	now := e.clock.Now()
	e.objSeq++
	s := &storage{
		id: e.uniqueIDLocked("s-"), owner: owner, seq: e.objSeq, sizeGB: spec.SizeGB, name: spec.Name,
		deletionProtection: spec.DeletionProtection, created: now, status: StoragePending,
	}
	e.storage[s.id] = s
	req := e.addRequestLocked(owner, RequestStorageCreate, s.id, now, e.standardSteps(now, e.opts.StorageLatency,
		func(at time.Time) {
			if s.status == StoragePending {
				s.billFrom = &at
			}
		},
		func(time.Time) {
			if s.status == StoragePending {
				s.status = StorageAvailable
				e.refreshStorageStatusLocked(s)
			}
		}))
	return s, req
}

// ----- read ------------------------------------------------------------------------------

// storageInfo is the storage_info object. [INF] the whole shape.
type storageInfo struct {
	StorageID          string   `json:"storage_id"`
	Status             string   `json:"status"`
	SizeGB             int64    `json:"size_gb"`
	TPStorageName      *string  `json:"tp_storage_name"`
	DeletionProtection bool     `json:"deletion_protection"`
	ClusterIDs         []string `json:"cluster_ids"`
	CreatedAt          string   `json:"created_at"`
}

// handleStorageInfo is GET /storage/info/{storage_id}. [CLI] a message;
// [INF] storage_info, absent under Faults.InfoMessageOnly; a destroyed
// volume still answers 200 with status DESTROYED.
func (e *Engine) handleStorageInfo(w http.ResponseWriter, _ *http.Request, c *call) {
	e.lockSettled()
	s := e.storageLocked(w, c.user, c.id)
	if s == nil {
		e.mu.Unlock()
		return
	}
	info := storageInfo{
		StorageID: s.id, Status: s.status, SizeGB: s.sizeGB, TPStorageName: nullable(s.name),
		DeletionProtection: s.deletionProtection, ClusterIDs: e.mountedOnLocked(s.id), CreatedAt: apiTime(s.created),
	}
	if info.ClusterIDs == nil {
		info.ClusterIDs = []string{}
	}
	messageOnly := e.faults.InfoMessageOnly
	e.mu.Unlock()
	text := renderStorageInfo(info)
	if messageOnly {
		writeJSON(w, http.StatusOK, msg(text))
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"message": text, "storage_info": info})
}

func renderStorageInfo(i storageInfo) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Storage volume %s", i.StorageID)
	if i.TPStorageName != nil {
		fmt.Fprintf(&b, " (%s)", *i.TPStorageName)
	}
	fmt.Fprintf(&b, "\n  Status: %s\n  Size: %d GB\n  Deletion protection: %t\n  Created: %s",
		i.Status, i.SizeGB, i.DeletionProtection, i.CreatedAt)
	if len(i.ClusterIDs) > 0 {
		fmt.Fprintf(&b, "\n  Attached to: %s", strings.Join(i.ClusterIDs, ", "))
	}
	return b.String()
}

// handleStorageList is GET /storage/list. [CLI] only a message.
func (e *Engine) handleStorageList(w http.ResponseWriter, _ *http.Request, c *call) {
	e.lockSettled()
	ss := inCreationOrder(e.storage)
	var lines []string
	for _, s := range ss {
		if s.owner == c.user && !s.gone() {
			lines = append(lines, fmt.Sprintf("%s  %s  %d GB  %s", s.id, s.status, s.sizeGB, s.name))
		}
	}
	e.mu.Unlock()
	if len(lines) == 0 {
		writeJSON(w, http.StatusOK, msg("No storage volumes"))
		return
	}
	writeJSON(w, http.StatusOK, msg(strings.Join(lines, "\n")))
}

// ----- edit ------------------------------------------------------------------------------

// handleStorageEdit is PATCH /storage/edit/{storage_id}. [DOC] body
// {tp_storage_name, deletion_protection, size_gb}, any subset, and that a
// volume can only grow; [INF] 202 {message, request_id} (STORAGE_EDIT), the
// change showing once the request completes, 400 for a smaller size and for
// a volume that is destroyed or being destroyed.
func (e *Engine) handleStorageEdit(w http.ResponseWriter, r *http.Request, c *call) {
	b := readJSONBody(r)
	name := b.str("tp_storage_name", false)
	protect := b.boolean("deletion_protection")
	size := b.integer("size_gb", false, 1)
	if writeValidation(w, b.errs) {
		return
	}
	e.lockSettled()
	defer e.mu.Unlock()
	s := e.storageLocked(w, c.user, c.id)
	if s == nil {
		return
	}
	if s.gone() || s.status == StorageDestroying {
		writeJSON(w, http.StatusBadRequest, msg(fmt.Sprintf("Storage volume %s is %s and can no longer be edited", s.id, s.status)))
		return
	}
	if size != nil && *size < s.sizeGB {
		writeJSON(w, http.StatusBadRequest, msg(fmt.Sprintf(
			"storage volumes can only grow: %s is %d GB, %d GB asked", s.id, s.sizeGB, *size)))
		return
	}
	apply := func(time.Time) {
		if s.gone() {
			return
		}
		if name != nil {
			s.name = *name
		}
		if protect != nil {
			s.deletionProtection = *protect
		}
		if size != nil && *size > s.sizeGB {
			s.sizeGB = *size
		}
	}
	now := e.clock.Now()
	req := e.addRequestLocked(c.user, RequestStorageEdit, s.id, now, e.standardSteps(now, e.opts.StorageLatency, nil, apply))
	writeJSON(w, http.StatusAccepted, map[string]any{"message": fmt.Sprintf("Updating storage volume %s", s.id), "request_id": req.id})
}

// ----- destroy ----------------------------------------------------------------------------

// handleStorageDestroy is DELETE /storage/{storage_id}. [DOC] 202
// {request_id}, STORAGE_DESTROY; [INF] 400 when protected, attached (or
// being attached or detached), or already destroyed or being destroyed.
func (e *Engine) handleStorageDestroy(w http.ResponseWriter, _ *http.Request, c *call) {
	e.lockSettled()
	defer e.mu.Unlock()
	s := e.storageLocked(w, c.user, c.id)
	if s == nil {
		return
	}
	if err := e.destroyableLocked(s); err != nil {
		writeJSON(w, http.StatusBadRequest, msg(err.Error()))
		return
	}
	req := e.destroyStorageLocked(c.user, s)
	writeJSON(w, http.StatusAccepted, e.withRequestIDLocked(map[string]any{"message": fmt.Sprintf("Destroying storage volume %s", s.id)}, req.id))
}

func (e *Engine) destroyableLocked(s *storage) error {
	var attached []string
	for _, a := range e.attachments {
		if a.storageID == s.id && a.live() {
			attached = append(attached, a.clusterID)
		}
	}
	slices.Sort(attached)
	switch {
	case s.deletionProtection:
		return fmt.Errorf("storage volume %s has deletion protection enabled; disable it first (PATCH /storage/edit/%s with deletion_protection false)", s.id, s.id)
	case s.status == StorageDestroying:
		return fmt.Errorf("storage volume %s is already being destroyed", s.id)
	case s.gone():
		return fmt.Errorf("storage volume %s is already %s", s.id, s.status)
	case len(attached) > 0:
		return fmt.Errorf("storage volume %s is attached to %s; detach it first", s.id, strings.Join(attached, ", "))
	}
	return nil
}

// destroyStorageLocked starts a STORAGE_DESTROY: DESTROYING at once, and
// DESTROYED with billing stopped when it completes. A create still in
// progress fails.
func (e *Engine) destroyStorageLocked(user string, s *storage) *request {
	now := e.clock.Now()
	s.status = StorageDestroying
	t := now
	s.destroyRequestedAt = &t
	if create := e.createRequestOfLocked(s.id); create != nil {
		create.failNow(now, fmt.Sprintf("Canceled: storage volume %s was destroyed before it was ready", s.id))
	}
	return e.addRequestLocked(user, RequestStorageDestroy, s.id, now, e.standardSteps(now, e.opts.StorageLatency, nil,
		func(at time.Time) { e.finishStorageDestroyLocked(s, at) }))
}

func (e *Engine) finishStorageDestroyLocked(s *storage, at time.Time) {
	if s.status != StorageDestroying {
		return
	}
	s.status = StorageDestroyed
	if s.billing() {
		s.billTo = &at
	}
	t := at
	s.releasedAt = &t
	for _, a := range e.attachments {
		if a.storageID == s.id && a.live() {
			a.end(at)
		}
	}
}

// createRequestOfLocked is the STORAGE_CREATE of a volume.
func (e *Engine) createRequestOfLocked(storageID string) *request {
	for _, r := range e.requests {
		if r.objectID == storageID && r.typ == RequestStorageCreate {
			return r
		}
	}
	return nil
}

// ----- attach and detach ---------------------------------------------------------------------

// handleStorageAttach is POST /storage/attach {storage_id, cluster_ids}.
// [DOC] 202 {request_ids}, one STORAGE_ATTACH per cluster (object_id = the
// storage id), every node of the cluster restarts; [INF] all clusters are
// checked before any request starts: 404 unknown, 403 not the caller's, 400
// not RUNNING or already attached, 400 for a volume that is not ready.
func (e *Engine) handleStorageAttach(w http.ResponseWriter, r *http.Request, c *call) {
	b := readJSONBody(r)
	sid := b.str("storage_id", true)
	cids := b.strList("cluster_ids", true)
	if cids != nil && len(cids) == 0 {
		b.fail([]any{"body", "cluster_ids"}, "List should have at least 1 item after validation, not 0", "too_short")
	}
	if writeValidation(w, b.errs) {
		return
	}
	e.lockSettled()
	defer e.mu.Unlock()
	s := e.storageLocked(w, c.user, *sid)
	if s == nil {
		return
	}
	if s.status != StorageAvailable && s.status != StorageAttached {
		writeJSON(w, http.StatusBadRequest, msg(fmt.Sprintf("Storage volume %s is %s: only a ready volume can be attached", s.id, s.status)))
		return
	}
	var targets []*cluster
	for _, id := range cids {
		cl := e.clusterLocked(w, c.user, id)
		if cl == nil {
			return
		}
		if cl.status != ClusterRunning {
			writeJSON(w, http.StatusBadRequest, msg(fmt.Sprintf("Cluster %s is %s: storage can only be attached to a RUNNING cluster", cl.id, cl.status)))
			return
		}
		if a := e.attachments[AttachmentID(s.id, cl.id)]; (a != nil && a.live()) || slices.Contains(targets, cl) {
			writeJSON(w, http.StatusBadRequest, msg(fmt.Sprintf("Storage volume %s is already attached to cluster %s", s.id, cl.id)))
			return
		}
		targets = append(targets, cl)
	}
	ids := make([]string, 0, len(targets))
	e.countForLocked("POST /storage/attach", s.id)
	for _, cl := range targets {
		ids = append(ids, e.attachLocked(c.user, s, cl).id)
		e.countForLocked("POST /storage/attach", cl.id)
	}
	body := map[string]any{
		"request_ids": ids,
		"message": fmt.Sprintf("Attaching storage volume %s to %s; every node of each cluster restarts",
			s.id, strings.Join(cids, ", ")),
	}
	if e.faults.NoRequestIDs {
		delete(body, "request_ids")
	}
	writeJSON(w, http.StatusAccepted, body)
}

// attachLocked starts a STORAGE_ATTACH: ATTACHING at once; when it
// completes the volume is mounted and every node of the cluster restarts.
func (e *Engine) attachLocked(user string, s *storage, cl *cluster) *request {
	now := e.clock.Now()
	a := &attachment{storageID: s.id, clusterID: cl.id, owner: user, status: AttachmentAttaching, requestedAt: now}
	e.attachments[AttachmentID(s.id, cl.id)] = a
	return e.addRequestLocked(user, RequestStorageAttach, s.id, now, e.standardSteps(now, e.opts.StorageLatency, nil,
		func(at time.Time) { e.finishAttachLocked(a, s, cl, at) }))
}

func (e *Engine) finishAttachLocked(a *attachment, s *storage, cl *cluster, at time.Time) {
	if a.status != AttachmentAttaching {
		return
	}
	if cl.gone() || s.gone() || s.status == StorageDestroying {
		a.end(at)
		return
	}
	a.status = AttachmentAttached
	t := at
	a.attachedAt = &t
	cl.restarts++ // [DOC] attaching restarts every node
	e.refreshStorageStatusLocked(s)
}

// handleStorageDetach is POST /storage/detach {storage_id, cluster_id}.
// [DOC] 202 {request_id}, STORAGE_DETACH; [INF] 400 when the volume is not
// attached to that cluster (or is being attached or detached).
func (e *Engine) handleStorageDetach(w http.ResponseWriter, r *http.Request, c *call) {
	b := readJSONBody(r)
	sid := b.str("storage_id", true)
	cid := b.str("cluster_id", true)
	if writeValidation(w, b.errs) {
		return
	}
	e.lockSettled()
	defer e.mu.Unlock()
	s := e.storageLocked(w, c.user, *sid)
	if s == nil {
		return
	}
	cl := e.clusterLocked(w, c.user, *cid)
	if cl == nil {
		return
	}
	a := e.attachments[AttachmentID(s.id, cl.id)]
	if a == nil || a.status != AttachmentAttached {
		state := "not attached to"
		if a != nil && a.live() {
			state = strings.ToLower(a.status) + " (not attached to)"
		}
		writeJSON(w, http.StatusBadRequest, msg(fmt.Sprintf("Storage volume %s is %s cluster %s", s.id, state, cl.id)))
		return
	}
	req := e.detachLocked(c.user, a, s)
	e.countForLocked("POST /storage/detach", s.id)
	e.countForLocked("POST /storage/detach", cl.id)
	writeJSON(w, http.StatusAccepted, e.withRequestIDLocked(map[string]any{"message": fmt.Sprintf("Detaching storage volume %s from %s", s.id, cl.id)}, req.id))
}

// detachLocked starts a STORAGE_DETACH: DETACHING at once (still mounted),
// DETACHED when it completes.
func (e *Engine) detachLocked(user string, a *attachment, s *storage) *request {
	now := e.clock.Now()
	a.status = AttachmentDetaching
	return e.addRequestLocked(user, RequestStorageDetach, s.id, now, e.standardSteps(now, e.opts.StorageLatency, nil,
		func(at time.Time) {
			if a.status == AttachmentDetaching {
				a.end(at)
				e.refreshStorageStatusLocked(s)
			}
		}))
}

// ----- inspection ---------------------------------------------------------------------------

// StorageSnapshot is a copy of a volume's state at one instant, for tests
// and GET /_sim/storage.
type StorageSnapshot struct {
	StorageID          string `json:"storage_id"`
	Owner              string `json:"owner"`
	Status             string `json:"status"`
	SizeGB             int64  `json:"size_gb"`
	Name               string `json:"name"`
	DeletionProtection bool   `json:"deletion_protection"`
	// ClusterIDs are the clusters it is mounted on now.
	ClusterIDs                  []string      `json:"cluster_ids"`
	CreatedAt                   time.Time     `json:"created_at"`
	Billing                     bool          `json:"billing"`
	BillingStartedAt            *time.Time    `json:"billing_started_at"`
	BillingEndedAt              *time.Time    `json:"billing_ended_at"`
	Billed                      time.Duration `json:"billed_ns"`
	DestroyRequestedAt          *time.Time    `json:"destroy_requested_at"`
	ReleasedAt                  *time.Time    `json:"released_at"`
	BilledAfterDestroyRequested time.Duration `json:"billed_after_destroy_requested_ns"`
}

func (e *Engine) storageSnapshotLocked(s *storage, now time.Time) StorageSnapshot {
	m := meter{from: s.billFrom, to: s.billTo, destroyRequested: s.destroyRequestedAt}
	return StorageSnapshot{
		StorageID: s.id, Owner: s.owner, Status: s.status, SizeGB: s.sizeGB, Name: s.name,
		DeletionProtection: s.deletionProtection, ClusterIDs: e.mountedOnLocked(s.id), CreatedAt: s.created.UTC(),
		Billing: s.billing(), BillingStartedAt: utcPtr(s.billFrom), BillingEndedAt: utcPtr(s.billTo), Billed: m.billed(now),
		DestroyRequestedAt: utcPtr(s.destroyRequestedAt), ReleasedAt: utcPtr(s.releasedAt),
		BilledAfterDestroyRequested: m.afterDestroy(now),
	}
}

// Storage returns every volume, oldest first.
func (e *Engine) Storage() []StorageSnapshot {
	return snapshotAll(e, func() map[string]*storage { return e.storage }, e.storageSnapshotLocked)
}

// StorageVolume returns one volume.
func (e *Engine) StorageVolume(id string) (StorageSnapshot, bool) {
	return snapshotOne(e, func() map[string]*storage { return e.storage }, id, e.storageSnapshotLocked)
}

// AttachmentSnapshot is one volume–cluster attachment, for tests and GET
// /_sim/attachments. A detached attachment stays listed until the pair is
// attached again.
type AttachmentSnapshot struct {
	// ID is AttachmentID(StorageID, ClusterID).
	ID          string     `json:"id"`
	StorageID   string     `json:"storage_id"`
	ClusterID   string     `json:"cluster_id"`
	Owner       string     `json:"owner"`
	Status      string     `json:"status"`
	Live        bool       `json:"live"`
	RequestedAt time.Time  `json:"requested_at"`
	AttachedAt  *time.Time `json:"attached_at"`
	DetachedAt  *time.Time `json:"detached_at"`
}

// Attachments returns every attachment, sorted by id.
func (e *Engine) Attachments() []AttachmentSnapshot {
	e.lockSettled()
	defer e.mu.Unlock()
	out := make([]AttachmentSnapshot, 0, len(e.attachments))
	for _, id := range slices.Sorted(maps.Keys(e.attachments)) {
		a := e.attachments[id]
		out = append(out, AttachmentSnapshot{
			ID: id, StorageID: a.storageID, ClusterID: a.clusterID, Owner: a.owner, Status: a.status, Live: a.live(),
			RequestedAt: a.requestedAt.UTC(), AttachedAt: utcPtr(a.attachedAt), DetachedAt: utcPtr(a.detachedAt),
		})
	}
	return out
}

// handleSimStorage is GET /_sim/storage.
func (e *Engine) handleSimStorage(w http.ResponseWriter, _ *http.Request, _ *call) {
	writeJSON(w, http.StatusOK, map[string]any{"storage": e.Storage()})
}

// handleSimAttachments is GET /_sim/attachments.
func (e *Engine) handleSimAttachments(w http.ResponseWriter, _ *http.Request, _ *call) {
	writeJSON(w, http.StatusOK, map[string]any{"attachments": e.Attachments()})
}
