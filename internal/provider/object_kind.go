package provider

import (
	"context"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/client"
)

// This file holds what the cluster and storage resources say and decide
// alike about an engine object: its kind in messages, its status as the
// shared create and release flows see it, and the checks of its id.

// objectKind is the kind of engine object the shared create and release
// flows handle. Every message that differs by kind is written whole, once
// per kind, through text: searching the code for what a user saw finds it.
type objectKind int

const (
	clusterKind objectKind = iota + 1
	storageKind
)

// text is the cluster's or the storage volume's wording of one message.
func (k objectKind) text(cluster, storage string) string {
	if k == clusterKind {
		return cluster
	}
	return storage
}

// String names the kind in log fields.
func (k objectKind) String() string { return k.text("cluster", "storage volume") }

// readForDataSource is a data source's read of one engine object: patient
// (rate limits and engine errors ridden out for defaultReadTimeout), and an
// object the engine does not know is an error, as is any other failure. It
// returns nil after adding the error.
func readForDataSource[T any](ctx context.Context, data *providerData, kind objectKind, id string,
	read func(context.Context) (*T, error), diags *diag.Diagnostics) *T {
	object, err := readPatiently(ctx, data, defaultReadTimeout, read)
	switch {
	case client.IsNotFound(err):
		diags.AddError(kind.text("TensorPool cluster not found", "TensorPool storage volume not found"), fmt.Sprintf(kind.text(
			"cluster %s not found: it does not exist, or it was released and forgotten. Check the id with `tp cluster list`.",
			"storage volume %s not found: it does not exist, or it was destroyed. Check the id with `tp storage list`."), id))
		return nil
	case err != nil:
		diags.AddError(kind.text("Could not read the TensorPool cluster", "Could not read the TensorPool storage volume"),
			fmt.Sprintf(kind.text("Reading cluster %s failed: %s", "Reading storage volume %s failed: %s"), id, err))
		return nil
	}
	return object
}

// objectStatus is what the create and release flows need to know of an
// engine object; each resource derives it from its object (which statuses
// mean what is the resource's decision).
type objectStatus struct {
	Status    *string // as the engine reported it; nil when it did not
	Released  bool    // gone for good: nothing of it runs or bills
	Releasing bool    // a release is under way
}

// readGone reports whether a read found the object gone for good: unknown
// to the engine (404, notFound), or released (the engine keeps answering
// for a released object, with its final status). The messages say which,
// each in its own whole sentence.
func readGone(err error, s objectStatus) (gone, notFound bool) {
	switch {
	case client.IsNotFound(err):
		return true, true
	case err == nil && s.Released:
		return true, false
	}
	return false, false
}

// statusIs compares an engine status, as the client does, without regard
// to case or surrounding space.
func statusIs(status *string, want string) bool {
	return status != nil && strings.EqualFold(strings.TrimSpace(*status), want)
}

func statusText(status *string) string {
	if status == nil {
		return "without a status"
	}
	return *status
}

// rawJSON is the engine's raw object as a string (an `…_info_json`
// attribute), or null when there is none.
func rawJSON(raw []byte) types.String {
	if len(raw) == 0 {
		return types.StringNull()
	}
	return types.StringValue(string(raw))
}

// validateEngineID is the one check of a cluster or storage id a user
// typed (an import, an attachment id, a data source's id): it catches ids
// that could never reach the engine intact: empty, too long, or with
// characters other than letters, digits, '-', '_' and '.'.
func validateEngineID(kind objectKind, id string) error {
	if id == "" || len(id) > client.MaxObjectIDLength || !clusterIDPattern.MatchString(id) {
		return fmt.Errorf(kind.text(
			"%q is not a TensorPool cluster id: it must be non-empty, at most %d characters, and hold only letters, digits, '-', '_' and '.'",
			"%q is not a TensorPool storage volume id: it must be non-empty, at most %d characters, and hold only letters, digits, '-', '_' and '.'"),
			id, client.MaxObjectIDLength)
	}
	return nil
}

// engineIDValidator checks, at plan time, the id of an engine object of
// kind: empty ids and ids with spaces or slashes never reach the engine.
type engineIDValidator struct{ kind objectKind }

var (
	clusterIDValidator = engineIDValidator{kind: clusterKind}
	storageIDValidator = engineIDValidator{kind: storageKind}
)

func (v engineIDValidator) Description(context.Context) string {
	return v.kind.text("must be a TensorPool cluster id such as `c-abc123`", "must be a TensorPool storage id")
}

func (v engineIDValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (v engineIDValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	err := validateEngineID(v.kind, req.ConfigValue.ValueString())
	if err == nil {
		return
	}
	resp.Diagnostics.AddAttributeError(req.Path, v.kind.text("Invalid cluster id", "Invalid storage id"), fmt.Sprintf(v.kind.text(
		"%s (for example `c-abc123`). `tp cluster list` shows your clusters.",
		"%s. `tp storage list` shows your volumes."), err))
}
