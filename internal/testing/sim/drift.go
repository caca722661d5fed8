package sim

import (
	"errors"
	"fmt"
	"strings"
)

// Test-side helpers: create clusters, volumes, attachments and keys
// directly (as AddJob does for jobs), and change them behind the client's
// back (drift: someone released the cluster with the CLI, renamed it, grew
// the volume…). They act at once, without requests, and are never subject
// to faults.

// ClusterSpec describes a cluster for AddCluster (and a create body).
type ClusterSpec struct {
	// InstanceType defaults to 1xH100.
	InstanceType string
	// NumNodes defaults to 1.
	NumNodes           int
	Name, Container    string
	PublicKeys         []string
	DeletionProtection bool
	// SaveKeys saves PublicKeys as the user's saved keys (what the API's
	// save_keys, true by default there, is taken to do [INF]).
	SaveKeys bool
}

// StorageSpec describes a volume for AddStorage (and a create body).
type StorageSpec struct {
	// SizeGB defaults to 100.
	SizeGB             int64
	Name               string
	DeletionProtection bool
}

// Edit is a change made outside the API; nil fields are kept.
type Edit struct {
	Name               *string
	DeletionProtection *bool
	// SizeGB applies to volumes only, and may shrink them (drift).
	SizeGB *int64
}

func noObject(kind, id string) error { return fmt.Errorf("%s %q: %w", kind, id, ErrNoObject) }

// AddCluster creates a RUNNING cluster owned by apiKey's user, as if its
// claim had completed now: it bills from now and got spec.PublicKeys plus
// the user's saved keys. Its CLUSTER_CLAIM request is COMPLETED.
func (e *Engine) AddCluster(apiKey string, spec ClusterSpec) (string, error) {
	user, ok := e.userForKey(apiKey)
	if !ok {
		return "", errors.New("unknown API key")
	}
	if spec.InstanceType == "" {
		spec.InstanceType = instanceType
	}
	if !instanceTypePattern.MatchString(spec.InstanceType) {
		return "", fmt.Errorf("unknown instance type %q", spec.InstanceType)
	}
	if spec.NumNodes == 0 {
		spec.NumNodes = 1
	}
	if spec.NumNodes < 0 {
		return "", fmt.Errorf("num_nodes %d < 1", spec.NumNodes)
	}
	e.lockSettled()
	defer e.mu.Unlock()
	now := e.clock.Now()
	cl, claim := e.claimLocked(user, spec)
	claim.steps = []reqStep{{at: now, status: RequestPending}, {at: now, status: RequestProcessing}, {at: now, status: RequestCompleted}}
	claim.applied = len(claim.steps)
	cl.status = ClusterRunning
	cl.startBilling(now)
	return cl.id, nil
}

// AddStorage creates an AVAILABLE volume owned by apiKey's user, billing
// from now. Its STORAGE_CREATE request is COMPLETED.
func (e *Engine) AddStorage(apiKey string, spec StorageSpec) (string, error) {
	user, ok := e.userForKey(apiKey)
	if !ok {
		return "", errors.New("unknown API key")
	}
	if spec.SizeGB == 0 {
		spec.SizeGB = 100
	}
	if spec.SizeGB < 0 {
		return "", fmt.Errorf("size %d GB < 1", spec.SizeGB)
	}
	e.lockSettled()
	defer e.mu.Unlock()
	now := e.clock.Now()
	s, create := e.createStorageLocked(user, spec)
	create.steps = []reqStep{{at: now, status: RequestPending}, {at: now, status: RequestProcessing}, {at: now, status: RequestCompleted}}
	create.applied = len(create.steps)
	s.status = StorageAvailable
	s.billFrom = &now
	return s.id, nil
}

// AddSSHKey saves a key for apiKey's user, as POST /user/ssh-key/add would.
func (e *Engine) AddSSHKey(apiKey, publicKey, name string) (string, error) {
	user, ok := e.userForKey(apiKey)
	if !ok {
		return "", errors.New("unknown API key")
	}
	if !validPublicKey(publicKey) {
		return "", fmt.Errorf("not an SSH public key: %q", publicKey)
	}
	e.lockSettled()
	defer e.mu.Unlock()
	return e.addKeyLocked(user, publicKey, name).id, nil
}

// Attach mounts a ready volume on a RUNNING cluster at once (no request),
// restarting the cluster's nodes, as if attached with the CLI.
func (e *Engine) Attach(storageID, clusterID string) error {
	e.lockSettled()
	defer e.mu.Unlock()
	s, cl := e.storage[storageID], e.clusters[clusterID]
	switch {
	case s == nil:
		return noObject("storage", storageID)
	case cl == nil:
		return noObject("cluster", clusterID)
	case s.status != StorageAvailable && s.status != StorageAttached:
		return fmt.Errorf("storage %s is %s", s.id, s.status)
	case cl.status != ClusterRunning:
		return fmt.Errorf("cluster %s is %s", cl.id, cl.status)
	}
	if a := e.attachments[AttachmentID(s.id, cl.id)]; a != nil && a.live() {
		return fmt.Errorf("storage %s is already attached to %s", s.id, cl.id)
	}
	now := e.clock.Now()
	a := &attachment{storageID: s.id, clusterID: cl.id, owner: s.owner, status: AttachmentAttaching, requestedAt: now}
	e.attachments[AttachmentID(s.id, cl.id)] = a
	e.finishAttachLocked(a, s, cl, now)
	return nil
}

// Detach unmounts a volume from a cluster at once, whatever the
// attachment's state (a pending attach or detach request then completes
// without effect).
func (e *Engine) Detach(storageID, clusterID string) error {
	e.lockSettled()
	defer e.mu.Unlock()
	a := e.attachments[AttachmentID(storageID, clusterID)]
	if a == nil || !a.live() {
		return noObject("attachment", AttachmentID(storageID, clusterID))
	}
	a.end(e.clock.Now())
	if s := e.storage[storageID]; s != nil {
		e.refreshStorageStatusLocked(s)
	}
	return nil
}

// ReleaseCluster releases a cluster at once, deletion protection or not, as
// if someone had released it outside Terraform: DESTROYED, billing stopped,
// jobs still running ended "failed" (and recorded), attachments ended. A
// claim in progress fails. Info keeps answering 200 with DESTROYED.
func (e *Engine) ReleaseCluster(id string) error {
	e.lockSettled()
	defer e.mu.Unlock()
	cl := e.clusters[id]
	if cl == nil {
		return noObject("cluster", id)
	}
	if cl.status == ClusterDestroyed {
		return fmt.Errorf("cluster %s is already released", id)
	}
	now := e.clock.Now()
	e.beginReleaseLocked(cl, now)
	e.finishReleaseLocked(cl, now)
	return nil
}

// DestroyStorage destroys a volume at once, attached or protected or not,
// as if someone had destroyed it outside Terraform.
func (e *Engine) DestroyStorage(id string) error {
	e.lockSettled()
	defer e.mu.Unlock()
	s := e.storage[id]
	if s == nil {
		return noObject("storage", id)
	}
	if s.status == StorageDestroyed {
		return fmt.Errorf("storage %s is already destroyed", id)
	}
	now := e.clock.Now()
	if create := e.createRequestOfLocked(s.id); create != nil {
		create.failNow(now, fmt.Sprintf("Canceled: storage volume %s was destroyed before it was ready", s.id))
	}
	if s.destroyRequestedAt == nil {
		s.destroyRequestedAt = &now
	}
	s.status = StorageDestroying
	e.finishStorageDestroyLocked(s, now)
	return nil
}

// RemoveCluster makes the engine forget a cluster (info answers 404), as if
// it had been deleted long ago: it vanishes from every inspection and
// check, and its attachments end.
func (e *Engine) RemoveCluster(id string) error {
	e.lockSettled()
	defer e.mu.Unlock()
	if e.clusters[id] == nil {
		return noObject("cluster", id)
	}
	delete(e.clusters, id)
	e.forgetAttachmentsLocked(func(a *attachment) bool { return a.clusterID == id })
	return nil
}

// RemoveStorage makes the engine forget a volume (info answers 404).
func (e *Engine) RemoveStorage(id string) error {
	e.lockSettled()
	defer e.mu.Unlock()
	if e.storage[id] == nil {
		return noObject("storage", id)
	}
	delete(e.storage, id)
	e.forgetAttachmentsLocked(func(a *attachment) bool { return a.storageID == id })
	return nil
}

func (e *Engine) forgetAttachmentsLocked(match func(*attachment) bool) {
	for k, a := range e.attachments {
		if match(a) {
			delete(e.attachments, k)
			if s := e.storage[a.storageID]; s != nil {
				e.refreshStorageStatusLocked(s)
			}
		}
	}
}

// RemoveSSHKey deletes a saved key, as if removed with the CLI.
func (e *Engine) RemoveSSHKey(id string) error {
	e.lockSettled()
	defer e.mu.Unlock()
	if e.keys[id] == nil {
		return noObject("SSH key", id)
	}
	delete(e.keys, id)
	return nil
}

// EditCluster renames a cluster or switches its deletion protection at
// once. Edit.SizeGB is refused.
func (e *Engine) EditCluster(id string, ed Edit) error {
	if ed.SizeGB != nil {
		return errors.New("a cluster has no size")
	}
	e.lockSettled()
	defer e.mu.Unlock()
	cl := e.clusters[id]
	if cl == nil {
		return noObject("cluster", id)
	}
	if ed.Name != nil {
		cl.name = *ed.Name
	}
	if ed.DeletionProtection != nil {
		cl.deletionProtection = *ed.DeletionProtection
	}
	return nil
}

// EditStorage renames a volume, switches its deletion protection or sets
// its size (smaller too: drift the API would refuse) at once.
func (e *Engine) EditStorage(id string, ed Edit) error {
	e.lockSettled()
	defer e.mu.Unlock()
	s := e.storage[id]
	if s == nil {
		return noObject("storage", id)
	}
	if ed.SizeGB != nil {
		if *ed.SizeGB < 1 {
			return fmt.Errorf("size %d GB < 1", *ed.SizeGB)
		}
		s.sizeGB = *ed.SizeGB
	}
	if ed.Name != nil {
		s.name = *ed.Name
	}
	if ed.DeletionProtection != nil {
		s.deletionProtection = *ed.DeletionProtection
	}
	return nil
}

// SetClusterStatus forces a cluster's status (any non-empty string, such as
// "MAINTENANCE"). Forcing DESTROYED or FAILED also stops its billing now;
// nothing else changes (use ReleaseCluster for a real release). A request
// in progress applies its effects only if the status it expects is still
// there.
func (e *Engine) SetClusterStatus(id, status string) error {
	if strings.TrimSpace(status) == "" {
		return errors.New("status must not be empty")
	}
	e.lockSettled()
	defer e.mu.Unlock()
	cl := e.clusters[id]
	if cl == nil {
		return noObject("cluster", id)
	}
	cl.status = status
	if cl.gone() {
		cl.stopBilling(e.clock.Now())
	}
	return nil
}

// SetStorageStatus forces a volume's status, as SetClusterStatus does.
func (e *Engine) SetStorageStatus(id, status string) error {
	if strings.TrimSpace(status) == "" {
		return errors.New("status must not be empty")
	}
	e.lockSettled()
	defer e.mu.Unlock()
	s := e.storage[id]
	if s == nil {
		return noObject("storage", id)
	}
	s.status = status
	if s.gone() && s.billing() {
		t := e.clock.Now()
		s.billTo = &t
	}
	return nil
}
