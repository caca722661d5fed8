package provider

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/backoff"
	"github.com/tensorpool/terraform-provider-tensorpool/internal/client"
)

// This file is what a create does once the engine has named the new
// cluster or storage volume: the object goes into the state before the
// wait for its request, so that a timeout, Ctrl-C or dropped connection
// never orphans it (Terraform keeps it, tainted, and destroy releases it);
// only a FAILED request AND a read confirming that nothing of the object
// runs leave nothing in the state.

// objectCreate is what the create flow needs to know of one new object.
type objectCreate[T any] struct {
	Kind      objectKind
	ID        string
	RequestID string // "" when the engine gave none
	// Adopted is an object the create's lost answer left to be found in
	// the kind's list (the client's createChange): no request is known,
	// so its create is waited for by reading the object until Ready.
	Adopted bool
	Ready   func(T) bool
	// Read reads the object once; Status is the resource's view of it.
	Read   func(ctx context.Context) (T, error)
	Status func(T) objectStatus
	// Timeout is timeouts.create, ReadTimeout timeouts.read.
	Timeout, ReadTimeout time.Duration
}

// createResult is how the create flow ended, for the resource to finish
// its state: with Removed, the state is already empty; otherwise the
// resource saves its model, filled from Object when Read.
type createResult[T any] struct {
	Object  T
	Read    bool
	Removed bool
}

// followCreate is called once the resource has saved the new object, as
// planned and with its id, to the state: it waits within createCtx (the
// create's deadline) for its request, reads it back and reports what went
// wrong as diagnostics.
func followCreate[T any](ctx, createCtx context.Context, data *providerData, api *client.Client, c objectCreate[T], state *tfsdk.State, private privateSetter, diags *diag.Diagnostics) createResult[T] {
	// Until the engine reports the create done, deletion_protection does not
	// stop the destroy that the create's error promises.
	diags.Append(private.SetKey(ctx, privateCreateUnfinished, []byte("true"))...)
	tflog.Info(ctx, c.Kind.text("TensorPool cluster claim accepted", "TensorPool storage volume creation accepted"),
		map[string]any{"kind": c.Kind.String(), "id": c.ID, "request_id": c.RequestID})
	var last *client.Request
	var err error
	switch {
	case c.Adopted:
		tflog.Warn(ctx, c.Kind.text("The answer to the TensorPool cluster create was lost; the one new cluster in the list is the create's",
			"The answer to the TensorPool storage volume create was lost; the one new storage volume in the list is the create's"),
			map[string]any{"kind": c.Kind.String(), "id": c.ID})
		last, err = awaitAdopted(createCtx, data, c)
	case c.RequestID == "":
		diags.AddWarning("The engine gave no request to follow",
			fmt.Sprintf(c.Kind.text(
				"The engine accepted cluster %s without a request_id, so the provider could not wait for the claim to finish. "+
					"The cluster is in the state with the status the engine reports now.",
				"The engine accepted storage volume %s without a request_id, so the provider could not wait for the creation to finish. "+
					"The storage volume is in the state with the status the engine reports now."), c.ID))
	default:
		last, err = awaitRequest(createCtx, api, c.RequestID, fmt.Sprintf(c.Kind.text("creating cluster %s", "creating storage volume %s"), c.ID), c.Timeout)
	}
	var failed *client.RequestFailedError
	switch {
	case errors.As(err, &failed):
		return createFailed(ctx, createCtx, data, c, failed.Request, state, diags)
	case err != nil:
		diags.AddError(createWaitSummary(c.Kind, err), createWaitDetail(c, last, err))
		return createResult[T]{}
	}
	diags.Append(private.SetKey(ctx, privateCreateUnfinished, nil)...)
	// The read-back too is bounded by timeouts.create.
	object, err := readPatiently(createCtx, data, c.ReadTimeout, c.Read)
	if err != nil {
		diags.AddWarning(c.Kind.text("Could not read the new cluster", "Could not read the new storage volume"), fmt.Sprintf(c.Kind.text(
			"Cluster %s was claimed, but reading it back failed: %s. The next plan or apply refreshes it.",
			"Storage volume %s was created, but reading it back failed: %s. The next plan or apply refreshes it."), c.ID, err))
		return createResult[T]{}
	}
	return createResult[T]{Object: object, Read: true}
}

// awaitAdopted is the wait for the create of an adopted object, which has
// no request to follow: it reads the object within timeouts.create until
// it is Ready, released or gone (a *client.RequestFailedError, so that
// createFailed decides what stays in the state), or until the engine does
// not report its status, when there is nothing to wait for.
func awaitAdopted[T any](createCtx context.Context, data *providerData, c objectCreate[T]) (*client.Request, error) {
	failed := false
	wait := waitConfig{Policy: data.opts.PollPolicy, Clock: data.opts.Clock, Timeout: c.Timeout}
	read := func(ctx context.Context) (T, error) {
		object, err := c.Read(ctx)
		failed = client.IsNotFound(err)
		return object, err
	}
	err := waitByReading(createCtx, wait, read, func(object T) bool {
		status := c.Status(object)
		failed = status.Released
		return status.Status == nil || status.Released || c.Ready(object)
	}, fmt.Sprintf(c.Kind.text("reading cluster %s while it is claimed", "reading storage volume %s while it is created"), c.ID))
	if err == nil && failed {
		request := &client.Request{Status: client.RequestFailed}
		return request, &client.RequestFailedError{Request: request}
	}
	return nil, err
}

// createFailed handles a request the engine ended with FAILED: the object
// leaves the state only when a read confirms that nothing of it runs (the
// engine forgot it, or reports it released or failed); otherwise it stays,
// tainted, so that destroy releases whatever the engine still holds.
func createFailed[T any](ctx, createCtx context.Context, data *providerData, c objectCreate[T], request *client.Request, state *tfsdk.State, diags *diag.Diagnostics) createResult[T] {
	why := requestOutcomeText(request)
	object, err := readPatiently(createCtx, data, c.ReadTimeout, c.Read)
	var status objectStatus
	if err == nil {
		status = c.Status(object)
	}
	if gone, notFound := readGone(err, status); gone {
		state.RemoveResource(ctx)
		detail := fmt.Sprintf(c.Kind.text(
			"The engine could not claim cluster %s: %s.\n\nThe cluster was not found in the engine, so nothing runs or bills, and it is "+
				"not in the Terraform state. Run `terraform apply` again to try a new claim (for example when capacity is back), or choose another `instance_type`.",
			"The engine could not create storage volume %s: %s.\n\nThe storage volume was not found in the engine, so nothing runs or bills, and it is "+
				"not in the Terraform state. Fix the cause and apply again."), c.ID, why)
		if !notFound {
			detail = fmt.Sprintf(c.Kind.text(
				"The engine could not claim cluster %s: %s.\n\nThe cluster is %s, so nothing runs or bills, and it is "+
					"not in the Terraform state. Run `terraform apply` again to try a new claim (for example when capacity is back), or choose another `instance_type`.",
				"The engine could not create storage volume %s: %s.\n\nThe storage volume is %s, so nothing runs or bills, and it is "+
					"not in the Terraform state. Fix the cause and apply again."), c.ID, why, statusText(status.Status))
		}
		diags.AddError(c.Kind.text("The TensorPool cluster claim failed", "The TensorPool storage volume creation failed"), detail)
		return createResult[T]{Removed: true}
	}
	reported := "could not be read: " + fmt.Sprint(err)
	if err == nil {
		reported = "is still reported as " + statusText(status.Status)
	}
	diags.AddError(c.Kind.text("The TensorPool cluster claim failed, but the cluster may still exist",
		"The TensorPool storage volume creation failed, but the storage volume may still exist"), fmt.Sprintf(c.Kind.text(
		"The engine could not claim cluster %s: %s.\n\nThe engine does not confirm that nothing of it runs (the cluster %s). %s",
		"The engine could not create storage volume %s: %s.\n\nThe engine does not confirm that nothing of it runs (the storage volume %s). %s"),
		c.ID, why, reported, keptInStateText(c.Kind, c.ID)))
	return createResult[T]{Object: object, Read: err == nil}
}

// createWaitSummary and createWaitDetail word a wait for the create's
// request that ended without its outcome: the object stays in the state.
func createWaitSummary(kind objectKind, err error) string {
	var timedOut *backoff.TimeoutError
	var interrupted *backoff.InterruptedError
	switch {
	case errors.As(err, &timedOut):
		return kind.text("Timed out waiting for the TensorPool cluster claim", "Timed out waiting for the TensorPool storage volume creation")
	case errors.As(err, &interrupted), errors.Is(err, context.Canceled):
		return kind.text("Cluster claim interrupted (Ctrl-C) before it finished", "Storage volume creation interrupted (Ctrl-C) before it finished")
	}
	return kind.text("Could not follow the TensorPool cluster claim", "Could not follow the TensorPool storage volume creation")
}

func createWaitDetail[T any](c objectCreate[T], last *client.Request, err error) string {
	var timedOut *backoff.TimeoutError
	cause := err.Error()
	if errors.As(err, &timedOut) {
		cause += fmt.Sprintf(" (timeouts.create = %s)", c.Timeout)
	}
	detail := fmt.Sprintf(c.Kind.text("The engine accepted cluster %s, but the provider stopped waiting for its claim: %s.",
		"The engine accepted storage volume %s, but the provider stopped waiting for its creation: %s."), c.ID, cause)
	// The request tracker's error already gives the last status and says
	// the request may still finish: say each once.
	var waitErr *client.RequestWaitError
	if errors.As(err, &waitErr) {
		detail += "\n\n" + keptInStateText(c.Kind, c.ID)
	} else {
		if last != nil {
			detail += fmt.Sprintf(c.Kind.text(" The claim was last %s.", " The creation was last %s."), requestOutcomeText(last))
		}
		detail += c.Kind.text("\n\nThe claim may still complete. ", "\n\nThe creation may still complete. ") + keptInStateText(c.Kind, c.ID)
	}
	if c.Kind == clusterKind {
		detail += " To wait longer for GPU capacity, raise `timeouts.create`."
	}
	return detail
}

// keptInStateText says what happens to an object whose create did not
// finish: it is in the state, tainted, and destroy (or apply) releases it.
func keptInStateText(kind objectKind, id string) string {
	return fmt.Sprintf(kind.text(
		"Cluster %s is kept in the Terraform state, marked tainted, where it cannot be forgotten while it may bill: "+
			"`terraform destroy` releases it, and the next `terraform apply` replaces it.",
		"Storage volume %s is kept in the Terraform state, marked tainted, where it cannot be forgotten while it may bill: "+
			"`terraform destroy` releases it, and the next `terraform apply` replaces it."), id)
}

// requestOutcomeText is a request's status and the engine's message about
// it: `FAILED ("No 8xB200 capacity in us-east")`.
func requestOutcomeText(req *client.Request) string {
	if req == nil {
		return "of unknown status"
	}
	if req.ExternalMessage == nil {
		return string(req.Status) + " (the engine gave no message)"
	}
	return fmt.Sprintf("%s (%q)", req.Status, *req.ExternalMessage)
}
