package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode"
)

// This file holds what the cluster, storage, SSH key and request calls
// share: id checks before any request, the typed errors for objects, and
// the tolerant reading of the engine's undocumented info answers.

// MaxObjectIDLength bounds ids accepted by ValidateObjectID.
const MaxObjectIDLength = 128

// ValidateObjectID refuses, before any request is sent, an id that cannot
// name a cluster, storage volume, SSH key or request: empty, too long, `.`
// or `..`, or holding `/`, control characters or anything else a URL path
// segment would have to escape. kind names the object in the error
// ("cluster", "request"…).
func ValidateObjectID(kind, id string) error {
	reason := ""
	switch {
	case id == "":
		reason = "it is empty"
	case len(id) > MaxObjectIDLength:
		reason = fmt.Sprintf("it is longer than %d characters", MaxObjectIDLength)
	case id == "." || id == "..":
		reason = "it is a path element, not an id"
	case strings.ContainsRune(id, '/'):
		reason = "it holds '/'"
	case strings.IndexFunc(id, unicode.IsControl) >= 0:
		reason = "it holds control characters"
	case url.PathEscape(id) != id:
		// The engine's ids never need escaping, and the request path is
		// built from already-escaped text: refusing here is safer than a
		// read that lands on another path and reports the object gone.
		reason = "it holds characters such as spaces, '%', '?' or '#' that no TensorPool id contains"
	}
	if reason != "" {
		return &InvalidIDError{ID: id, Reason: reason, Kind: kind}
	}
	return nil
}

// objectPath validates id and returns prefix + the escaped id.
func objectPath(kind, prefix, id string) (string, error) {
	if err := ValidateObjectID(kind, id); err != nil {
		return "", err
	}
	return prefix + url.PathEscape(id), nil
}

// NotFoundError reports an object the engine does not list (for example an
// SSH key missing from the key list). IsNotFound recognises it like a 404.
type NotFoundError struct {
	Kind string // "SSH key"
	ID   string
	// Where says what was searched, e.g. "GET /user/ssh-key/list".
	Where string
}

func (e *NotFoundError) Error() string {
	msg := fmt.Sprintf("%s %q not found", e.Kind, e.ID)
	if e.Where != "" {
		msg += " in the answer to " + e.Where
	}
	return msg
}

// MissingIDError reports a create the engine accepted (2xx) whose answer
// names no id for the new object: the object may exist on the engine even
// though the client cannot tell which it is. RequestID, when the answer had
// one, is the engine's request for the creation; its object_id may name the
// object.
type MissingIDError struct {
	Kind       string // "cluster", "storage volume", "SSH key"
	Method     string
	Path       string
	StatusCode int
	RequestID  string
	// Reason says what was missing or unreadable.
	Reason string
	// FindWith says how a person finds the object (a CLI command).
	FindWith string
	// Raw is the answer's body.
	Raw json.RawMessage
	// Err is the underlying cause, such as a *DecodeError or the error of
	// a fallback lookup, when there is one.
	Err error
}

func (e *MissingIDError) Error() string {
	msg := fmt.Sprintf("the TensorPool engine accepted %s %s (HTTP %d) but its answer does not say which %s it created (%s): "+
		"the engine may have created the %s anyway",
		e.Method, e.Path, e.StatusCode, e.Kind, e.Reason, e.Kind)
	if e.RequestID != "" {
		msg += fmt.Sprintf(" (request %s)", e.RequestID)
	}
	if e.FindWith != "" {
		msg += "; find it with `" + e.FindWith + "`"
	}
	if e.Err != nil {
		msg += fmt.Sprintf(": %v", e.Err)
	}
	return msg
}

func (e *MissingIDError) Unwrap() error { return e.Err }

// infoObject is one info answer read tolerantly: the object's own fields
// (nested under one of several names, or the body's top level) and the
// envelope around it.
type infoObject struct {
	fields   map[string]json.RawMessage
	envelope map[string]json.RawMessage
	// raw is the info object, or the whole body when the object is the top
	// level or the answer holds only a message.
	raw json.RawMessage
}

// decodeInfoObject reads an info answer. The object is taken from the
// first of nestedKeys holding a JSON object; otherwise the body's top level
// is the object (an answer with only a `message` then yields no structured
// fields, which is not an error: the object exists). The first nested key
// is the documented one, so a non-object there is an error; the others are
// guesses and are skipped when they hold something else.
func decodeInfoObject(body []byte, nestedKeys ...string) (*infoObject, error) {
	trimmed := bytes.TrimSpace(body)
	var envelope map[string]json.RawMessage
	if err := json.Unmarshal(trimmed, &envelope); err != nil || envelope == nil {
		return nil, fmt.Errorf("the body is not a JSON object")
	}
	for i, key := range nestedKeys {
		raw, ok := field(envelope, key)
		if !ok {
			continue
		}
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(raw, &fields); err != nil || fields == nil {
			if i == 0 {
				return nil, fmt.Errorf("`%s` is not a JSON object", key)
			}
			continue
		}
		return &infoObject{fields: fields, envelope: envelope, raw: raw}, nil
	}
	return &infoObject{fields: envelope, envelope: envelope, raw: json.RawMessage(trimmed)}, nil
}

// str returns the first of keys present in the info object, then in the
// envelope (which is the same map when the object is the top level).
func (o *infoObject) str(keys ...string) *string {
	if s := firstString(o.fields, keys...); s != nil {
		return s
	}
	return firstString(o.envelope, keys...)
}

// message is the object's own message, else the envelope's pre-rendered
// text; empty text counts as none.
func (o *infoObject) message() *string {
	for _, fields := range []map[string]json.RawMessage{o.fields, o.envelope} {
		if raw, ok := field(fields, "message"); ok {
			if s := textOf(raw); s != "" {
				return &s
			}
		}
	}
	return nil
}

// firstString is optionalString over several candidate names.
func firstString(fields map[string]json.RawMessage, keys ...string) *string {
	for _, key := range keys {
		if s := optionalString(fields, key); s != nil {
			return s
		}
	}
	return nil
}

// firstText is firstString with blank text treated as absent.
func firstText(fields map[string]json.RawMessage, keys ...string) *string {
	s := firstString(fields, keys...)
	if s == nil || strings.TrimSpace(*s) == "" {
		return nil
	}
	return s
}

func firstInt(fields map[string]json.RawMessage, keys ...string) *int64 {
	for _, key := range keys {
		if n := optionalInt(fields, key); n != nil {
			return n
		}
	}
	return nil
}

func firstTime(fields map[string]json.RawMessage, keys ...string) *string {
	for _, key := range keys {
		if t := optionalTime(fields, key); t != nil {
			return t
		}
	}
	return nil
}

// optionalBool reads JSON booleans, "true"/"false" text and 0/1 numbers.
func optionalBool(fields map[string]json.RawMessage, key string) *bool {
	raw, ok := field(fields, key)
	if !ok {
		return nil
	}
	var b bool
	if err := json.Unmarshal(raw, &b); err == nil {
		return &b
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		if b, err := strconv.ParseBool(strings.TrimSpace(s)); err == nil {
			return &b
		}
		return nil
	}
	var f float64
	if err := json.Unmarshal(raw, &f); err == nil && (f == 0 || f == 1) {
		b := f == 1
		return &b
	}
	return nil
}

// idList reads the first of keys holding a JSON list of ids: strings or
// numbers, or objects carrying one of objectIDKeys. Null and unreadable
// entries are skipped. A list that is present but empty yields an empty,
// non-nil slice; nil means no candidate was reported.
func idList(fields map[string]json.RawMessage, objectIDKeys []string, keys ...string) []string {
	for _, key := range keys {
		raw, ok := field(fields, key)
		if !ok {
			continue
		}
		var entries []json.RawMessage
		if err := json.Unmarshal(raw, &entries); err != nil {
			continue
		}
		ids := make([]string, 0, len(entries))
		for _, entry := range entries {
			if id, ok := idOf(entry, objectIDKeys); ok {
				ids = append(ids, id)
			}
		}
		return ids
	}
	return nil
}

// idOf reads one list entry as an id.
func idOf(entry json.RawMessage, objectIDKeys []string) (string, bool) {
	entry = bytes.TrimSpace(entry)
	var s string
	if err := json.Unmarshal(entry, &s); err == nil {
		return s, strings.TrimSpace(s) != ""
	}
	var n json.Number
	if err := json.Unmarshal(entry, &n); err == nil {
		return n.String(), true
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(entry, &obj); err == nil {
		if id := firstText(obj, objectIDKeys...); id != nil {
			return *id, true
		}
	}
	return "", false
}

// statusIn reports whether status is one of values, ignoring case and
// surrounding space.
func statusIn(status *string, values ...string) bool {
	if status == nil {
		return false
	}
	s := strings.TrimSpace(*status)
	for _, v := range values {
		if strings.EqualFold(s, v) {
			return true
		}
	}
	return false
}

// releasedStatuses are the object states in which nothing runs or bills:
// the documented-by-inference DESTROYED and FAILED, and the synonyms an
// engine change might plausibly use.
var releasedStatuses = []string{"DESTROYED", "RELEASED", "TERMINATED", "DELETED", "FAILED"}

// releasingStatuses are an object whose release is under way: DESTROYING
// [INF], and its plausible synonyms.
var releasingStatuses = []string{"DESTROYING", "RELEASING", "TERMINATING", "DELETING"}

// releaseChange is a cluster's or volume's release, reconciled by reading
// the object: gone (404), released or being released means the release is
// in effect (the caller then waits by reading); anything else that it is
// not, and it is sent again.
func releaseChange[T any](kind, findWith string, read func(context.Context) (T, error), status func(T) *string) *change {
	return &change{Kind: kind, FindWith: findWith, Reconcile: func(ctx context.Context) (bool, error) {
		object, err := read(ctx)
		switch {
		case IsNotFound(err):
			return true, nil
		case err != nil:
			return false, err
		}
		return statusIn(status(object), releasedStatuses...) || statusIn(status(object), releasingStatuses...), nil
	}}
}

// mutationAnswer reads the request id(s) of a 2xx answer to a change. An
// empty body has none. A body that is not a JSON object is an error.
type mutationAnswer struct {
	fields map[string]json.RawMessage
}

func decodeMutationAnswer(body []byte) (*mutationAnswer, error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return &mutationAnswer{fields: map[string]json.RawMessage{}}, nil
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(trimmed, &fields); err != nil || fields == nil {
		return nil, fmt.Errorf("the body is not a JSON object")
	}
	return &mutationAnswer{fields: fields}, nil
}

func (a *mutationAnswer) requestID() string {
	if id := firstText(a.fields, "request_id"); id != nil {
		return *id
	}
	return ""
}

func (a *mutationAnswer) text(key string) string {
	raw, _ := field(a.fields, key)
	return textOf(raw)
}

// send marshals body (nil for none) as JSON and sends it as the change ch
// (policy.go says when it is sent again).
func (c *Client) send(ctx context.Context, method, path string, body any, ch *change) (*response, error) {
	var data []byte
	if body != nil {
		var err error
		if data, err = json.Marshal(body); err != nil {
			return nil, fmt.Errorf("encoding the body of %s %s: %w", method, path, err)
		}
	}
	return c.do(ctx, request{method: method, path: path, body: data, kind: callChange, change: ch})
}

// mutate sends a change and returns the request id of its answer, "" when
// the answer has none (or reconciling found the change in effect).
func (c *Client) mutate(ctx context.Context, method, path string, body any, ch *change) (string, error) {
	resp, err := c.send(ctx, method, path, body, ch)
	if err != nil {
		return "", err
	}
	answer, err := decodeMutationAnswer(resp.Body)
	if err != nil {
		return "", &DecodeError{Method: method, Path: path, StatusCode: resp.StatusCode, Reason: err.Error(), Snippet: snippet(resp.Body)}
	}
	return answer.requestID(), nil
}

// putIfSet adds *v to body under key when v is not nil.
func putIfSet[T any](body map[string]any, key string, v *T) {
	if v != nil {
		body[key] = *v
	}
}
