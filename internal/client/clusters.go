package client

import (
	"context"
	"encoding/json"
	"net/http"
)

// ClusterSpec is what POST /cluster/create takes. Nil pointers are left out
// of the body so that the engine applies its defaults.
type ClusterSpec struct {
	InstanceType       string
	NumNodes           *int64
	Name, Container    *string
	PublicKeys         []string
	DeletionProtection bool
	// SaveKeys asks the engine to also save PublicKeys to the account
	// (its default when the field is absent). The zero value sends false:
	// a cluster's keys then stay the cluster's, and saved keys are managed
	// on their own (AddSSHKey).
	SaveKeys bool
}

// ClusterCreated is the 202 answer to a cluster create.
type ClusterCreated struct {
	ClusterID, RequestID string
	InstanceIDs          []string
	Message              string
	Raw                  json.RawMessage
	// Adopted is set when the claim's answer was lost and the cluster was
	// found in the cluster list instead: only ClusterID is known then.
	Adopted bool
}

// clusterFindWith is how a person finds a cluster the client lost track of.
const clusterFindWith = "tp cluster list"

// CreateCluster asks the engine to claim a cluster. A second claim would
// bill a second cluster, so it is reconciled by the cluster list
// (policy.go, createChange): the ids are listed before it is sent; after a
// lost answer, one new cluster whose info matches the spec is the claim's
// (Adopted, with no RequestID), none means the claim did not happen and it
// is sent again, and anything else is an *UnconfirmedError naming the new
// clusters. An accepted answer without a cluster id is a *MissingIDError.
// RequestID is "" when the answer has none.
func (c *Client) CreateCluster(ctx context.Context, spec ClusterSpec) (*ClusterCreated, error) {
	// The official CLI's body (helpers.py cluster_create) [CLI]:
	// instance_type and deletion_protection always; public_keys,
	// tp_cluster_name and container only when given. Different from it:
	// num_nodes only when set (the CLI sends null, which the engine reads
	// as 1 [DOC]), and save_keys, which the CLI never sends [DOC]: false,
	// so that the engine saves no key to the account behind Terraform's
	// back (its default, true, would).
	body := map[string]any{
		"instance_type":       spec.InstanceType,
		"deletion_protection": spec.DeletionProtection,
		"save_keys":           spec.SaveKeys,
	}
	if len(spec.PublicKeys) > 0 {
		body["public_keys"] = spec.PublicKeys
	}
	putIfSet(body, "num_nodes", spec.NumNodes)
	putIfSet(body, "tp_cluster_name", spec.Name)
	putIfSet(body, "container", spec.Container)
	const path = "/cluster/create"
	cr := &creation{list: clusterListing(), destroyWith: "tp cluster destroy", matches: func(ctx context.Context, id string) (string, error) {
		cl, err := c.GetCluster(ctx, id)
		if err != nil {
			return "", err
		}
		nodes := int64(1) // the engine's default [DOC]
		if spec.NumNodes != nil {
			nodes = *spec.NumNodes
		}
		return differences(
			fieldDiff{"instance_type", &spec.InstanceType, cl.InstanceType},
			fieldDiff{"num_nodes", number(&nodes), number(cl.NumNodes)},
			fieldDiff{"name", quoted(spec.Name), quoted(cl.Name)},
			fieldDiff{"container", quoted(spec.Container), quoted(cl.Container)},
		), nil
	}}
	resp, err := c.send(ctx, http.MethodPost, path, body, c.createChange("cluster", clusterFindWith, cr))
	if err != nil {
		return nil, err
	}
	if cr.adopted != "" {
		return &ClusterCreated{ClusterID: cr.adopted, Adopted: true}, nil
	}
	missing := &MissingIDError{Kind: "cluster", Method: http.MethodPost, Path: path, StatusCode: resp.StatusCode,
		FindWith: clusterFindWith, Raw: resp.Body}
	answer, err := decodeMutationAnswer(resp.Body)
	if err != nil {
		missing.Reason = "the answer is not a JSON object"
		missing.Err = &DecodeError{Method: http.MethodPost, Path: path, StatusCode: resp.StatusCode, Reason: err.Error(), Snippet: snippet(resp.Body)}
		return nil, missing
	}
	created := &ClusterCreated{
		RequestID:   answer.requestID(),
		InstanceIDs: idList(answer.fields, []string{"instance_id", "id"}, "instance_ids", "instances"),
		Message:     answer.text("message"),
		Raw:         resp.Body,
	}
	id := firstText(answer.fields, "cluster_id", "id")
	if id == nil {
		missing.RequestID = created.RequestID
		missing.Reason = "no `cluster_id`"
		return nil, missing
	}
	created.ClusterID = *id
	return created, nil
}

// Cluster is what GET /cluster/info/{id} tells about a cluster. The info
// shape is undocumented: every field is nil (InstanceIDs nil) when the
// engine does not report it, for example when it answers with only a
// pre-rendered message.
type Cluster struct {
	ID                                                        string
	Status, InstanceType, Name, Container, CreatedAt, Message *string
	NumNodes                                                  *int64
	// InstanceIDs is nil when not reported, empty when reported empty.
	InstanceIDs        []string
	DeletionProtection *bool
	// Raw is the info object, or the whole body when the answer has no
	// nested object (including a message-only answer).
	Raw json.RawMessage
}

// Released reports whether the cluster is gone for good — destroyed,
// released or failed — so that nothing runs on it and nothing bills. An
// unknown status is not released.
func (cl *Cluster) Released() bool {
	return cl != nil && statusIn(cl.Status, releasedStatuses...)
}

// GetCluster fetches a cluster. A 404 is an *APIError (IsNotFound).
func (c *Client) GetCluster(ctx context.Context, id string) (*Cluster, error) {
	path, err := objectPath("cluster", "/cluster/info/", id)
	if err != nil {
		return nil, err
	}
	resp, err := c.do(ctx, request{method: http.MethodGet, path: path, kind: callRead})
	if err != nil {
		return nil, err
	}
	cluster, err := DecodeClusterInfo(resp.Body)
	if err != nil {
		return nil, &DecodeError{Method: http.MethodGet, Path: path, StatusCode: resp.StatusCode, Reason: err.Error(), Snippet: snippet(resp.Body)}
	}
	if cluster.ID == "" {
		cluster.ID = id
	}
	return cluster, nil
}

// DecodeClusterInfo parses the body of GET /cluster/info: the object under
// `cluster_info` or `cluster`, or at the top level, with the plausible
// alternative field names. It fails only on a body that is not a JSON
// object or a `cluster_info` that is not one.
func DecodeClusterInfo(body []byte) (*Cluster, error) {
	info, err := decodeInfoObject(body, "cluster_info", "cluster")
	if err != nil {
		return nil, err
	}
	f := info.fields
	cluster := &Cluster{
		Status:             firstText(f, "status", "cluster_status"),
		InstanceType:       firstText(f, "instance_type"),
		Name:               firstString(f, "tp_cluster_name", "cluster_name", "name"),
		Container:          firstString(f, "container", "experimental_container"),
		CreatedAt:          firstTime(f, "created_at"),
		Message:            info.message(),
		NumNodes:           firstInt(f, "num_nodes", "node_count"),
		InstanceIDs:        idList(f, []string{"instance_id", "id"}, "instance_ids", "instances"),
		DeletionProtection: optionalBool(f, "deletion_protection"),
		Raw:                info.raw,
	}
	if id := info.str("cluster_id", "id"); id != nil {
		cluster.ID = *id
	}
	return cluster, nil
}

// ClusterEdit is a PATCH /cluster/edit; nil fields are left unchanged.
type ClusterEdit struct {
	Name               *string
	DeletionProtection *bool
}

// EditCluster changes a cluster's name or deletion protection. It returns
// the request id, "" when the answer has none or there was nothing to send.
func (c *Client) EditCluster(ctx context.Context, id string, edit ClusterEdit) (string, error) {
	path, err := objectPath("cluster", "/cluster/edit/", id)
	if err != nil {
		return "", err
	}
	body := map[string]any{}
	// The edit route names the field cluster_name, not tp_cluster_name [CLI].
	putIfSet(body, "cluster_name", edit.Name)
	putIfSet(body, "deletion_protection", edit.DeletionProtection)
	if len(body) == 0 {
		return "", nil
	}
	// Absolute values: the same edit twice is one edit, so a lost answer is
	// settled by sending it again.
	return c.mutate(ctx, http.MethodPatch, path, body, &change{Kind: "cluster", FindWith: clusterFindWith, Reconcile: sendAgain})
}

// DestroyCluster asks the engine to release a cluster. It returns the
// request id, "" when the answer has none or its answer was lost and a read
// found the cluster gone, released or being released (a second release is
// then never sent). A protected cluster is a 400 (IsBadRequest), an unknown
// one a 404.
func (c *Client) DestroyCluster(ctx context.Context, id string) (string, error) {
	path, err := objectPath("cluster", "/cluster/", id)
	if err != nil {
		return "", err
	}
	return c.mutate(ctx, http.MethodDelete, path, nil, releaseChange("cluster", clusterFindWith,
		func(ctx context.Context) (*Cluster, error) { return c.GetCluster(ctx, id) }, func(cl *Cluster) *string { return cl.Status }))
}
