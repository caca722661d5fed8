package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
)

// ListenEvent is one message of a job's /job/listen stream, which carries
// {"message": …, "status": …} and ends on status "success" or "error" (as
// the official CLI reads it). Events are wake-ups: the job's state is what
// GET /job/info says, never what the stream's text suggests.
type ListenEvent struct {
	Message string
	// Status is the message's status field, as trimmed text.
	Status string
	// JobStatus is Status when, in a message that is not the last, it names
	// a documented job status; empty otherwise.
	JobStatus Status
	// Final is true for the stream's last message (status success or error).
	Final bool
}

// decodeListenEvent reads one /job/listen message. It tolerates unknown
// fields and fields of unexpected types; ok is false only for a message
// that is not a JSON object.
func decodeListenEvent(data []byte) (ev ListenEvent, ok bool) {
	var fields map[string]json.RawMessage
	if json.Unmarshal(data, &fields) != nil {
		return ListenEvent{}, false
	}
	ev = ListenEvent{Message: textOf(fields["message"]), Status: textOf(fields["status"])}
	switch strings.ToLower(ev.Status) {
	case "success", "error":
		ev.Final = true
	default:
		if status := ParseStatus(ev.Status); status.IsKnown() {
			ev.JobStatus = status
		}
	}
	return ev, true
}

// ErrListenUnavailable means the engine did not open the stream: callers
// fall back to polling. A *ListenRefusedError also matches it.
var ErrListenUnavailable = errors.New("the job's status stream is unavailable")

// ListenRefusedError is a stream the engine answered with an HTTP status
// instead of a WebSocket (for example 404 where the route does not exist):
// unlike a network error, asking again soon will get the same answer.
type ListenRefusedError struct {
	StatusCode int
}

func (e *ListenRefusedError) Error() string {
	return fmt.Sprintf("%v (HTTP %d)", ErrListenUnavailable, e.StatusCode)
}

// Is makes errors.Is(err, ErrListenUnavailable) hold.
func (e *ListenRefusedError) Is(target error) bool { return target == ErrListenUnavailable }

// Listener is an open /job/listen stream.
type Listener struct {
	conn *websocket.Conn
}

// ListenJob opens the job's status stream: connect, then the key message.
// The engine only streams; nothing else is sent. A refused handshake is
// ErrListenUnavailable.
func (c *Client) ListenJob(ctx context.Context, id string) (*Listener, error) {
	if c.apiKey == "" {
		return nil, ErrNoAPIKey
	}
	if err := ValidateJobID(id); err != nil {
		return nil, err
	}
	// Not retried: the caller polls while the stream is unavailable.
	conn, err := c.dialWebSocket(ctx, "/job/listen/"+id, false) // id is validated: nothing to escape
	if err != nil {
		if code, ok := statusOf(err); ok {
			return nil, &ListenRefusedError{StatusCode: code}
		}
		return nil, fmt.Errorf("%w: %w", ErrListenUnavailable, err)
	}
	conn.SetReadLimit(maxBodyBytes)
	if err := wsjson.Write(ctx, conn, map[string]string{"TENSORPOOL_KEY": c.apiKey}); err != nil {
		conn.CloseNow()
		return nil, fmt.Errorf("%w: sending the key message: %w", ErrListenUnavailable, err)
	}
	return &Listener{conn: conn}, nil
}

// Next returns the stream's next event. After the final event, or when the
// engine closes the stream, it returns an error: io.EOF-like for a normal
// close, the close reason otherwise.
func (l *Listener) Next(ctx context.Context) (ListenEvent, error) {
	for {
		_, data, err := l.conn.Read(ctx)
		if err != nil {
			var closeErr websocket.CloseError
			if errors.As(err, &closeErr) && closeErr.Code == websocket.StatusNormalClosure {
				return ListenEvent{}, ErrStreamClosed
			}
			return ListenEvent{}, err
		}
		if ev, ok := decodeListenEvent(data); ok {
			return ev, nil
		}
		// Tolerate what we cannot read: the stream only wakes the caller.
	}
}

// ErrStreamClosed is the normal end of a listen stream.
var ErrStreamClosed = errors.New("the engine closed the status stream")

// Close ends the stream.
func (l *Listener) Close() error {
	return l.conn.Close(websocket.StatusNormalClosure, "")
}

// wsURL turns the base URL into a WebSocket URL for path.
func (c *Client) wsURL(path string) string {
	u := *c.base
	if u.Scheme == "https" {
		u.Scheme = "wss"
	} else {
		u.Scheme = "ws"
	}
	u.Path = strings.TrimRight(u.Path, "/") + path
	u.RawPath = ""
	return u.String()
}
