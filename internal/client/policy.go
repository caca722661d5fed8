package client

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/backoff"
)

// This file is the one place that decides, by what a call does, whether a
// failed call may be sent again. Every engine call is one of three kinds:
//
//   - a read (callRead) changes nothing: it is sent again on every outage
//     (429, 5xx except 501, a timeout, a dropped connection) and, a few
//     quick times, when the engine is unreachable;
//   - a change (callChange: a create, edit, release, attach, detach,
//     cancel, key add or remove) is sent again at once only when the engine
//     provably did nothing (engineDidNothing). After an ambiguous failure —
//     another 5xx, a timeout, a connection dropped after the request was
//     sent — it is reconciled by reading the engine first (the call's
//     reconcile): in effect, the call succeeds without an answer; provably
//     not, it is sent again; when no read can tell, the call fails with an
//     *UnconfirmedError that names what may exist and how to find it;
//   - a one-shot (callOnce) is never sent again.
//
// A create (a cluster claim, a volume create) is reconciled by its kind's
// list (createChange): the ids listed before it was first sent against
// those listed after the lost answer. One new id whose info matches what
// was asked is the create's, and the call answers with it (adopted); none
// means the create provably did not happen, and it is sent again; several,
// or one that does not match, end the call with an *UnconfirmedError that
// names them (Candidates): adopting a stranger's object, or making a
// second one, could bill for something nobody asked for.
//
// So an outage error (IsOutage) out of a change always means the engine did
// not make it, and a caller may send it again; a change in doubt is never
// an outage.

// callKind is what a call does.
type callKind int

const (
	callOnce callKind = iota
	callRead
	callChange
)

// change is how one change call is reconciled after an ambiguous failure.
type change struct {
	// Kind and FindWith name what the change may have made, and the CLI
	// command a person finds it with, for an *UnconfirmedError.
	Kind, FindWith string
	// Reconcile reads the engine: applied reports the change in effect;
	// false, nil that it provably is not (it is sent again); an error that
	// reading cannot tell. Nil means no read can tell (the engine's lists
	// are message-only [UNK]), so an ambiguous failure ends the call.
	Reconcile func(ctx context.Context) (applied bool, err error)
	// Before, when set, runs once before the change is first sent (a
	// create lists what exists), riding out outages like a reconciling
	// read; its error ends the call with nothing sent.
	Before func(ctx context.Context) error
}

// sendAgain is sent again as it was: for changes that are the same change
// however often they arrive (a PATCH of absolute values, a cancel), where
// a second copy is the cheapest way to settle a lost answer.
func sendAgain(context.Context) (bool, error) { return false, nil }

// errApplied ends withRetries when reconciling found the change in effect.
var errApplied = errors.New("the change is in effect")

// engineDidNothing reports whether a failed change provably left the
// engine as it was, so that sending it again cannot do it twice: a 429
// (refused before any work), a 503 with Retry-After (the engine says it is
// unavailable and when to come back), a request the client's own limiter
// never sent, and a connection that could not be opened (refused, a host
// that does not resolve, a failed TLS handshake): the request was never
// written. A 5xx without that promise, a timeout or a connection that
// dropped once the request was on its way are ambiguous.
func engineDidNothing(err error) bool {
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		return apiErr.StatusCode == http.StatusTooManyRequests ||
			(apiErr.StatusCode == http.StatusServiceUnavailable && apiErr.RetryAfter != "")
	}
	var throttled *ThrottledError
	if errors.As(err, &throttled) {
		return true
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "dial" {
		return true
	}
	return isConnRefused(err) || isHostNotFound(err) || isTLSFailure(err)
}

// changeRideOut is how long a change without a deadline keeps riding out
// failures in which the engine provably did nothing (a rate-limit storm, an
// engine restarting).
const changeRideOut = 2 * time.Minute

// retryState is what withRetries knows of a call's attempts so far.
type retryState struct {
	// first is when the first attempt started.
	first time.Time
	// attempt is the attempt that just failed, 0 for the first.
	attempt int
	// inDoubt is set once an attempt of a change failed ambiguously and
	// was sent again: the engine may have taken that earlier copy.
	inDoubt bool
}

// nextStep decides, after an attempt of req failed with err, whether to
// send req again. It returns errApplied when reconciling found a change in
// effect, and otherwise the error to end the call with.
func (c *Client) nextStep(ctx context.Context, req request, state *retryState, err error) (again bool, end error) {
	attempt := state.attempt
	switch {
	case ctx.Err() != nil && req.kind == callChange && isNetworkError(err) && !engineDidNothing(err):
		// Ctrl-C or the deadline cut the change short on its way: the
		// engine may have taken it, and there is no time left to read.
		return false, c.unconfirmed(req, err, "the operation ended before its answer arrived")
	case ctx.Err() != nil:
		return false, err
	case req.kind == callRead:
		return isRetryable(err) && attempt < c.maxRetries, err
	case req.kind != callChange:
		return false, err
	case engineDidNothing(err):
		// A change rides such failures out within its deadline, or within
		// changeRideOut of its first attempt when it has none: each retry
		// waits at least as long as the engine asked, and none starts after
		// the deadline (withRetries).
		_, bounded := ctx.Deadline()
		inWindow := bounded || c.clock.Now().Sub(state.first) < changeRideOut
		return c.maxRetries > 0 && (attempt < c.maxRetries || inWindow), err
	case !isRetryable(err) && state.inDoubt:
		// A refusal of the copy sent after a lost answer may be the engine
		// refusing to do twice what the first copy did.
		return false, c.unconfirmed(req, err, "sent again, the engine refused it, perhaps because the first was taken")
	case !isRetryable(err):
		return false, err // an answer that is final: 4xx, 501
	}
	if req.change == nil || req.change.Reconcile == nil {
		return false, c.unconfirmed(req, err, "the engine offers no read that tells whether it did")
	}
	applied, readErr := c.reconcile(ctx, req.change, state)
	var candidates *candidatesError
	switch {
	case errors.As(readErr, &candidates):
		unconfirmed := c.unconfirmed(req, err, candidates.Why)
		unconfirmed.Candidates, unconfirmed.DestroyWith = candidates.IDs, candidates.DestroyWith
		return false, unconfirmed
	case readErr != nil:
		return false, c.unconfirmed(req, err, fmt.Sprintf("reading the engine to find out failed: %v", readErr))
	case applied:
		return false, errApplied
	}
	// Provably not done, as far as reading can tell: the failure was an
	// outage like any other.
	state.inDoubt = true
	return attempt < c.maxRetries, err
}

// reconcile runs ch.Reconcile, riding out outages of the read itself
// (the engine may be restarting) within the deadline, or changeRideOut of
// the change's first attempt when there is none.
func (c *Client) reconcile(ctx context.Context, ch *change, state *retryState) (bool, error) {
	var applied bool
	err := c.readBeforeChange(ctx, state.first, func(ctx context.Context) error {
		var err error
		applied, err = ch.Reconcile(ctx)
		return err
	})
	return applied && err == nil, err
}

// readBeforeChange runs read, a read that a change depends on (its
// reconciling read, or the look a change takes before it is sent), riding
// out outages within ctx's deadline, or changeRideOut of since when there
// is none: a change must not fail on an outage that its own sending would
// ride out.
func (c *Client) readBeforeChange(ctx context.Context, since time.Time, read func(context.Context) error) error {
	for i := 0; ; i++ {
		err := read(ctx)
		_, bounded := ctx.Deadline()
		if err == nil || !IsOutage(err) || (!bounded && c.clock.Now().Sub(since) >= changeRideOut) {
			return err
		}
		if waitErr := backoff.Sleep(ctx, c.clock, c.policy.WithHint(i, RetryAfter(err, c.clock.Now())), nil); waitErr != nil {
			return retryEnded(err, waitErr)
		}
	}
}

func (c *Client) unconfirmed(req request, err error, why string) *UnconfirmedError {
	e := &UnconfirmedError{Method: req.method, Path: req.path, Why: why, Err: err}
	if req.change != nil {
		e.Kind, e.FindWith = req.change.Kind, req.change.FindWith
	}
	return e
}

// UnconfirmedError is a change whose answer was lost (a 5xx other than 503
// with Retry-After, a timeout, a connection dropped after the request was
// sent) and that reading the engine could not settle: the engine may have
// made it. It is neither an outage nor unreachable: sending the change
// again could make it twice.
type UnconfirmedError struct {
	Method, Path string
	// Kind names what the change may have made ("cluster"); FindWith is
	// the CLI command a person finds it with. Either may be empty.
	Kind, FindWith string
	// Why says why no read settled it.
	Why string
	// Candidates, for a create, are the new objects that appeared in the
	// kind's list after its answer was lost, none of which could be told
	// to be the create's; DestroyWith is the CLI command that releases
	// one ("tp cluster destroy"), followed by its id.
	Candidates  []string
	DestroyWith string
	// Err is the failure that lost the answer.
	Err error
}

func (e *UnconfirmedError) Error() string {
	msg := fmt.Sprintf("the TensorPool engine may have carried out %s %s, but its answer was lost (%v) and %s", e.Method, e.Path, e.Err, e.Why)
	if e.Kind != "" {
		msg += fmt.Sprintf("; the %s may exist", e.Kind)
	}
	if e.FindWith != "" {
		msg += "; find it with `" + e.FindWith + "`"
	}
	if len(e.Candidates) > 0 && e.DestroyWith != "" {
		commands := make([]string, len(e.Candidates))
		for i, id := range e.Candidates {
			commands[i] = "`" + e.DestroyWith + " " + id + "`"
		}
		msg += "; release any of " + strings.Join(e.Candidates, ", ") + " that is not wanted with " + strings.Join(commands, " or ")
	}
	return msg
}

func (e *UnconfirmedError) Unwrap() error { return e.Err }

// IsUnconfirmed reports whether err is a change the engine may have made
// although the call failed (*UnconfirmedError).
func IsUnconfirmed(err error) bool {
	var unconfirmed *UnconfirmedError
	return errors.As(err, &unconfirmed)
}

// candidatesError is a create's reconciling list that found new objects
// none of which it can adopt (nextStep makes it an *UnconfirmedError).
type candidatesError struct {
	IDs              []string
	Why, DestroyWith string
}

func (e *candidatesError) Error() string { return e.Why }

// creation is what createChange knows of one create: the ids listed
// before it was first sent, and the one it adopted.
type creation struct {
	list listing
	// matches reads a new object's info and says how it differs from what
	// was asked ("" when it does not, as far as the info shows).
	matches func(ctx context.Context, id string) (string, error)
	// destroyWith is the CLI command that releases one ("tp cluster destroy").
	destroyWith string
	before      listed
	beforeErr   error
	// adopted is the id reconciling found to be the create's; "" when the
	// engine answered (or the create failed).
	adopted string
}

// createChange is a create of kind reconciled by cr's list: Before lists
// the ids (a list that is not an outage but cannot be read, such as one
// the engine does not serve, leaves the create unreconcilable rather than
// unsent), and after a lost answer Reconcile lists them again: no new id
// is a create that provably did not happen; exactly one, whose info
// matches, is adopted (cr.adopted); anything else is a *candidatesError.
// The lists are the caller's own, not the organisation's: a create is the
// caller's [DOC].
func (c *Client) createChange(kind, findWith string, cr *creation) *change {
	return &change{Kind: kind, FindWith: findWith,
		Before: func(ctx context.Context) error {
			cr.before, cr.beforeErr = c.readList(ctx, cr.list, false)
			if cr.beforeErr != nil && (IsOutage(cr.beforeErr) || ctx.Err() != nil) {
				return fmt.Errorf("listing the %ss before sending the create, which was not sent: %w", kind, cr.beforeErr)
			}
			return nil
		},
		Reconcile: func(ctx context.Context) (bool, error) {
			if cr.beforeErr != nil {
				return false, fmt.Errorf("the %s list read before the create was sent failed (%w), so nothing tells a new %s from an old one", kind, cr.beforeErr, kind)
			}
			after, err := c.readList(ctx, cr.list, false)
			if err != nil {
				return false, err
			}
			known := cr.before.all()
			isNew := func(id string) bool { return !slices.Contains(known, id) }
			fresh := slices.DeleteFunc(slices.Clone(after.ids), func(id string) bool { return !isNew(id) })
			confirmed, err := c.confirmIDs(ctx, cr.list, slices.DeleteFunc(slices.Clone(after.words), func(id string) bool { return !isNew(id) }))
			if err != nil {
				return false, err
			}
			fresh = append(fresh, confirmed...)
			switch len(fresh) {
			case 0:
				return false, nil
			case 1:
				mismatch, err := cr.matches(ctx, fresh[0])
				switch {
				case err != nil:
					return false, err
				case mismatch == "":
					cr.adopted = fresh[0]
					return true, nil
				}
				return false, &candidatesError{IDs: fresh, DestroyWith: cr.destroyWith, Why: fmt.Sprintf(
					"one new %s appeared in the list since it was sent, %s, but it is not what was asked (%s), so it was not taken as this create's",
					kind, fresh[0], mismatch)}
			}
			return false, &candidatesError{IDs: fresh, DestroyWith: cr.destroyWith, Why: fmt.Sprintf(
				"%d new %ss appeared in the list since it was sent (%s): another create may have raced it, so none was taken as this create's",
				len(fresh), kind, strings.Join(fresh, ", "))}
		},
	}
}

// differences words how an object's info differs from what a create asked:
// each pair is a field's name, what was asked and what the info reports
// (nil when it does not, which is no difference).
func differences(fields ...fieldDiff) string {
	var out []string
	for _, f := range fields {
		if f.asked != nil && f.reported != nil && *f.asked != *f.reported {
			out = append(out, fmt.Sprintf("%s %s asked, %s reported", f.name, *f.asked, *f.reported))
		}
	}
	return strings.Join(out, "; ")
}

// fieldDiff is one field differences compares.
type fieldDiff struct {
	name            string
	asked, reported *string
}

// quoted is s in Go quotes, nil for nil; number is n in digits.
func quoted(s *string) *string {
	if s == nil {
		return nil
	}
	q := fmt.Sprintf("%q", *s)
	return &q
}

func number(n *int64) *string {
	if n == nil {
		return nil
	}
	s := fmt.Sprint(*n)
	return &s
}
