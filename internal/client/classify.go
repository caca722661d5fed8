package client

import (
	"errors"
	"net/http"
	"time"
)

// This file is the one place that decides what an engine error means for
// the caller: whether trying again can help, and how long the engine asked
// to be left alone. The client's own retries and every patient wait of the
// provider ask these functions, never the status codes themselves.

// IsRetryable reports whether the client's own bounded retries may send the
// request again: a rate limit (429), a server error (5xx except 501) or a
// request that got no HTTP answer.
func IsRetryable(err error) bool {
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		switch {
		case apiErr.StatusCode == http.StatusTooManyRequests:
			return true
		case apiErr.StatusCode == http.StatusNotImplemented:
			return false
		case apiErr.StatusCode >= 500:
			return true
		}
		return false
	}
	var transportErr *TransportError
	return errors.As(err, &transportErr)
}

// IsOutage reports whether err is the engine being busy or briefly down, an
// error worth riding out within the operation's deadline after the client's
// own retries gave up: rate limits, 5xx and network errors.
func IsOutage(err error) bool {
	return IsRetryable(err)
}

// RetryAfter returns the wait the engine asked for in err (Retry-After),
// or zero.
func RetryAfter(err error, now time.Time) time.Duration {
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		return ParseRetryAfter(apiErr.RetryAfter, now)
	}
	return 0
}
