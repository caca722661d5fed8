package client

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// This file is the one place that decides what an engine error means for
// the caller. Every failed request falls in at most one of two classes:
//
//   - unreachable: the engine cannot be reached as configured — connection
//     refused, a host name that does not resolve, a TLS certificate or
//     handshake failure, a redirect to another origin. Waiting does not fix
//     configuration, so the client gives up after a few quick retries
//     (within unreachableRetryWindow) and callers fail at once.
//   - outage: the engine is busy or briefly down — 429, 5xx except 501, a
//     request that timed out, a connection reset or dropped mid-answer, and
//     a connection refused after a connection to the engine opened in this
//     client (it is restarting). Callers ride these out within their operation's deadline.
//
// Everything else (4xx, an answer the client cannot read, a change left in
// doubt: *UnconfirmedError) is final. What may be sent again after which
// failure, by what the call does, is policy.go's.

// unreachableRetryWindow bounds the client's own retries of an unreachable
// engine: a retry is sent only if it starts within this long of the first
// attempt. With the default policy that is four attempts in under 2 s.
const unreachableRetryWindow = 3 * time.Second

// IsOutage reports whether err is the engine being busy or briefly down, an
// error worth riding out within the operation's deadline after the client's
// own retries gave up: rate limits (429), server errors (5xx except 501),
// request timeouts, connections reset or dropped before the answer, and a
// connection refused by an engine this client reached before.
func IsOutage(err error) bool {
	if err == nil || IsUnconfirmed(err) {
		return false
	}
	if code, ok := statusOf(err); ok {
		return retryableStatus(code)
	}
	var throttled *ThrottledError
	if errors.As(err, &throttled) {
		return true
	}
	return isNetworkError(err) && !IsUnreachable(err)
}

// IsUnreachable reports whether err says the engine cannot be reached as
// configured: connection refused (before any connection to the engine
// opened in this client), a host name that does not resolve, a TLS certificate or
// handshake failure, or a redirect to another scheme or host.
// These are configuration problems: callers should fail at once with the
// error rather than wait.
func IsUnreachable(err error) bool {
	if err == nil || IsUnconfirmed(err) {
		return false
	}
	if _, ok := statusOf(err); ok {
		return false // the engine answered
	}
	var redirect *RedirectError
	if errors.As(err, &redirect) {
		return true
	}
	if isTimeout(err) {
		return false
	}
	var transportErr *TransportError
	if errors.As(err, &transportErr) && transportErr.Reached && isConnRefused(err) {
		return false // the engine reached before is restarting: an outage
	}
	return isConnRefused(err) || isHostNotFound(err) || isTLSFailure(err)
}

// isRetryable reports whether the client's own bounded retries may send the
// request again: an outage, or an unreachable engine (a few quick times, in
// case the engine was restarting). A refused redirect never changes.
func isRetryable(err error) bool {
	var redirect *RedirectError
	if errors.As(err, &redirect) {
		return false
	}
	return IsOutage(err) || IsUnreachable(err)
}

// RetryAfter returns the wait the engine asked for in err (Retry-After),
// or zero.
func RetryAfter(err error, now time.Time) time.Duration {
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		return ParseRetryAfter(apiErr.RetryAfter, now)
	}
	var throttled *ThrottledError
	if errors.As(err, &throttled) {
		return throttled.Wait
	}
	return 0
}

func statusOf(err error) (int, bool) {
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		return apiErr.StatusCode, true
	}
	return 0, false
}

func retryableStatus(code int) bool {
	switch code {
	case http.StatusTooManyRequests:
		return true
	case http.StatusNotImplemented:
		return false
	}
	return code >= 500 && code <= 599
}

// isNetworkError reports whether err is a request that got no (complete)
// HTTP answer.
func isNetworkError(err error) bool {
	var transportErr *TransportError
	var urlErr *url.Error
	var netErr net.Error
	return errors.As(err, &transportErr) || errors.As(err, &urlErr) || errors.As(err, &netErr) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET)
}

// isTimeout is a request or connection that ran out of time, including a
// DNS lookup that timed out: the engine or the network is slow, not wrong.
func isTimeout(err error) bool {
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		return true
	}
	var dnsErr *net.DNSError
	return errors.As(err, &dnsErr) && (dnsErr.IsTimeout || dnsErr.IsTemporary)
}

// isHostNotFound is a name that does not resolve. A DNS error that is
// temporary or a timeout is an outage instead (see isTimeout).
func isHostNotFound(err error) bool {
	var dnsErr *net.DNSError
	return errors.As(err, &dnsErr) && !dnsErr.IsTimeout && !dnsErr.IsTemporary
}

// isTLSFailure is a certificate the client does not trust, or a TLS
// handshake that cannot succeed (wrong protocol, alert from the server).
func isTLSFailure(err error) bool {
	var (
		verifyErr   *tls.CertificateVerificationError
		recordErr   tls.RecordHeaderError
		alertErr    tls.AlertError
		echErr      *tls.ECHRejectionError
		unknownCA   x509.UnknownAuthorityError
		hostnameErr x509.HostnameError
		invalidErr  x509.CertificateInvalidError
		rootsErr    x509.SystemRootsError
		opErr       *net.OpError
	)
	switch {
	case errors.As(err, &verifyErr), errors.As(err, &recordErr), errors.As(err, &alertErr),
		errors.As(err, &echErr), errors.As(err, &unknownCA), errors.As(err, &hostnameErr),
		errors.As(err, &invalidErr), errors.As(err, &rootsErr),
		errors.Is(err, http.ErrSchemeMismatch):
		return true
	case errors.As(err, &opErr) && opErr.Op == "remote error":
		// crypto/tls reports an alert from the peer this way, with an
		// unexported alert type inside.
		return true
	}
	// Other handshake failures of crypto/tls are untyped errors whose text
	// starts with "tls: " (for example "tls: handshake failure").
	return strings.HasPrefix(innermost(err).Error(), "tls: ")
}

// innermost follows a chain of single wraps to its end.
func innermost(err error) error {
	for {
		next := errors.Unwrap(err)
		if next == nil {
			return err
		}
		err = next
	}
}
