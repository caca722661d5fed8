package provider

import (
	"context"
	"encoding/json"

	"github.com/hashicorp/terraform-plugin-framework/diag"
)

// This file keeps what the cluster, storage and attachment resources
// remember between runs in their private state (kept by Terraform with the
// resource, never shown): requests still under way when a run stopped
// waiting for them, and what a plan learned about the object it replaces.

// Keys of the private state.
const (
	// privatePendingRelease holds the release's request id while the
	// release may still be under way (its destroy timed out or was
	// interrupted): the next destroy waits for it instead of sending a
	// second one.
	privatePendingRelease = "pending_release_request"
	// privateCreateUnfinished marks a cluster or volume whose create ended
	// before the engine reported it done (a timeout, Ctrl-C, a lost
	// connection): it is tainted, and its deletion_protection does not stop
	// the destroy its create error promises.
	privateCreateUnfinished = "create_unfinished"
	// privateReplacingProtected holds, from the first plan of a change, the
	// id of a protected object: Terraform hands it to the second plan of a
	// replacement (the create half), which refuses it.
	privateReplacingProtected = "replacing_protected"
)

// privateGetter and privateSetter are the private state as the framework's
// requests and responses hand it over.
type privateGetter interface {
	GetKey(ctx context.Context, key string) ([]byte, diag.Diagnostics)
}

type privateSetter interface {
	SetKey(ctx context.Context, key string, value []byte) diag.Diagnostics
}

// setPrivateString records a string under key, or clears the key ("").
func setPrivateString(ctx context.Context, private privateSetter, key, value string) diag.Diagnostics {
	if value == "" {
		return private.SetKey(ctx, key, nil)
	}
	encoded, err := json.Marshal(value)
	if err != nil {
		var diags diag.Diagnostics
		diags.AddError("Could not record "+key+" in the private state", err.Error())
		return diags
	}
	return private.SetKey(ctx, key, encoded)
}

// privateString is what setPrivateString recorded under key, or "".
func privateString(ctx context.Context, private privateGetter, key string) (string, diag.Diagnostics) {
	if private == nil {
		return "", nil
	}
	value, diags := private.GetKey(ctx, key)
	if diags.HasError() || len(value) == 0 {
		return "", diags
	}
	var s string
	if err := json.Unmarshal(value, &s); err != nil {
		diags.AddError("Could not read "+key+" from the private state", err.Error())
	}
	return s, diags
}
