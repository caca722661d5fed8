package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/testing/sim"
)

// TestObjectStorageSecretInNoErrorOrString: a credentials answer the
// client cannot use fails with an error that quotes none of the body (the
// secret may be in it), and the credentials never print their secret.
func TestObjectStorageSecretInNoErrorOrString(t *testing.T) {
	const secret = "tpsk-do-not-show-me"
	c, _ := newTestClient(t, jsonReply(200, `{"access_key_id": "", "secret_access_key": "`+secret+`", "endpoint": "https://s3"}`))
	_, err := c.GetObjectStorageCredentials(context.Background())
	var decode *DecodeError
	if !errors.As(err, &decode) || strings.Contains(err.Error(), secret) {
		t.Fatalf("want a *DecodeError without the secret, got %v", err)
	}
	creds := ObjectStorageCredentials{AccessKeyID: "AK", SecretAccessKey: secret, Endpoint: "https://s3", Region: "r"}
	for _, shown := range []string{creds.String(), fmt.Sprint(creds), fmt.Sprintf("%v %+v %#v", creds, creds, creds), fmt.Sprint(&creds)} {
		if strings.Contains(shown, secret) || !strings.Contains(shown, "AK") {
			t.Errorf("the credentials print as %q", shown)
		}
	}
}

// TestDecodeBucketList: entries as names or as objects naming one; others
// skipped; an answer without `buckets` is an error.
func TestDecodeBucketList(t *testing.T) {
	buckets, err := DecodeBucketList([]byte(`{"buckets": ["a-1", {"name": "b-2", "created_at": "2026-01-01T00:00:00Z"}, {"bucket_name": "c-3"}, 7, {"size": 1}]}`))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, b := range buckets {
		names = append(names, b.Name)
	}
	if strings.Join(names, ",") != "a-1,b-2,c-3" || buckets[1].CreatedAt == nil {
		t.Errorf("decoded %+v", buckets)
	}
	if _, err := DecodeBucketList([]byte(`{"message": "No buckets found"}`)); err == nil {
		t.Error("an answer without buckets decoded")
	}
}

// TestObjectStorageAgainstSimulator: every call and its typed errors, on
// the simulator: not enabled, enabled, already enabled, a bucket that
// exists, an invalid name (no request), a non-empty bucket's refusal, a
// disable refused while buckets are left, the SSH command of an instance.
func TestObjectStorageAgainstSimulator(t *testing.T) {
	srv, c := startSim(t, sim.Options{})
	ctx := context.Background()
	if _, err := c.GetObjectStorageCredentials(ctx); !IsObjectStorageNotEnabled(err) {
		t.Fatalf("credentials before enable: %v", err)
	}
	if err := c.CreateBucket(ctx, "data"); !IsObjectStorageNotEnabled(err) {
		t.Fatalf("bucket create before enable: %v", err)
	}
	endpoint, err := c.EnableObjectStorage(ctx)
	if err != nil || endpoint.Endpoint == "" || endpoint.Region == "" {
		t.Fatalf("enable: %+v %v", endpoint, err)
	}
	var already *ObjectStorageAlreadyEnabledError
	if _, err := c.EnableObjectStorage(ctx); !errors.As(err, &already) {
		t.Fatalf("second enable: %v", err)
	}
	if got := srv.Engine.Stats()["POST /object-storage/enable"]; got != 1 {
		t.Errorf("the second enable was sent: %d enables", got)
	}
	if err := c.CreateBucket(ctx, "data"); err != nil {
		t.Fatal(err)
	}
	var exists *BucketExistsError
	if err := c.CreateBucket(ctx, "data"); !errors.As(err, &exists) {
		t.Fatalf("second create: %v", err)
	}
	var badName *InvalidBucketNameError
	before := srv.Engine.Stats()["PUT /object-storage/bucket/create"]
	if err := c.CreateBucket(ctx, "Data_1"); !errors.As(err, &badName) || srv.Engine.Stats()["PUT /object-storage/bucket/create"] != before {
		t.Fatalf("bad name: %v", err)
	}
	if err := srv.Engine.SetBucketObjects(testKey, "data", 2); err != nil {
		t.Fatal(err)
	}
	if err := c.DeleteBucket(ctx, "data"); !hasStatus(err, http.StatusConflict) {
		t.Fatalf("delete of a bucket with objects: %v", err)
	}
	if err := c.DisableObjectStorage(ctx); !hasStatus(err, http.StatusConflict) {
		t.Fatalf("disable with a bucket left: %v", err)
	}
	_ = srv.Engine.SetBucketObjects(testKey, "data", 0)
	if err := c.DeleteBucket(ctx, "data"); err != nil {
		t.Fatal(err)
	}
	if _, err := c.GetBucket(ctx, "data"); !IsNotFound(err) {
		t.Fatalf("get after delete: %v", err)
	}
	if err := c.DeleteBucket(ctx, "data"); !IsNotFound(err) {
		t.Fatalf("second delete: %v", err)
	}
	if err := c.DisableObjectStorage(ctx); err != nil {
		t.Fatal(err)
	}
	if err := c.DisableObjectStorage(ctx); !IsObjectStorageNotEnabled(err) {
		t.Fatalf("second disable: %v", err)
	}

	cluster, err := c.GetCluster(ctx, "c-local")
	if err != nil || len(cluster.InstanceIDs) != 1 {
		t.Fatalf("cluster: %+v %v", cluster, err)
	}
	access, err := c.GetSSHCommand(ctx, cluster.InstanceIDs[0])
	if err != nil || !strings.HasPrefix(access.Command, "ssh ") {
		t.Fatalf("ssh: %+v %v", access, err)
	}
	if _, err := c.GetSSHCommand(ctx, "i-nosuch"); !IsNotFound(err) {
		t.Fatalf("ssh of an unknown instance: %v", err)
	}
}
