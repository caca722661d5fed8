package sim

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Object storage, as the official CLI uses it [CLI] (helpers.py
// object_storage_enable, _disable, _credentials, _bucket_list,
// _bucket_create, _bucket_delete): POST /object-storage/enable → 200
// {access_key_id, secret_access_key, endpoint, region, message?}; DELETE
// /object-storage/disable → 200 {message}; GET /object-storage/credentials
// → 200 {access_key_id, secret_access_key, endpoint, region}; GET
// /object-storage/bucket/list → 200 {buckets}; PUT
// /object-storage/bucket/create/{name} → 201; DELETE
// /object-storage/bucket/delete/{name} → 204, for an empty bucket only (the
// CLI's help: "Delete an empty bucket"). Non-2xx answers carry message.
//
// [INF], the hardest plausible choices: each user is its own organization;
// a call that needs storage not enabled answers 404; a second enable 409;
// a disable with buckets left 409; bucket entries are objects {name,
// created_at} (the CLI prints each entry as it comes); an existing name 409,
// a name S3 refuses 400; a bucket holding objects answers 409 to its delete;
// a disable revokes the keys and the next enable makes new ones.

// objectStore is one organization's object storage.
type objectStore struct {
	accessKeyID, secret string
	buckets             map[string]*bucket
}

type bucket struct {
	name    string
	created time.Time
	objects int
}

const (
	// objectStorageEndpoint and objectStorageRegion are what the simulator
	// answers [INF]; it serves no S3 API.
	objectStorageEndpoint = "https://objects.sim.tensorpool.invalid"
	objectStorageRegion   = "us-east-1"
)

var s3BucketName = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

// storeLocked returns the user's object storage, nil when not enabled.
// Callers hold e.mu.
func (e *Engine) storeLocked(user string) *objectStore {
	return e.objectStores[user]
}

// enabledStoreLocked returns the user's object storage or answers 404.
func (e *Engine) enabledStoreLocked(w http.ResponseWriter, user string) *objectStore {
	s := e.storeLocked(user)
	if s == nil {
		writeJSON(w, http.StatusNotFound, msg("Object storage is not enabled for your organization: run `tp object-storage enable`"))
	}
	return s
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func (s *objectStore) credentials() map[string]any {
	return map[string]any{
		"access_key_id": s.accessKeyID, "secret_access_key": s.secret,
		"endpoint": objectStorageEndpoint, "region": objectStorageRegion,
	}
}

// enableLocked enables user's object storage; false if it already was.
func (e *Engine) enableLocked(user string) (*objectStore, bool) {
	if s := e.storeLocked(user); s != nil {
		return s, false
	}
	if e.objectStores == nil {
		e.objectStores = map[string]*objectStore{}
	}
	s := &objectStore{accessKeyID: "TPAK" + strings.ToUpper(randomHex(8)), secret: "tpsk-" + randomHex(20), buckets: map[string]*bucket{}}
	e.objectStores[user] = s
	return s, true
}

// handleObjectStorageEnable is POST /object-storage/enable.
func (e *Engine) handleObjectStorageEnable(w http.ResponseWriter, _ *http.Request, c *call) {
	e.lockSettled()
	s, fresh := e.enableLocked(c.user)
	answer := s.credentials()
	e.mu.Unlock()
	if !fresh {
		writeJSON(w, http.StatusConflict, msg("Object storage is already enabled for your organization"))
		return
	}
	answer["message"] = "Object storage enabled"
	writeJSON(w, http.StatusOK, answer)
}

// handleObjectStorageDisable is DELETE /object-storage/disable.
func (e *Engine) handleObjectStorageDisable(w http.ResponseWriter, _ *http.Request, c *call) {
	e.lockSettled()
	defer e.mu.Unlock()
	s := e.enabledStoreLocked(w, c.user)
	if s == nil {
		return
	}
	if len(s.buckets) > 0 {
		writeJSON(w, http.StatusConflict, msg(fmt.Sprintf("Object storage still has %d bucket(s): delete them first", len(s.buckets))))
		return
	}
	delete(e.objectStores, c.user)
	writeJSON(w, http.StatusOK, msg("Object storage disabled"))
}

// handleObjectStorageCredentials is GET /object-storage/credentials.
func (e *Engine) handleObjectStorageCredentials(w http.ResponseWriter, _ *http.Request, c *call) {
	e.lockSettled()
	defer e.mu.Unlock()
	if s := e.enabledStoreLocked(w, c.user); s != nil {
		writeJSON(w, http.StatusOK, s.credentials())
	}
}

// bucketItem is one entry of the bucket list. [INF]
type bucketItem struct {
	Name      string `json:"name"`
	CreatedAt string `json:"created_at"`
}

// handleBucketList is GET /object-storage/bucket/list.
func (e *Engine) handleBucketList(w http.ResponseWriter, _ *http.Request, c *call) {
	e.lockSettled()
	defer e.mu.Unlock()
	s := e.enabledStoreLocked(w, c.user)
	if s == nil {
		return
	}
	items := make([]bucketItem, 0, len(s.buckets))
	for _, b := range s.buckets {
		items = append(items, bucketItem{Name: b.name, CreatedAt: apiTime(b.created)})
	}
	slices.SortFunc(items, func(a, b bucketItem) int { return strings.Compare(a.Name, b.Name) })
	writeJSON(w, http.StatusOK, map[string]any{"buckets": items})
}

// handleBucketCreate is PUT /object-storage/bucket/create/{name}.
func (e *Engine) handleBucketCreate(w http.ResponseWriter, _ *http.Request, c *call) {
	if !s3BucketName.MatchString(c.id) || strings.Contains(c.id, "..") {
		writeJSON(w, http.StatusBadRequest, msg(fmt.Sprintf("Invalid bucket name %q", c.id)))
		return
	}
	e.lockSettled()
	defer e.mu.Unlock()
	s := e.enabledStoreLocked(w, c.user)
	if s == nil {
		return
	}
	if s.buckets[c.id] != nil {
		writeJSON(w, http.StatusConflict, msg(fmt.Sprintf("Bucket '%s' already exists", c.id)))
		return
	}
	s.buckets[c.id] = &bucket{name: c.id, created: e.clock.Now()}
	writeJSON(w, http.StatusCreated, msg(fmt.Sprintf("Bucket '%s' created", c.id)))
}

// handleBucketDelete is DELETE /object-storage/bucket/delete/{name}.
func (e *Engine) handleBucketDelete(w http.ResponseWriter, _ *http.Request, c *call) {
	e.lockSettled()
	defer e.mu.Unlock()
	s := e.enabledStoreLocked(w, c.user)
	if s == nil {
		return
	}
	b := s.buckets[c.id]
	switch {
	case b == nil:
		writeJSON(w, http.StatusNotFound, msg(fmt.Sprintf("Bucket '%s' not found", c.id)))
	case b.objects > 0:
		writeJSON(w, http.StatusConflict, msg(fmt.Sprintf("Bucket '%s' is not empty", c.id)))
	default:
		delete(s.buckets, c.id)
		w.WriteHeader(http.StatusNoContent)
	}
}

// ObjectStorageSnapshot is one user's object storage, for tests and
// GET /_sim/object-storage. Keys are not shown.
type ObjectStorageSnapshot struct {
	Owner   string           `json:"owner"`
	Buckets []BucketSnapshot `json:"buckets"`
}

// BucketSnapshot is a bucket and how many objects it holds.
type BucketSnapshot struct {
	Name    string `json:"name"`
	Objects int    `json:"objects"`
}

// ObjectStorage returns the user's object storage, and false when it is not
// enabled.
func (e *Engine) ObjectStorage(apiKey string) (ObjectStorageSnapshot, bool) {
	user, _ := e.userForKey(apiKey)
	e.lockSettled()
	defer e.mu.Unlock()
	s := e.storeLocked(user)
	if s == nil {
		return ObjectStorageSnapshot{Owner: user}, false
	}
	snap := ObjectStorageSnapshot{Owner: user, Buckets: []BucketSnapshot{}}
	for _, b := range s.buckets {
		snap.Buckets = append(snap.Buckets, BucketSnapshot{Name: b.name, Objects: b.objects})
	}
	slices.SortFunc(snap.Buckets, func(a, b BucketSnapshot) int { return strings.Compare(a.Name, b.Name) })
	return snap, true
}

// ObjectStorageSecret returns the user's current secret access key, so that
// a test can look for it where it must not be; "" when not enabled.
func (e *Engine) ObjectStorageSecret(apiKey string) string {
	user, _ := e.userForKey(apiKey)
	e.mu.Lock()
	defer e.mu.Unlock()
	if s := e.storeLocked(user); s != nil {
		return s.secret
	}
	return ""
}

// EnableObjectStorage enables the user's object storage as if done with
// the CLI.
func (e *Engine) EnableObjectStorage(apiKey string) error {
	user, ok := e.userForKey(apiKey)
	if !ok {
		return errors.New("unknown API key")
	}
	e.lockSettled()
	defer e.mu.Unlock()
	e.enableLocked(user)
	return nil
}

// AddBucket creates a bucket as if made with the CLI, enabling the user's
// object storage when needed, holding objects objects.
func (e *Engine) AddBucket(apiKey, name string, objects int) error {
	user, ok := e.userForKey(apiKey)
	if !ok {
		return errors.New("unknown API key")
	}
	e.lockSettled()
	defer e.mu.Unlock()
	s, _ := e.enableLocked(user)
	if s.buckets[name] != nil {
		return fmt.Errorf("bucket %q exists", name)
	}
	s.buckets[name] = &bucket{name: name, created: e.clock.Now(), objects: objects}
	return nil
}

// SetBucketObjects sets how many objects a bucket of the user holds (an
// upload or a deletion through S3, which the simulator does not serve).
func (e *Engine) SetBucketObjects(apiKey, name string, objects int) error {
	user, _ := e.userForKey(apiKey)
	e.mu.Lock()
	defer e.mu.Unlock()
	s := e.storeLocked(user)
	if s == nil || s.buckets[name] == nil {
		return fmt.Errorf("no bucket %q", name)
	}
	s.buckets[name].objects = objects
	return nil
}

// handleSimObjectStorage is GET /_sim/object-storage: every user's store.
func (e *Engine) handleSimObjectStorage(w http.ResponseWriter, _ *http.Request, _ *call) {
	e.lockSettled()
	owners := make([]string, 0, len(e.objectStores))
	for owner := range e.objectStores {
		owners = append(owners, owner)
	}
	e.mu.Unlock()
	slices.Sort(owners)
	var out []ObjectStorageSnapshot
	for _, owner := range owners {
		for key, user := range e.users {
			if user == owner {
				if snap, ok := e.ObjectStorage(key); ok {
					out = append(out, snap)
				}
				break
			}
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"object_storage": out})
}

// handleSSH is GET /ssh/{instance_id} [CLI] → 200 {command, message}. [INF]
// 404 for an unknown instance, 403 for another user's, 400 while its
// cluster is not RUNNING; the command's form (an ssh to the instance as
// ubuntu).
func (e *Engine) handleSSH(w http.ResponseWriter, _ *http.Request, c *call) {
	e.lockSettled()
	defer e.mu.Unlock()
	for _, cl := range e.clusters {
		if !slices.Contains(cl.instanceIDs, c.id) {
			continue
		}
		switch {
		case !cl.visibleTo(c.user):
			writeJSON(w, http.StatusForbidden, msg("Access denied"))
		case cl.status != ClusterRunning:
			writeJSON(w, http.StatusBadRequest, msg(fmt.Sprintf("Instance %s is not running (cluster %s is %s)", c.id, cl.id, cl.status)))
		default:
			writeJSON(w, http.StatusOK, map[string]any{
				"command": fmt.Sprintf("ssh -o StrictHostKeyChecking=accept-new ubuntu@%s.instances.sim.tensorpool.invalid", c.id),
				"message": fmt.Sprintf("Connecting to %s of cluster %s", c.id, cl.id),
			})
		}
		return
	}
	writeJSON(w, http.StatusNotFound, msg(fmt.Sprintf("Instance %s not found: run `tp cluster list` to find the instance's info", c.id)))
}

// RemoveBucket deletes a bucket of the user as if done outside Terraform,
// objects and all.
func (e *Engine) RemoveBucket(apiKey, name string) error {
	user, _ := e.userForKey(apiKey)
	e.mu.Lock()
	defer e.mu.Unlock()
	s := e.storeLocked(user)
	if s == nil || s.buckets[name] == nil {
		return fmt.Errorf("no bucket %q", name)
	}
	delete(s.buckets, name)
	return nil
}
