package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Job is what GET /job/info/{id} tells about a job. Only Status is
// guaranteed; every other field stays nil when the engine leaves it out or
// sends null, and Raw keeps the whole `job_info` object so that nothing is
// lost.
type Job struct {
	ID           string
	Status       Status
	ClusterID    *string
	InstanceType *string
	ExitCode     *int64
	CreatedAt    *string
	UpdatedAt    *string
	// Message is the job's public message, or the response's pre-rendered
	// text when the job has none.
	Message *string
	Raw     json.RawMessage
	// RetryAfter is the engine's suggested wait before asking again (set
	// while the job is not terminal).
	RetryAfter time.Duration
}

func jobPath(op, id string) (string, error) {
	if err := ValidateJobID(id); err != nil {
		return "", err
	}
	return "/job/" + op + "/" + url.PathEscape(id), nil
}

// GetJob fetches a job's current state.
func (c *Client) GetJob(ctx context.Context, id string) (*Job, error) {
	path, err := jobPath("info", id)
	if err != nil {
		return nil, err
	}
	resp, err := c.do(ctx, request{method: http.MethodGet, path: path, kind: callRead})
	if err != nil {
		return nil, err
	}
	job, err := DecodeJobInfo(resp.Body)
	if err != nil {
		return nil, &DecodeError{Method: http.MethodGet, Path: path, StatusCode: resp.StatusCode, Reason: err.Error(), Snippet: snippet(resp.Body)}
	}
	if job.ID == "" {
		job.ID = id
	}
	job.RetryAfter = ParseRetryAfter(resp.Header.Get("Retry-After"), c.clock.Now())
	return job, nil
}

// DecodeJobInfo parses the body of GET /job/info. It accepts unknown fields,
// numbers or strings where either is plausible, and refuses only what makes
// the answer meaningless: a body that is not a JSON object, a `job_info`
// that is not an object, or a missing status.
func DecodeJobInfo(body []byte) (*Job, error) {
	var envelope struct {
		JobInfo json.RawMessage `json:"job_info"`
		Message json.RawMessage `json:"message"`
	}
	if err := json.Unmarshal(body, &envelope); err != nil {
		return nil, fmt.Errorf("the body is not a JSON object: %w", err)
	}
	info := bytes.TrimSpace(envelope.JobInfo)
	if len(info) == 0 || string(info) == "null" {
		return nil, fmt.Errorf("the body has no `job_info` object")
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(info, &fields); err != nil {
		return nil, fmt.Errorf("`job_info` is not a JSON object")
	}
	status, ok := stringField(fields, "status")
	if !ok || strings.TrimSpace(status) == "" {
		return nil, fmt.Errorf("`job_info` has no `status` string")
	}
	job := &Job{Status: ParseStatus(status), Raw: json.RawMessage(info)}
	if id, ok := stringField(fields, "job_id"); ok {
		job.ID = id
	} else if id, ok := stringField(fields, "id"); ok {
		job.ID = id
	}
	job.ClusterID = optionalString(fields, "cluster_id")
	job.InstanceType = optionalString(fields, "instance_type")
	job.CreatedAt = optionalTime(fields, "created_at")
	job.UpdatedAt = optionalTime(fields, "updated_at")
	job.ExitCode = optionalInt(fields, "exit_code")
	job.Message = optionalString(fields, "message")
	if job.Message == nil {
		if s := textOf(envelope.Message); s != "" {
			job.Message = &s
		}
	}
	return job, nil
}

// field returns a field's raw JSON, treating an explicit null like an
// absent field: FastAPI sends null for every unset optional field, and
// json.Unmarshal of null into a string would yield "".
func field(fields map[string]json.RawMessage, key string) (json.RawMessage, bool) {
	raw, ok := fields[key]
	if !ok {
		return nil, false
	}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, false
	}
	return raw, true
}

// stringField returns a field that is a JSON string or number, as text.
func stringField(fields map[string]json.RawMessage, key string) (string, bool) {
	raw, ok := field(fields, key)
	if !ok {
		return "", false
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s, true
	}
	var n json.Number
	if err := json.Unmarshal(raw, &n); err == nil {
		return n.String(), true
	}
	return "", false
}

func optionalString(fields map[string]json.RawMessage, key string) *string {
	if s, ok := stringField(fields, key); ok {
		return &s
	}
	return nil
}

// optionalTime keeps text timestamps as the engine wrote them and turns
// Unix epoch numbers (seconds or milliseconds) into RFC 3339.
func optionalTime(fields map[string]json.RawMessage, key string) *string {
	raw, ok := field(fields, key)
	if !ok {
		return nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return &s
	}
	var f float64
	if err := json.Unmarshal(raw, &f); err == nil && !math.IsNaN(f) && f > 0 && f < 1e15 {
		if f > 1e11 { // milliseconds
			f /= 1000
		}
		sec, frac := math.Modf(f)
		t := time.Unix(int64(sec), int64(frac*1e9)).UTC().Format(time.RFC3339Nano)
		return &t
	}
	return nil
}

func optionalInt(fields map[string]json.RawMessage, key string) *int64 {
	s, ok := stringField(fields, key)
	if !ok {
		return nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(strings.TrimSpace(s), 64)
		if ferr != nil || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
			return nil
		}
		n = int64(f)
	}
	return &n
}

// CancelOutcome tells how the engine took a cancel request.
type CancelOutcome int

const (
	// CancelAlreadyCanceled is a 200: the job was canceled before.
	CancelAlreadyCanceled CancelOutcome = iota + 1
	// CancelAccepted is a 202: the job is canceling (or, with a fast engine,
	// already canceled); the cancellation runs in the background.
	CancelAccepted
)

// CancelResult is the answer to POST /job/cancel.
type CancelResult struct {
	Outcome CancelOutcome
	JobID   string
	// Status is `canceling` or `canceled` for a 202, `canceled` for a 200.
	Status  Status
	Message string
}

// CancelJob asks the engine to cancel a job. Canceling twice is one
// cancel, so a lost answer is settled by sending it again (policy.go). Errors are *APIError: 400 (invalid id or not
// cancelable, e.g. already completed), 403, 404, 422, 500.
func (c *Client) CancelJob(ctx context.Context, id string) (*CancelResult, error) {
	path, err := jobPath("cancel", id)
	if err != nil {
		return nil, err
	}
	resp, err := c.send(ctx, http.MethodPost, path, nil, &change{Kind: "job cancel", FindWith: "tp job info " + id, Reconcile: sendAgain})
	if err != nil {
		return nil, err
	}
	var body struct {
		JobID   string          `json:"job_id"`
		Message json.RawMessage `json:"message"`
		Status  string          `json:"status"`
	}
	result := &CancelResult{JobID: id}
	// The 200 answer has no documented body; read what is there, if anything.
	if len(bytes.TrimSpace(resp.Body)) > 0 {
		if err := json.Unmarshal(resp.Body, &body); err != nil && resp.StatusCode == http.StatusAccepted {
			return nil, &DecodeError{Method: http.MethodPost, Path: path, StatusCode: resp.StatusCode, Reason: "the body is not the documented JSON object", Snippet: snippet(resp.Body)}
		}
	}
	if body.JobID != "" {
		result.JobID = body.JobID
	}
	result.Message = textOf(body.Message)
	switch resp.StatusCode {
	case http.StatusOK:
		result.Outcome = CancelAlreadyCanceled
		result.Status = StatusCanceled
	default:
		result.Outcome = CancelAccepted
		result.Status = ParseStatus(body.Status)
		if result.Status == "" {
			result.Status = StatusCanceling
		}
	}
	return result, nil
}

// DeleteJob removes a terminal job from the engine's lists. The engine
// refuses (400) a job that is not terminal.
func (c *Client) DeleteJob(ctx context.Context, id string) (string, error) {
	path, err := jobPath("delete", id)
	if err != nil {
		return "", err
	}
	resp, err := c.send(ctx, http.MethodDelete, path, nil, &change{Kind: "job", FindWith: "tp job list", Reconcile: sendAgain})
	if err != nil {
		return "", err
	}
	msg, _ := ParseErrorBody(resp.Body)
	return msg, nil
}
