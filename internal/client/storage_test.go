package client

import (
	"context"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

func TestStorageCalls(t *testing.T) {
	c, srv := newRouteClient(t, Config{}, map[string][]func(http.ResponseWriter){
		"POST /storage/create":     {jsonReply(http.StatusAccepted, `{"storage_id":"s-1","request_id":"r-1","message":"creating"}`)},
		"GET /storage/info/s-1":    {jsonReply(http.StatusOK, `{"storage_info":{"storage_id":"s-1","status":"AVAILABLE","size_gb":100,"cluster_ids":[]}}`)},
		"GET /storage/info/s-msg":  {jsonReply(http.StatusOK, `{"message":"s-msg: 100 GB"}`)},
		"GET /storage/info/s-gone": {jsonReply(http.StatusNotFound, `{"message":"Storage not found"}`)},
		"PATCH /storage/edit/s-1": {
			jsonReply(http.StatusAccepted, `{"message":"ok","request_id":"r-2"}`),
			jsonReply(http.StatusBadRequest, `{"message":"storage volumes can only grow"}`),
		},
		"DELETE /storage/s-1":  {jsonReply(http.StatusAccepted, `{"request_id":"r-3"}`)},
		"POST /storage/attach": {jsonReply(http.StatusAccepted, `{"request_ids":["r-4","r-5"],"message":"attaching; nodes restart"}`)},
		"POST /storage/detach": {jsonReply(http.StatusAccepted, `{"request_id":"r-6"}`)},
	})
	ctx := context.Background()
	created, err := c.CreateStorage(ctx, StorageSpec{SizeGB: 100, Name: ptr("data")})
	if err != nil || created.StorageID != "s-1" || created.RequestID != "r-1" || created.Message != "creating" {
		t.Fatalf("create: %+v, %v", created, err)
	}
	if body := srv.requestsTo("POST /storage/create")[0].Body; !reflect.DeepEqual(body, map[string]any{"size": float64(100), "name": "data", "deletion_protection": false}) {
		t.Errorf("create body = %v", body)
	}
	storage, err := c.GetStorage(ctx, "s-1")
	if err != nil || storage.Status == nil || *storage.Status != "AVAILABLE" || storage.ClusterIDs == nil || len(storage.ClusterIDs) != 0 {
		t.Errorf("get: %+v, %v (ClusterIDs must be empty, not nil: reported)", storage, err)
	}
	storage, err = c.GetStorage(ctx, "s-msg")
	if err != nil || storage.ID != "s-msg" || storage.SizeGB != nil || storage.ClusterIDs != nil || storage.Message == nil {
		t.Errorf("message-only: %+v, %v", storage, err)
	}
	if _, err := c.GetStorage(ctx, "s-gone"); !IsNotFound(err) {
		t.Errorf("404: %v", err)
	}
	id, err := c.EditStorage(ctx, "s-1", StorageEdit{SizeGB: ptr(int64(200)), Name: ptr("bigger")})
	if err != nil || id != "r-2" {
		t.Errorf("edit: %q, %v", id, err)
	}
	if body := srv.requestsTo("PATCH /storage/edit/s-1")[0].Body; !reflect.DeepEqual(body, map[string]any{"size_gb": float64(200), "tp_storage_name": "bigger"}) {
		t.Errorf("edit body = %v", body)
	}
	if _, err := c.EditStorage(ctx, "s-1", StorageEdit{SizeGB: ptr(int64(1))}); !IsBadRequest(err) || !strings.Contains(err.Error(), "only grow") {
		t.Errorf("shrink: %v", err)
	}
	if id, err := c.DestroyStorage(ctx, "s-1"); err != nil || id != "r-3" {
		t.Errorf("destroy: %q, %v", id, err)
	}
	ids, err := c.AttachStorage(ctx, "s-1", []string{"c-1", "c-2"})
	if err != nil || !reflect.DeepEqual(ids, []string{"r-4", "r-5"}) {
		t.Errorf("attach: %v, %v", ids, err)
	}
	if body := srv.requestsTo("POST /storage/attach")[0].Body; !reflect.DeepEqual(body, map[string]any{"storage_id": "s-1", "cluster_ids": []any{"c-1", "c-2"}}) {
		t.Errorf("attach body = %v", body)
	}
	if id, err := c.DetachStorage(ctx, "s-1", "c-1"); err != nil || id != "r-6" {
		t.Errorf("detach: %q, %v", id, err)
	}
	if body := srv.requestsTo("POST /storage/detach")[0].Body; !reflect.DeepEqual(body, map[string]any{"storage_id": "s-1", "cluster_id": "c-1"}) {
		t.Errorf("detach body = %v", body)
	}
}

func TestAttachStorageAnswerShapes(t *testing.T) {
	for body, want := range map[string][]string{
		`{"request_ids":[{"request_id":"r-1"},"r-2"]}`: {"r-1", "r-2"},
		`{"request_id":"r-3"}`:                         {"r-3"},
		`{"message":"attaching"}`:                      nil,
		``:                                             nil,
	} {
		c, _ := newRouteClient(t, Config{}, map[string][]func(http.ResponseWriter){"POST /storage/attach": {jsonReply(http.StatusAccepted, body)}})
		ids, err := c.AttachStorage(context.Background(), "s-1", []string{"c-1"})
		if err != nil || !reflect.DeepEqual(ids, want) {
			t.Errorf("%s: got %v, %v; want %v", body, ids, err, want)
		}
	}
	c, _ := newRouteClient(t, Config{}, map[string][]func(http.ResponseWriter){"POST /storage/attach": {jsonReply(http.StatusAccepted, `not json`)}})
	var decodeErr *DecodeError
	if _, err := c.AttachStorage(context.Background(), "s-1", []string{"c-1"}); !errors.As(err, &decodeErr) {
		t.Errorf("not JSON: want *DecodeError, got %v", err)
	}
}
