package client

import (
	"context"
	"fmt"
	"net/http"

	"github.com/coder/websocket"
)

// dialWebSocket opens the WebSocket at path (with no character to escape). The
// handshake is a request like any other: it passes the shared rate limiter,
// which then learns how the engine answered, and a handshake the engine
// refuses is an *APIError with its status and Retry-After, one that cannot
// reach it a *TransportError. With retry, refusals and failures do retries
// (429, 5xx but 501, dropped connections, a few quick ones when
// unreachable): nothing but the upgrade request has been sent then, so a
// retry cannot start anything twice. An open connection is never retried.
func (c *Client) dialWebSocket(ctx context.Context, path string, retry bool) (*websocket.Conn, error) {
	req := request{method: http.MethodGet, path: path, kind: callOnce}
	if retry {
		req.kind = callRead
	}
	var conn *websocket.Conn
	err := c.withRetries(ctx, req, func(attempt int) (int, error) {
		start := c.clock.Now()
		opened, resp, err := websocket.Dial(c.tracingReach(ctx), c.wsURL(path), &websocket.DialOptions{
			HTTPClient: c.http,
			HTTPHeader: http.Header{"User-Agent": {c.userAgent}},
		})
		status := 0
		if resp != nil {
			status = resp.StatusCode
			if resp.Body != nil {
				_ = resp.Body.Close()
			}
		}
		c.log(ctx, req, attempt, status, start, err)
		switch {
		case err == nil:
			conn = opened
			return status, nil
		case status != 0 && status != http.StatusSwitchingProtocols:
			return 0, &APIError{StatusCode: status, Method: req.method, Path: path,
				Message: fmt.Sprintf("the WebSocket handshake was refused (HTTP %d)", status), RetryAfter: resp.Header.Get("Retry-After")}
		default:
			return 0, c.transportError(req.method, path, scrubURLError(err))
		}
	})
	return conn, err
}
