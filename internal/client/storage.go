package client

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
)

// StorageSpec is what POST /storage/create takes.
type StorageSpec struct {
	SizeGB             int64
	Name               *string
	DeletionProtection bool
}

// StorageCreated is the 202 answer to a storage create.
type StorageCreated struct {
	StorageID, RequestID, Message string
	Raw                           json.RawMessage
	// Adopted is set when the create's answer was lost and the volume was
	// found in the storage list instead: only StorageID is known then.
	Adopted bool
}

// storageFindWith is how a person finds a volume the client lost track of.
const storageFindWith = "tp storage list"

// CreateStorage asks the engine to create a storage volume. A second
// POST would create a second volume, so it is reconciled by the storage
// list as CreateCluster is by the cluster list (policy.go, createChange):
// after a lost answer, one new volume whose info matches the spec is the
// create's (Adopted, with no RequestID), none means it did not happen and
// it is sent again, and anything else is an *UnconfirmedError naming the
// new volumes. An accepted answer without a storage id is a
// *MissingIDError.
func (c *Client) CreateStorage(ctx context.Context, spec StorageSpec) (*StorageCreated, error) {
	body := map[string]any{"size": spec.SizeGB, "deletion_protection": spec.DeletionProtection}
	putIfSet(body, "name", spec.Name)
	const path = "/storage/create"
	cr := &creation{list: storageListing(), destroyWith: "tp storage destroy", matches: func(ctx context.Context, id string) (string, error) {
		s, err := c.GetStorage(ctx, id)
		if err != nil {
			return "", err
		}
		return differences(
			fieldDiff{"size", number(&spec.SizeGB), number(s.SizeGB)},
			fieldDiff{"name", quoted(spec.Name), quoted(s.Name)},
		), nil
	}}
	resp, err := c.send(ctx, http.MethodPost, path, body, c.createChange("storage volume", storageFindWith, cr))
	if err != nil {
		return nil, err
	}
	if cr.adopted != "" {
		return &StorageCreated{StorageID: cr.adopted, Adopted: true}, nil
	}
	missing := &MissingIDError{Kind: "storage volume", Method: http.MethodPost, Path: path, StatusCode: resp.StatusCode,
		FindWith: storageFindWith, Raw: resp.Body}
	answer, err := decodeMutationAnswer(resp.Body)
	if err != nil {
		missing.Reason = "the answer is not a JSON object"
		missing.Err = &DecodeError{Method: http.MethodPost, Path: path, StatusCode: resp.StatusCode, Reason: err.Error(), Snippet: snippet(resp.Body)}
		return nil, missing
	}
	created := &StorageCreated{RequestID: answer.requestID(), Message: answer.text("message"), Raw: resp.Body}
	id := firstText(answer.fields, "storage_id", "id")
	if id == nil {
		missing.RequestID = created.RequestID
		missing.Reason = "no `storage_id`"
		return nil, missing
	}
	created.StorageID = *id
	return created, nil
}

// Storage is what GET /storage/info/{id} tells about a volume. Every field
// is nil when the engine does not report it.
type Storage struct {
	ID                               string
	Status, Name, CreatedAt, Message *string
	SizeGB                           *int64
	DeletionProtection               *bool
	// ClusterIDs are the clusters the volume is attached to: nil when not
	// reported, empty when reported empty.
	ClusterIDs []string
	// Raw is the info object, or the whole body when the answer has no
	// nested object (including a message-only answer).
	Raw json.RawMessage
}

// Released reports whether the volume is gone for good (destroyed or
// failed): nothing bills. An unknown status is not released.
func (s *Storage) Released() bool {
	return s != nil && statusIn(s.Status, releasedStatuses...)
}

// GetStorage fetches a storage volume. A 404 is an *APIError (IsNotFound).
func (c *Client) GetStorage(ctx context.Context, id string) (*Storage, error) {
	path, err := objectPath("storage volume", "/storage/info/", id)
	if err != nil {
		return nil, err
	}
	resp, err := c.do(ctx, request{method: http.MethodGet, path: path, kind: callRead})
	if err != nil {
		return nil, err
	}
	storage, err := DecodeStorageInfo(resp.Body)
	if err != nil {
		return nil, &DecodeError{Method: http.MethodGet, Path: path, StatusCode: resp.StatusCode, Reason: err.Error(), Snippet: snippet(resp.Body)}
	}
	if storage.ID == "" {
		storage.ID = id
	}
	return storage, nil
}

// DecodeStorageInfo parses the body of GET /storage/info: the object under
// `storage_info` or `storage`, or at the top level, with the plausible
// alternative field names. It fails only on a body that is not a JSON
// object or a `storage_info` that is not one.
func DecodeStorageInfo(body []byte) (*Storage, error) {
	info, err := decodeInfoObject(body, "storage_info", "storage")
	if err != nil {
		return nil, err
	}
	f := info.fields
	storage := &Storage{
		Status:             firstText(f, "status", "storage_status"),
		Name:               firstString(f, "tp_storage_name", "storage_name", "name"),
		CreatedAt:          firstTime(f, "created_at"),
		Message:            info.message(),
		SizeGB:             firstInt(f, "size_gb", "size"),
		DeletionProtection: optionalBool(f, "deletion_protection"),
		ClusterIDs:         idList(f, []string{"cluster_id", "id"}, "cluster_ids", "attached_cluster_ids", "attached_clusters"),
		Raw:                info.raw,
	}
	if id := info.str("storage_id", "id"); id != nil {
		storage.ID = *id
	}
	return storage, nil
}

// StorageEdit is a PATCH /storage/edit; nil fields are left unchanged.
type StorageEdit struct {
	Name               *string
	DeletionProtection *bool
	SizeGB             *int64
}

// EditStorage renames, protects or grows a volume. It returns the request
// id, "" when the answer has none or there was nothing to send. A smaller
// size is a 400 (IsBadRequest): volumes only grow.
func (c *Client) EditStorage(ctx context.Context, id string, edit StorageEdit) (string, error) {
	path, err := objectPath("storage volume", "/storage/edit/", id)
	if err != nil {
		return "", err
	}
	body := map[string]any{}
	putIfSet(body, "tp_storage_name", edit.Name)
	putIfSet(body, "deletion_protection", edit.DeletionProtection)
	putIfSet(body, "size_gb", edit.SizeGB)
	if len(body) == 0 {
		return "", nil
	}
	// Absolute values: the same edit twice is one edit, so a lost answer is
	// settled by sending it again.
	return c.mutate(ctx, http.MethodPatch, path, body, &change{Kind: "storage volume", FindWith: storageFindWith, Reconcile: sendAgain})
}

// DestroyStorage asks the engine to destroy a volume. It returns the request
// id, "" when the answer has none or its answer was lost and a read found
// the volume gone, destroyed or being destroyed (a second destroy is then
// never sent). A protected or attached volume is a 400.
func (c *Client) DestroyStorage(ctx context.Context, id string) (string, error) {
	path, err := objectPath("storage volume", "/storage/", id)
	if err != nil {
		return "", err
	}
	return c.mutate(ctx, http.MethodDelete, path, nil, releaseChange("storage volume", storageFindWith,
		func(ctx context.Context) (*Storage, error) { return c.GetStorage(ctx, id) }, func(s *Storage) *string { return s.Status }))
}

// errNoClusters refuses an attach to no cluster before any request.
var errNoClusters = errors.New("attaching storage needs at least one cluster id")

// AttachStorage attaches a volume to clusters (restarting every node of
// each). It returns one request id per cluster as the engine lists them
// (`request_ids`, or a single `request_id`); nil when the answer has none,
// or when its answer was lost and the volume's info lists every cluster (the
// caller then waits by reading). It is sent again only when the engine
// provably did nothing, or the info reports the clusters and not every one
// of them; info that does not report them, or a refusal of that second
// attach (the engine may be attaching already: it does not list an attach
// under way [INF]), is an *UnconfirmedError: the attachment may exist.
func (c *Client) AttachStorage(ctx context.Context, storageID string, clusterIDs []string) ([]string, error) {
	if err := ValidateObjectID("storage volume", storageID); err != nil {
		return nil, err
	}
	if len(clusterIDs) == 0 {
		return nil, errNoClusters
	}
	for _, id := range clusterIDs {
		if err := ValidateObjectID("cluster", id); err != nil {
			return nil, err
		}
	}
	const path = "/storage/attach"
	resp, err := c.send(ctx, http.MethodPost, path, map[string]any{"storage_id": storageID, "cluster_ids": clusterIDs},
		c.attachmentChange(storageID, func(attached []string) (bool, error) {
			if attached == nil {
				return false, errors.New("the volume's info does not list the clusters it is attached to")
			}
			return !slices.ContainsFunc(clusterIDs, func(id string) bool { return !slices.Contains(attached, id) }), nil
		}))
	if err != nil {
		return nil, err
	}
	answer, err := decodeMutationAnswer(resp.Body)
	if err != nil {
		return nil, &DecodeError{Method: http.MethodPost, Path: path, StatusCode: resp.StatusCode, Reason: err.Error(), Snippet: snippet(resp.Body)}
	}
	if ids := idList(answer.fields, []string{"request_id", "id"}, "request_ids", "requests"); len(ids) > 0 {
		return ids, nil
	}
	if id := answer.requestID(); id != "" {
		return []string{id}, nil
	}
	return nil, nil
}

// DetachStorage detaches a volume from a cluster. It returns the request
// id, "" when the answer has none, or when its answer was lost and the
// volume's info no longer lists the cluster (the caller then waits by
// reading). Otherwise a lost answer is settled by sending it again: a
// detach the engine already took is refused (400), which the caller reads
// as "not attached".
func (c *Client) DetachStorage(ctx context.Context, storageID, clusterID string) (string, error) {
	if err := ValidateObjectID("storage volume", storageID); err != nil {
		return "", err
	}
	if err := ValidateObjectID("cluster", clusterID); err != nil {
		return "", err
	}
	return c.mutate(ctx, http.MethodPost, "/storage/detach", map[string]any{"storage_id": storageID, "cluster_id": clusterID},
		c.attachmentChange(storageID, func(attached []string) (bool, error) {
			return attached != nil && !slices.Contains(attached, clusterID), nil
		}))
}

// attachmentChange reconciles an attach or detach of storageID by the
// clusters the volume's info lists: inEffect tells from them (nil when not
// reported) whether the change is in effect, or that they cannot tell.
func (c *Client) attachmentChange(storageID string, inEffect func(attached []string) (bool, error)) *change {
	return &change{Kind: "storage attachment", FindWith: "tp storage info " + storageID,
		Reconcile: func(ctx context.Context) (bool, error) {
			storage, err := c.GetStorage(ctx, storageID)
			if err != nil {
				return false, err
			}
			return inEffect(storage.ClusterIDs)
		}}
}
