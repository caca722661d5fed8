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

// objectKind names a kind of engine object in messages.
type objectKind struct {
	Name string // "cluster", "storage volume"
	// Show is the CLI command that shows one object's state, with ID in
	// place of its id ("`tp cluster info ID`").
	Show string
	// List is the CLI command that lists the user's objects of the kind.
	List string
	// Forgotten is how an object the engine no longer knows ended.
	Forgotten string
}

var (
	clusterKind = objectKind{Name: "cluster", Show: "`tp cluster info ID`", List: "`tp cluster list`", Forgotten: "released and forgotten"}
	storageKind = objectKind{Name: "storage volume", Show: "`tp storage info ID`", List: "`tp storage list`", Forgotten: "destroyed"}
)

// Title is the kind at the start of a sentence: "Storage volume".
func (k objectKind) Title() string { return strings.ToUpper(k.Name[:1]) + k.Name[1:] }

// ShowCommand is Show for the object id.
func (k objectKind) ShowCommand(id string) string { return strings.ReplaceAll(k.Show, "ID", id) }

// readForDataSource is a data source's read of one engine object: patient
// (rate limits and engine errors ridden out for defaultReadTimeout), and an
// object the engine does not know is an error, as is any other failure. It
// returns nil after adding the error.
func readForDataSource[T any](ctx context.Context, data *providerData, kind objectKind, id string,
	read func(context.Context) (*T, error), diags *diag.Diagnostics) *T {
	object, err := readPatiently(ctx, data, defaultReadTimeout, read)
	switch {
	case client.IsNotFound(err):
		diags.AddError("TensorPool "+kind.Name+" not found", fmt.Sprintf("%s %s not found: it does not exist, or it was %s. Check the id with %s.",
			kind.Name, id, kind.Forgotten, kind.List))
		return nil
	case err != nil:
		diags.AddError("Could not read the TensorPool "+kind.Name, fmt.Sprintf("Reading %s %s failed: %s", kind.Name, id, err))
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

// readGone reports whether a read found the object gone for good, and in
// what words: unknown to the engine (404), or released (the engine keeps
// answering for a released object, with its final status).
func readGone(err error, s objectStatus) (bool, string) {
	switch {
	case client.IsNotFound(err):
		return true, "was not found in the engine"
	case err == nil && s.Released:
		return true, "is " + statusText(s.Status)
	}
	return false, ""
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
		return fmt.Errorf("%q is not a TensorPool %s id: it must be non-empty, at most %d characters, and hold only letters, "+
			"digits, '-', '_' and '.'", id, kind.Name, client.MaxObjectIDLength)
	}
	return nil
}

// engineIDValidator checks, at plan time, the id of an engine object of
// kind: empty ids and ids with spaces or slashes never reach the engine.
type engineIDValidator struct {
	kind    objectKind
	idName  string // "cluster", in "a TensorPool cluster id"
	example string // an id to show, or ""
	plural  string // what kind.List shows: "clusters"
}

var (
	clusterIDValidator = engineIDValidator{kind: clusterKind, idName: "cluster", example: "c-abc123", plural: "clusters"}
	storageIDValidator = engineIDValidator{kind: storageKind, idName: "storage", plural: "volumes"}
)

func (v engineIDValidator) Description(context.Context) string {
	if v.example == "" {
		return "must be a TensorPool " + v.idName + " id"
	}
	return "must be a TensorPool " + v.idName + " id such as `" + v.example + "`"
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
	detail := err.Error()
	if v.example != "" {
		detail += " (for example `" + v.example + "`)"
	}
	resp.Diagnostics.AddAttributeError(req.Path, "Invalid "+v.idName+" id", detail+". "+v.kind.List+" shows your "+v.plural+".")
}
