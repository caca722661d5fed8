package provider

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-log/tflog"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/backoff"
	"github.com/tensorpool/terraform-provider-tensorpool/internal/client"
	"github.com/tensorpool/terraform-provider-tensorpool/internal/clock"
)

// This file is how `terraform destroy` releases a cluster or a storage
// volume: the flow and its error messages are the same for both; each
// resource's destroy file keeps its own decision (deletion protection, and
// which statuses mean released or being released).

// objectRelease is what the release flow needs to know of one object.
type objectRelease[T any] struct {
	Kind objectKind
	ID   string
	// Send asks the engine to release the object; it answers the request
	// to follow, or "" when there is none.
	Send func(ctx context.Context) (requestID string, err error)
	// Read reads the object once; Status is the resource's view of it.
	Read   func(ctx context.Context) (T, error)
	Status func(T) objectStatus
	// RefusalAdvice, when set, explains a release the engine refused, from
	// the engine's answer and the object as read then (the zero T when the
	// read failed); it ends with a space.
	RefusalAdvice func(refusal error, object T) string
	// Unprotect, when set, turns the engine's deletion protection off
	// before the release; it answers the request to follow, or "". Only an
	// object whose create never finished gets one (deleteProtected).
	Unprotect func(ctx context.Context) (requestID string, err error)
	// Earlier is the request of a release sent by an earlier destroy that
	// stopped waiting for it, or "": deleteObject reads it from the private
	// state (privatePendingRelease), where it also records it.
	Earlier string
}

// releaseOutcome says how a release ended, for logs.
type releaseOutcome string

const (
	releaseGone      releaseOutcome = "gone"      // the engine no longer knows the object, or it was already released
	releaseCompleted releaseOutcome = "completed" // our release request completed
	releaseObserved  releaseOutcome = "observed"  // a release already under way (or without a request) was watched to its end
)

// deleteObject is a resource's Delete once its own decision allows the
// release: the release within timeout, its error as diagnostics, and a log
// line saying how it ended. A release request that may still be under way
// when the wait ends (a timeout, Ctrl-C) is recorded in private, so that the
// next destroy, which finds it in prior, waits for it instead of sending a
// second release.
func deleteObject[T any](ctx context.Context, data *providerData, api *client.Client, rel objectRelease[T], timeout time.Duration,
	prior privateGetter, private privateSetter, diags *diag.Diagnostics,
) {
	earlier, readDiags := privateString(ctx, prior, privatePendingRelease)
	diags.Append(readDiags...)
	if diags.HasError() {
		return
	}
	rel.Earlier = earlier
	clk := clock.OrReal(data.opts.Clock)
	start := clk.Now()
	deleteCtx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	wait := waitConfig{Policy: data.opts.PollPolicy, Clock: clk, Timeout: timeout}
	outcome, pending, err := releaseObject(deleteCtx, api, rel, wait)
	diags.Append(setPrivateString(ctx, private, privatePendingRelease, pending)...)
	if err != nil {
		diags.AddError(releaseErrorSummary(rel.Kind, err), releaseErrorDetail(rel.Kind, rel.ID, timeout, err))
		return
	}
	tflog.Info(ctx, rel.Kind.text("TensorPool cluster released", "TensorPool storage volume released"), map[string]any{
		"kind": rel.Kind.String(), "id": rel.ID, "outcome": string(outcome), "waited_ms": clk.Now().Sub(start).Milliseconds(),
	})
}

// releaseObject waits for an earlier destroy's release if there is one,
// turns protection off if asked, sends the release, riding out engine
// outages, then waits for its request. A 404 means there is nothing left
// to release; a 400 means the engine will not release it now, and a read
// tells why: already released (done), being released (perhaps by an
// earlier destroy that timed out: watch it finish), or anything else (an
// error quoting the engine). It is idempotent, so destroy after a timeout
// simply continues. pending is the release request that may still be under
// way when it returns an error, or "".
func releaseObject[T any](ctx context.Context, api *client.Client, rel objectRelease[T], wait waitConfig) (outcome releaseOutcome, pending string, err error) {
	if rel.Earlier != "" {
		what := fmt.Sprintf(rel.Kind.text("releasing cluster %s (requested by an earlier destroy)",
			"releasing storage volume %s (requested by an earlier destroy)"), rel.ID)
		_, err := awaitEarlierRequest(ctx, api, rel.Earlier, what, wait.Timeout)
		var failed *client.RequestFailedError
		switch {
		case err == nil:
			return releaseCompleted, "", nil
		case !errors.As(err, &failed) && !client.IsNotFound(err):
			return "", rel.Earlier, err
		}
		// That release failed, or the engine no longer knows it: release anew.
		tflog.Info(ctx, "TensorPool release of an earlier destroy did not complete; releasing again", map[string]any{"request_id": rel.Earlier, "error": err.Error()})
	}
	if rel.Unprotect != nil {
		done, err := unprotect(ctx, api, rel, wait)
		if done || err != nil {
			return releaseGone, "", err
		}
	}
	requestID, err := untilSettled(ctx, wait, rel.Send)
	switch {
	case client.IsNotFound(err):
		return releaseGone, "", nil
	case client.IsBadRequest(err):
		outcome, err := releaseRefused(ctx, rel, wait, err)
		return outcome, "", err
	case err != nil:
		return "", "", fmt.Errorf(rel.Kind.text("releasing cluster %s: %w", "releasing storage volume %s: %w"), rel.ID, err)
	case requestID == "":
		return releaseObserved, "", waitForRelease(ctx, rel, wait)
	}
	what := fmt.Sprintf(rel.Kind.text("releasing cluster %s", "releasing storage volume %s"), rel.ID)
	if _, err := awaitRequest(ctx, api, requestID, what, wait.Timeout); err != nil {
		var failed *client.RequestFailedError
		if errors.As(err, &failed) {
			return "", "", err
		}
		return "", requestID, err
	}
	return releaseCompleted, "", nil
}

// unprotect turns the engine's deletion protection off and waits for the
// edit. done means the engine no longer knows the object. A refused edit
// (an object released, being released or failed) is left to the release,
// whose own refusal reads the object and decides.
func unprotect[T any](ctx context.Context, api *client.Client, rel objectRelease[T], wait waitConfig) (done bool, err error) {
	requestID, err := untilSettled(ctx, wait, rel.Unprotect)
	switch {
	case client.IsNotFound(err):
		return true, nil
	case client.IsBadRequest(err):
		return false, nil
	case err != nil:
		return false, fmt.Errorf(rel.Kind.text("turning deletion protection off before releasing cluster %s: %w",
			"turning deletion protection off before releasing storage volume %s: %w"), rel.ID, err)
	case requestID == "":
		return false, nil
	}
	what := fmt.Sprintf(rel.Kind.text("turning deletion protection off for cluster %s", "turning deletion protection off for storage volume %s"), rel.ID)
	_, err = awaitRequest(ctx, api, requestID, what, wait.Timeout)
	return false, err
}

// releaseRefused decides after the engine refused the release (400).
func releaseRefused[T any](ctx context.Context, rel objectRelease[T], wait waitConfig, refusal error) (releaseOutcome, error) {
	object, readErr := untilSettled(ctx, wait, rel.Read)
	var status objectStatus
	if readErr == nil {
		status = rel.Status(object)
	} else {
		var none T
		object = none
	}
	if gone, _ := readGone(readErr, status); gone {
		return releaseGone, nil
	}
	if readErr == nil && status.Releasing {
		return releaseObserved, waitForRelease(ctx, rel, wait)
	}
	refused := &releaseRefusedError{Kind: rel.Kind, ID: rel.ID, Status: "unknown", Err: refusal}
	if readErr == nil {
		refused.Status = statusText(status.Status)
	}
	if rel.RefusalAdvice != nil {
		refused.Advice = rel.RefusalAdvice(refusal, object)
	}
	return "", refused
}

// releaseRefusedError is a release the engine refused (400) of an object
// that is neither released nor being released.
type releaseRefusedError struct {
	Kind   objectKind
	ID     string
	Status string // as read after the refusal, or "unknown"
	Advice string // the resource's explanation, or ""
	Err    error
}

func (e *releaseRefusedError) Error() string {
	return fmt.Sprintf(e.Kind.text("the engine refused to release cluster %s, which is %s: %v",
		"the engine refused to release storage volume %s, which is %s: %v"), e.ID, e.Status, e.Err)
}

func (e *releaseRefusedError) Unwrap() error { return e.Err }

// releaseWaitError is a wait for a release under way that ended first.
type releaseWaitError struct {
	Kind       objectKind
	ID         string
	LastStatus *string
	Err        error // *backoff.TimeoutError or *backoff.InterruptedError
}

func (e *releaseWaitError) Error() string {
	return fmt.Sprintf(e.Kind.text("cluster %s was still %s when the provider stopped waiting for its release (%v)",
		"storage volume %s was still %s when the provider stopped waiting for its release (%v)"), e.ID, statusText(e.LastStatus), e.Err)
}

func (e *releaseWaitError) Unwrap() error { return e.Err }

// waitForRelease polls the object until the engine reports it released or
// forgets it, riding out engine outages, within the wait's deadline.
func waitForRelease[T any](ctx context.Context, rel objectRelease[T], wait waitConfig) error {
	var last *string
	err := waitByReading(ctx, wait, rel.Read, func(object T) bool {
		status := rel.Status(object)
		last = status.Status
		return status.Released
	}, fmt.Sprintf(rel.Kind.text("reading cluster %s while it is released", "reading storage volume %s while it is released"), rel.ID))
	var timedOut *backoff.TimeoutError
	var interrupted *backoff.InterruptedError
	if errors.As(err, &timedOut) || errors.As(err, &interrupted) {
		return &releaseWaitError{Kind: rel.Kind, ID: rel.ID, LastStatus: last, Err: err}
	}
	return err
}

func releaseErrorSummary(kind objectKind, err error) string {
	var timedOut *backoff.TimeoutError
	var interrupted *backoff.InterruptedError
	var failed *client.RequestFailedError
	var refused *releaseRefusedError
	switch {
	case errors.As(err, &timedOut):
		return kind.text("Timed out waiting for the TensorPool cluster to be released", "Timed out waiting for the TensorPool storage volume to be released")
	case errors.As(err, &interrupted), errors.Is(err, context.Canceled):
		return kind.text("Destroy interrupted (Ctrl-C) before the TensorPool cluster was released",
			"Destroy interrupted (Ctrl-C) before the TensorPool storage volume was released")
	case errors.As(err, &failed):
		return kind.text("The engine could not release the TensorPool cluster", "The engine could not release the TensorPool storage volume")
	case errors.As(err, &refused):
		return kind.text("The engine refused to release the TensorPool cluster", "The engine refused to release the TensorPool storage volume")
	case client.IsUnreachable(err):
		return "Could not reach the TensorPool engine"
	}
	return kind.text("Could not release the TensorPool cluster", "Could not release the TensorPool storage volume")
}

func releaseErrorDetail(kind objectKind, id string, timeout time.Duration, err error) string {
	var timedOut *backoff.TimeoutError
	var interrupted *backoff.InterruptedError
	var refused *releaseRefusedError
	kept := kind.text("The cluster stays in the Terraform state, so nothing is forgotten while it may bill.",
		"The storage volume stays in the Terraform state, so nothing is forgotten while it may bill.")
	switch {
	case errors.As(err, &timedOut):
		return fmt.Sprintf(kind.text("Cluster %s was asked to release, but %s (timeouts.delete = %s).\n\n%s Ways out:\n",
			"Storage volume %s was asked to release, but %s (timeouts.delete = %s).\n\n%s Ways out:\n")+
			"  - run `terraform destroy` again: it keeps waiting for the same release, without sending a second one;\n"+
			"  - raise `timeouts.delete` in the resource's `timeouts` block; Terraform reads it from the state, so run `terraform apply` first.",
			id, err, timeout, kept)
	case errors.As(err, &interrupted), errors.Is(err, context.Canceled):
		return fmt.Sprintf("Terraform was stopped (Ctrl-C) during the destroy: %s. %s The engine may still be releasing it; "+
			"run `terraform destroy` again to finish.", err, kept)
	case client.IsUnreachable(err):
		return fmt.Sprintf("%s.\n\n%s %s", err, unreachableAdvice("the destroy did not wait for timeouts.delete"), kept)
	}
	advice := ""
	if errors.As(err, &refused) {
		advice = refused.Advice
	}
	return fmt.Sprintf(kind.text("%s.\n\n%s%s Fix the cause and run `terraform destroy` again; `tp cluster info %s` shows what the engine reports.",
		"%s.\n\n%s%s Fix the cause and run `terraform destroy` again; `tp storage info %s` shows what the engine reports."), err, advice, kept, id)
}

// waitByReading is every wait that follows an engine change by reading the
// object (when there is no request to follow): it reads until done says so
// or the engine no longer knows the object (404), riding out engine outages
// and honouring their Retry-After, within the wait's deadline. what names
// the reads in an error ("reading cluster c-1 while it is released").
func waitByReading[T any](ctx context.Context, wait waitConfig, read func(context.Context) (T, error), done func(T) bool, what string) error {
	clk := clock.OrReal(wait.Clock)
	poll := backoff.Poll{Clock: clk, Policy: wait.Policy, Timeout: wait.Timeout}
	return poll.Run(ctx, func(ctx context.Context) (bool, time.Duration, error) {
		object, err := read(ctx)
		switch {
		case client.IsNotFound(err):
			return true, 0, nil
		case err != nil && ctx.Err() != nil:
			return false, 0, nil //nolint:nilerr // the poll reports the context's end itself
		case client.IsOutage(err):
			return false, client.RetryAfter(err, clk.Now()), nil
		case err != nil:
			return false, 0, fmt.Errorf("%s: %w", what, err)
		}
		return done(object), 0, nil
	})
}
