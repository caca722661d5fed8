package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
)

// Object storage: the organization's S3-compatible store and its buckets
// [CLI] (helpers.py object_storage_*). The secret access key crosses this
// file only inside ObjectStorageCredentials: no error, log line or Raw
// field ever holds an answer that carries it.

const (
	objectStorageEnablePath      = "/object-storage/enable"
	objectStorageDisablePath     = "/object-storage/disable"
	objectStorageCredentialsPath = "/object-storage/credentials"
	bucketListPath               = "/object-storage/bucket/list"
	bucketCreatePrefix           = "/object-storage/bucket/create/"
	bucketDeletePrefix           = "/object-storage/bucket/delete/"
	// The official CLI's commands that find what a lost answer may have
	// made.
	objectStorageFindWith = "tp object-storage credentials"
	bucketFindWith        = "tp object-storage bucket list"
)

// ObjectStorageCredentials are the organization's S3 credentials. String
// and GoString never show the secret, so a stray %v cannot leak it.
type ObjectStorageCredentials struct {
	AccessKeyID, SecretAccessKey, Endpoint, Region string
}

func (c ObjectStorageCredentials) String() string {
	return fmt.Sprintf("object storage credentials (access key %s, endpoint %s, region %s, secret redacted)", c.AccessKeyID, c.Endpoint, c.Region)
}

// GoString is String, for %#v.
func (c ObjectStorageCredentials) GoString() string { return c.String() }

// ObjectStorageEndpoint is what may be kept of the store: where it is.
type ObjectStorageEndpoint struct {
	Endpoint, Region string
}

// ObjectStorageNotEnabledError is a call that needs the organization's
// object storage while it is not enabled. The engine's answer then is [UNK]:
// a 404 is read as this [INF].
type ObjectStorageNotEnabledError struct{ Err error }

func (e *ObjectStorageNotEnabledError) Error() string {
	return "object storage is not enabled for the organization (enable it with a tensorpool_object_storage resource or `tp object-storage enable`): " + e.Err.Error()
}

func (e *ObjectStorageNotEnabledError) Unwrap() error { return e.Err }

// IsObjectStorageNotEnabled reports whether err says the organization has
// no object storage.
func IsObjectStorageNotEnabled(err error) bool {
	var notEnabled *ObjectStorageNotEnabledError
	return errors.As(err, &notEnabled)
}

// ObjectStorageAlreadyEnabledError is an enable that was not sent because
// the organization's object storage is already enabled.
type ObjectStorageAlreadyEnabledError struct{}

func (e *ObjectStorageAlreadyEnabledError) Error() string {
	return "object storage is already enabled for the organization (`" + objectStorageFindWith + "` shows it)"
}

// notEnabled turns a 404 into an *ObjectStorageNotEnabledError.
func notEnabled(err error) error {
	if hasStatus(err, http.StatusNotFound) {
		return &ObjectStorageNotEnabledError{Err: err}
	}
	return err
}

// GetObjectStorageCredentials reads the organization's S3 credentials
// (GET /object-storage/credentials). Storage that is not enabled is an
// *ObjectStorageNotEnabledError. An answer without an access key id or a
// secret is a *DecodeError that quotes none of the body.
func (c *Client) GetObjectStorageCredentials(ctx context.Context) (*ObjectStorageCredentials, error) {
	resp, err := c.do(ctx, request{method: http.MethodGet, path: objectStorageCredentialsPath, kind: callRead})
	if err != nil {
		return nil, notEnabled(err)
	}
	creds, reason := decodeCredentials(resp.Body)
	if reason != "" {
		// No Snippet: the body may hold the secret.
		return nil, &DecodeError{Method: http.MethodGet, Path: objectStorageCredentialsPath, StatusCode: resp.StatusCode, Reason: reason}
	}
	return creds, nil
}

// decodeCredentials reads a credentials answer; reason says what is missing
// (without quoting any value).
func decodeCredentials(body []byte) (*ObjectStorageCredentials, string) {
	var fields map[string]json.RawMessage
	if json.Unmarshal(bytes.TrimSpace(body), &fields) != nil || fields == nil {
		return nil, "the body is not a JSON object"
	}
	creds := &ObjectStorageCredentials{}
	for _, f := range []struct {
		key  string
		into *string
	}{
		{"access_key_id", &creds.AccessKeyID}, {"secret_access_key", &creds.SecretAccessKey},
		{"endpoint", &creds.Endpoint}, {"region", &creds.Region},
	} {
		if s := firstText(fields, f.key); s != nil {
			*f.into = *s
		}
	}
	if creds.AccessKeyID == "" || creds.SecretAccessKey == "" {
		return nil, "no `access_key_id` and `secret_access_key`"
	}
	return creds, ""
}

// objectStorageEnabled reports whether the organization's object storage is
// enabled, by reading its credentials.
func (c *Client) objectStorageEnabled(ctx context.Context) (bool, error) {
	_, err := c.GetObjectStorageCredentials(ctx)
	switch {
	case err == nil:
		return true, nil
	case IsObjectStorageNotEnabled(err):
		return false, nil
	}
	return false, err
}

// EnableObjectStorage enables the organization's object storage
// (POST /object-storage/enable) and returns its endpoint and region: the
// credentials in the answer are dropped here (GetObjectStorageCredentials
// reads them when needed). It reads the credentials first and sends nothing
// when the storage is already enabled (*ObjectStorageAlreadyEnabledError):
// a lost answer is then settled by reading them again. The endpoint and
// region are empty when the answer was lost (read them with
// GetObjectStorageCredentials).
func (c *Client) EnableObjectStorage(ctx context.Context) (*ObjectStorageEndpoint, error) {
	var enabled bool
	if err := c.readBeforeChange(ctx, c.clock.Now(), func(ctx context.Context) (err error) {
		enabled, err = c.objectStorageEnabled(ctx)
		return err
	}); err != nil {
		return nil, err
	}
	if enabled {
		return nil, &ObjectStorageAlreadyEnabledError{}
	}
	resp, err := c.send(ctx, http.MethodPost, objectStorageEnablePath, nil, &change{Kind: "object storage", FindWith: objectStorageFindWith,
		Reconcile: c.objectStorageEnabled})
	if err != nil {
		return nil, err
	}
	var fields map[string]json.RawMessage
	_ = json.Unmarshal(bytes.TrimSpace(resp.Body), &fields)
	endpoint := &ObjectStorageEndpoint{}
	if s := firstText(fields, "endpoint"); s != nil {
		endpoint.Endpoint = *s
	}
	if s := firstText(fields, "region"); s != nil {
		endpoint.Region = *s
	}
	return endpoint, nil
}

// DisableObjectStorage disables the organization's object storage
// (DELETE /object-storage/disable). Storage that is not enabled is an
// *ObjectStorageNotEnabledError. A lost answer is settled by reading the
// credentials: none means disabled.
func (c *Client) DisableObjectStorage(ctx context.Context) error {
	_, err := c.send(ctx, http.MethodDelete, objectStorageDisablePath, nil, &change{Kind: "object storage", FindWith: objectStorageFindWith,
		Reconcile: func(ctx context.Context) (bool, error) {
			enabled, err := c.objectStorageEnabled(ctx)
			return !enabled, err
		}})
	return notEnabled(err)
}

// Bucket is one bucket of the organization's object storage.
type Bucket struct {
	Name string
	// CreatedAt is nil when the engine does not report it.
	CreatedAt *string
}

// bucketNamePattern is S3's rule for bucket names [INF]: the engine's own
// rule is unknown, and the store is S3-compatible.
var bucketNamePattern = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)

// ValidateBucketName refuses, before any request, a name S3 would refuse:
// 3 to 63 characters, lowercase letters, digits, '.' and '-', starting and
// ending with a letter or digit, no "..".
func ValidateBucketName(name string) error {
	if !bucketNamePattern.MatchString(name) || bytes.Contains([]byte(name), []byte("..")) {
		return &InvalidBucketNameError{Name: name}
	}
	return nil
}

// InvalidBucketNameError is a bucket name refused before any request.
type InvalidBucketNameError struct{ Name string }

func (e *InvalidBucketNameError) Error() string {
	return fmt.Sprintf("invalid bucket name %q: a bucket name has 3 to 63 characters, lowercase letters, digits, '.' and '-', "+
		"starting and ending with a letter or digit", e.Name)
}

// ListBuckets lists the organization's buckets (GET
// /object-storage/bucket/list → `buckets` [CLI]). Entries are names, or
// objects naming one in `name`, `bucket_name` or `Name` [INF]; others are
// skipped. Storage that is not enabled is an *ObjectStorageNotEnabledError.
func (c *Client) ListBuckets(ctx context.Context) ([]Bucket, error) {
	resp, err := c.do(ctx, request{method: http.MethodGet, path: bucketListPath, kind: callRead})
	if err != nil {
		return nil, notEnabled(err)
	}
	buckets, err := DecodeBucketList(resp.Body)
	if err != nil {
		return nil, &DecodeError{Method: http.MethodGet, Path: bucketListPath, StatusCode: resp.StatusCode, Reason: err.Error(), Snippet: snippet(resp.Body)}
	}
	return buckets, nil
}

// DecodeBucketList parses the body of GET /object-storage/bucket/list.
func DecodeBucketList(body []byte) ([]Bucket, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(bytes.TrimSpace(body), &fields); err != nil || fields == nil {
		return nil, errors.New("the body is not a JSON object")
	}
	var entries []json.RawMessage
	if raw, ok := field(fields, "buckets"); !ok || json.Unmarshal(raw, &entries) != nil {
		return nil, errors.New("the answer has no `buckets` list")
	}
	buckets := make([]Bucket, 0, len(entries))
	for _, entry := range entries {
		var name string
		if json.Unmarshal(entry, &name) == nil && name != "" {
			buckets = append(buckets, Bucket{Name: name})
			continue
		}
		var object map[string]json.RawMessage
		if json.Unmarshal(entry, &object) != nil || object == nil {
			continue
		}
		if n := firstText(object, "name", "bucket_name", "Name"); n != nil {
			buckets = append(buckets, Bucket{Name: *n, CreatedAt: firstTime(object, "created_at", "CreationDate")})
		}
	}
	return buckets, nil
}

// GetBucket finds a bucket in the list (the engine has no per-bucket read).
// A bucket not listed, or storage not enabled, is a *NotFoundError.
func (c *Client) GetBucket(ctx context.Context, name string) (*Bucket, error) {
	if err := ValidateBucketName(name); err != nil {
		return nil, err
	}
	buckets, err := c.ListBuckets(ctx)
	if IsObjectStorageNotEnabled(err) {
		return nil, &NotFoundError{Kind: "bucket", ID: name, Where: http.MethodGet + " " + bucketListPath + " (object storage is not enabled)"}
	}
	if err != nil {
		return nil, err
	}
	for i := range buckets {
		if buckets[i].Name == name {
			return &buckets[i], nil
		}
	}
	return nil, &NotFoundError{Kind: "bucket", ID: name, Where: http.MethodGet + " " + bucketListPath}
}

// BucketExistsError is a create that was not sent because the bucket is
// already in the organization's list.
type BucketExistsError struct{ Name string }

func (e *BucketExistsError) Error() string {
	return fmt.Sprintf("bucket %q already exists in the organization's object storage (`%s` shows it)", e.Name, bucketFindWith)
}

// hasBucket reports whether the list holds name.
func (c *Client) hasBucket(ctx context.Context, name string) (bool, error) {
	buckets, err := c.ListBuckets(ctx)
	if err != nil {
		return false, err
	}
	return slices.ContainsFunc(buckets, func(b Bucket) bool { return b.Name == name }), nil
}

// CreateBucket creates a bucket (PUT /object-storage/bucket/create/{name},
// 201 [CLI]). It reads the list first: a bucket already there is a
// *BucketExistsError and nothing is sent, so that a lost answer is settled
// by reading the list again (the bucket there means created).
func (c *Client) CreateBucket(ctx context.Context, name string) error {
	if err := ValidateBucketName(name); err != nil {
		return err
	}
	var exists bool
	if err := c.readBeforeChange(ctx, c.clock.Now(), func(ctx context.Context) (err error) {
		exists, err = c.hasBucket(ctx, name)
		return err
	}); err != nil {
		return err
	}
	if exists {
		return &BucketExistsError{Name: name}
	}
	_, err := c.send(ctx, http.MethodPut, bucketCreatePrefix+url.PathEscape(name), nil, &change{Kind: "bucket", FindWith: bucketFindWith,
		Reconcile: func(ctx context.Context) (bool, error) { return c.hasBucket(ctx, name) }})
	return notEnabled(err)
}

// DeleteBucket deletes a bucket (DELETE /object-storage/bucket/delete/{name},
// 204 [CLI]). An unknown bucket is a 404 (IsNotFound). The engine deletes
// only empty buckets [CLI]; what it answers for one with objects is [UNK]
// (another 4xx: the caller explains). A lost answer is settled by reading
// the list: the bucket gone means deleted.
func (c *Client) DeleteBucket(ctx context.Context, name string) error {
	if err := ValidateBucketName(name); err != nil {
		return err
	}
	_, err := c.send(ctx, http.MethodDelete, bucketDeletePrefix+url.PathEscape(name), nil, &change{Kind: "bucket", FindWith: bucketFindWith,
		Reconcile: func(ctx context.Context) (bool, error) {
			there, err := c.hasBucket(ctx, name)
			return !there, err
		}})
	return err
}
