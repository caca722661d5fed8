package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// APIError is a response from the engine with a non-success status code.
// Message is the engine's own text, taken from `message`, `error`,
// `external_message` or `detail`, in that order.
type APIError struct {
	StatusCode int
	Method     string
	// Path is the request path; it never holds the API key.
	Path    string
	Message string
	// Details holds FastAPI validation errors (422), when present.
	Details []ValidationDetail
	// RetryAfter is the server's requested wait, when it sent one.
	RetryAfter string
}

// ValidationDetail is one entry of FastAPI's HTTPValidationError.
type ValidationDetail struct {
	Loc  []any  `json:"loc"`
	Msg  string `json:"msg"`
	Type string `json:"type"`
}

func (e *APIError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = "(no message in the response body)"
	}
	return fmt.Sprintf("TensorPool engine answered %d %s to %s %s: %s",
		e.StatusCode, http.StatusText(e.StatusCode), e.Method, e.Path, msg)
}

func hasStatus(err error, code int) bool {
	var apiErr *APIError
	return errors.As(err, &apiErr) && apiErr.StatusCode == code
}

// IsNotFound reports whether err is a 404 from the engine, or a
// *NotFoundError (an object missing from a list).
func IsNotFound(err error) bool {
	var notFound *NotFoundError
	return hasStatus(err, http.StatusNotFound) || errors.As(err, &notFound)
}

// IsUnauthorized reports whether err is a 401 (missing or invalid API key).
func IsUnauthorized(err error) bool { return hasStatus(err, http.StatusUnauthorized) }

// IsBadRequest reports whether err is a 400 (invalid id or a state that does
// not allow the operation).
func IsBadRequest(err error) bool { return hasStatus(err, http.StatusBadRequest) }

// DecodeError reports a response the client could not understand: a body
// that is not JSON, or JSON of an unexpected shape.
type DecodeError struct {
	Method     string
	Path       string
	StatusCode int
	Reason     string
	// Snippet is the start of the body, for the person reading the error.
	Snippet string
}

func (e *DecodeError) Error() string {
	msg := fmt.Sprintf("could not understand the TensorPool engine's answer to %s %s (HTTP %d): %s",
		e.Method, e.Path, e.StatusCode, e.Reason)
	if e.Snippet != "" {
		msg += fmt.Sprintf("; the body starts with %q", e.Snippet)
	}
	return msg
}

// TransportError is a request that got no HTTP response (connection refused,
// reset, timeout, TLS failure). IsUnreachable and IsOutage tell which kind.
type TransportError struct {
	Method string
	Path   string
	Err    error
	// Reached is set when a connection to the engine had opened before in
	// this client: a refused connection then means the engine is restarting.
	Reached bool
}

func (e *TransportError) Error() string {
	return fmt.Sprintf("could not reach the TensorPool engine for %s %s: %v", e.Method, e.Path, e.Err)
}

func (e *TransportError) Unwrap() error { return e.Err }

// RedirectError is a redirect the client refused to follow because it leads
// to another scheme or host: the API key is only ever sent to the engine
// that was configured.
type RedirectError struct {
	// From and To are scheme://host[:port] of the two URLs, without paths.
	From string
	To   string
}

func (e *RedirectError) Error() string {
	return fmt.Sprintf("the engine at %s redirected to %s; the client does not follow redirects to another scheme or host, "+
		"so that the API key is only sent to the configured engine: check the engine URL", e.From, e.To)
}

func originOf(u *url.URL) string { return u.Scheme + "://" + u.Host }

// ThrottledError is a request the client did not send: after the engine
// answered 429, the client's shared rate limiter had no slot for it before
// the operation's deadline. It is an outage; Wait is how long until the
// slot.
type ThrottledError struct {
	Method string
	Path   string
	Wait   time.Duration
}

func (e *ThrottledError) Error() string {
	return fmt.Sprintf("did not send %s %s: the TensorPool engine is rate limiting this client (HTTP 429) and the next request slot, in %s, is after the operation's deadline",
		e.Method, e.Path, e.Wait.Round(time.Millisecond))
}

// InvalidIDError reports an id refused before any request was sent.
type InvalidIDError struct {
	ID     string
	Reason string
	// Kind names what the id is for ("cluster", "request"…); empty means a
	// job.
	Kind string
}

func (e *InvalidIDError) Error() string {
	kind := e.Kind
	if kind == "" {
		kind = "job"
	}
	return fmt.Sprintf("invalid %s id %q: %s", kind, e.ID, e.Reason)
}

// errorBody is every error shape the engine is known to use.
type errorBody struct {
	Message         json.RawMessage `json:"message"`
	Error           json.RawMessage `json:"error"`
	ExternalMessage json.RawMessage `json:"external_message"`
	Detail          json.RawMessage `json:"detail"`
}

// ParseErrorBody extracts the engine's message from an error response body.
// It never fails: an unreadable body yields a short excerpt of it instead.
func ParseErrorBody(body []byte) (string, []ValidationDetail) {
	var eb errorBody
	if err := json.Unmarshal(body, &eb); err != nil {
		return snippet(body), nil
	}
	for _, raw := range []json.RawMessage{eb.Message, eb.Error, eb.ExternalMessage} {
		if s := textOf(raw); s != "" {
			return s, nil
		}
	}
	if len(eb.Detail) > 0 {
		var details []ValidationDetail
		if err := json.Unmarshal(eb.Detail, &details); err == nil && len(details) > 0 {
			parts := make([]string, 0, len(details))
			for _, d := range details {
				parts = append(parts, formatDetail(d))
			}
			return strings.Join(parts, "; "), details
		}
		if s := textOf(eb.Detail); s != "" {
			return s, nil
		}
	}
	return snippet(body), nil
}

func formatDetail(d ValidationDetail) string {
	loc := make([]string, 0, len(d.Loc))
	for _, l := range d.Loc {
		loc = append(loc, fmt.Sprint(l))
	}
	if len(loc) == 0 {
		return d.Msg
	}
	return strings.Join(loc, ".") + ": " + d.Msg
}

// textOf renders a JSON value as text: strings as-is, other values as JSON.
func textOf(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return strings.TrimSpace(s)
	}
	return string(raw)
}

func snippet(body []byte) string {
	const limit = 200
	s := strings.TrimSpace(string(body))
	if len(s) > limit {
		s = s[:limit] + "…"
	}
	return s
}
