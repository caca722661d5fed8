package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/backoff"
)

// RequestStatus is the state of one of the engine's async requests, as
// sent, upper-cased. Values outside the documented table are kept and are
// not terminal, so that an engine change never ends a wait early.
type RequestStatus string

// The documented request states [DOC].
const (
	RequestPending    RequestStatus = "PENDING"
	RequestProcessing RequestStatus = "PROCESSING"
	RequestRetrying   RequestStatus = "RETRYING"
	RequestCompleted  RequestStatus = "COMPLETED"
	RequestFailed     RequestStatus = "FAILED"
)

// ParseRequestStatus normalises a status from the wire.
func ParseRequestStatus(s string) RequestStatus {
	return RequestStatus(strings.ToUpper(strings.TrimSpace(s)))
}

// Terminal reports whether the request has ended: COMPLETED or FAILED.
func (s RequestStatus) Terminal() bool { return s == RequestCompleted || s == RequestFailed }

func (s RequestStatus) String() string { return string(s) }

// Request is what GET /request/info/{id} tells about an async request (a
// cluster claim, a storage attach…). Status is always set; the other
// fields are nil or empty when the engine leaves them out or sends null.
type Request struct {
	ID     string
	Type   string // CLUSTER_CLAIM, STORAGE_ATTACH…; "" when not reported
	Status RequestStatus
	// ObjectID is the cluster or storage volume the request is about.
	ObjectID *string
	// ExternalMessage is the engine's user-facing text (why a claim is
	// retrying, why it failed); blank text counts as none.
	ExternalMessage *string
	CreatedAt       *string
	Raw             json.RawMessage
	// RetryAfter is the engine's requested wait before asking again, as
	// sent (zero without the header).
	RetryAfter time.Duration
	// retryAfterSent tells a "Retry-After: 0" (wait the minimum) from no
	// header at all (wait the CLI's default).
	retryAfterSent bool
}

// label names the request in messages: "request r-1 (CLUSTER_CLAIM)".
func requestLabel(id string, last *Request) string {
	if last != nil && last.Type != "" {
		return fmt.Sprintf("request %s (%s)", id, last.Type)
	}
	return "request " + id
}

// describeState is the last status and external message, for errors.
func describeState(last *Request) string {
	if last == nil {
		return "no status was read"
	}
	msg := "last status " + string(last.Status)
	if last.ExternalMessage != nil {
		return msg + fmt.Sprintf(", external message %q", *last.ExternalMessage)
	}
	return msg + ", no external message"
}

// GetRequest fetches an async request's current state.
func (c *Client) GetRequest(ctx context.Context, id string) (*Request, error) {
	path, err := objectPath("request", "/request/info/", id)
	if err != nil {
		return nil, err
	}
	resp, err := c.do(ctx, request{method: http.MethodGet, path: path, kind: callRead})
	if err != nil {
		return nil, err
	}
	req, err := DecodeRequestInfo(resp.Body)
	if err != nil {
		return nil, &DecodeError{Method: http.MethodGet, Path: path, StatusCode: resp.StatusCode, Reason: err.Error(), Snippet: snippet(resp.Body)}
	}
	if req.ID == "" {
		req.ID = id
	}
	if header := strings.TrimSpace(resp.Header.Get("Retry-After")); header != "" {
		req.retryAfterSent = true
		req.RetryAfter = ParseRetryAfter(header, c.clock.Now())
	}
	return req, nil
}

// DecodeRequestInfo parses the body of GET /request/info: the documented
// top-level object, or one nested under `request_info` or `request`.
// Only a missing status makes the answer meaningless.
func DecodeRequestInfo(body []byte) (*Request, error) {
	info, err := decodeInfoObject(body, "request_info", "request")
	if err != nil {
		return nil, err
	}
	status := firstText(info.fields, "status", "request_status")
	if status == nil {
		return nil, fmt.Errorf("the answer has no request `status`")
	}
	req := &Request{
		Status:          ParseRequestStatus(*status),
		ObjectID:        firstText(info.fields, "object_id"),
		ExternalMessage: firstText(info.fields, "external_message"),
		CreatedAt:       firstTime(info.fields, "created_at"),
		Raw:             info.raw,
	}
	if id := firstText(info.fields, "request_id", "id"); id != nil {
		req.ID = *id
	}
	if t := firstText(info.fields, "request_type", "type"); t != nil {
		req.Type = strings.TrimSpace(*t)
	}
	return req, nil
}

// RequestFailedError is a request the engine ended with FAILED.
type RequestFailedError struct {
	Request *Request
}

func (e *RequestFailedError) Error() string {
	id := ""
	if e.Request != nil {
		id = e.Request.ID
	}
	return fmt.Sprintf("TensorPool %s failed: %s", requestLabel(id, e.Request), describeState(e.Request))
}

// RequestWaitError is a wait for a request that ended before the request
// did: the operation's timeout passed (Err is a *backoff.TimeoutError) or
// the context ended (a *backoff.InterruptedError). The request may still
// complete on the engine.
type RequestWaitError struct {
	ID string
	// Last is the last state read; nil when no read succeeded.
	Last *Request
	Err  error
	// Outage is the engine error of the last read, when the engine was
	// failing (429, 5xx, timeouts) as the wait ended.
	Outage error
}

func (e *RequestWaitError) Error() string {
	var msg string
	var timeout *backoff.TimeoutError
	if errors.As(e.Err, &timeout) {
		msg = fmt.Sprintf("TensorPool %s did not finish within the operation's timeout (%v): %s",
			requestLabel(e.ID, e.Last), e.Err, describeState(e.Last))
	} else {
		msg = fmt.Sprintf("stopped waiting for TensorPool %s (%v): %s", requestLabel(e.ID, e.Last), e.Err, describeState(e.Last))
	}
	if e.Outage != nil {
		msg += fmt.Sprintf("; the last read failed: %v", e.Outage)
	}
	return msg + "; the request may still finish on the engine"
}

func (e *RequestWaitError) Unwrap() error { return e.Err }
