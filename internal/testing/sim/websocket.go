package sim

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/coder/websocket"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/clock"
)

// Close codes used by the WebSocket routes. [CLI] The client treats 1000 as
// success, 1006 as "connection lost, the job may exist" and every other code
// as a failure whose reason is the message; [INF] which code means what.
const (
	closeAccepted    = websocket.StatusNormalClosure           // 1000: job accepted / listen finished
	closeGoingAway   = websocket.StatusGoingAway               // 1001: engine shutting down
	closeInvalidData = websocket.StatusInvalidFramePayloadData // 1007: bad request, config, system or cluster
	closePolicy      = websocket.StatusPolicyViolation         // 1008: bad key, job not found, access denied, timeout
	closeInternal    = websocket.StatusInternalError           // 1011: the upload command failed
)

// maxCloseReason is the longest close reason a close frame can carry: 125
// bytes of control payload minus the 2-byte code (RFC 6455 §5.5).
const maxCloseReason = 123

// maxClientMessage bounds one client message; the library default (32 KiB)
// is too small for a large tp_config or upload listing.
const maxClientMessage = 4 << 20

// closeReason makes text fit a close frame: one line, valid UTF-8, at most
// 123 bytes, cut on a rune boundary with an ellipsis when too long.
func closeReason(text string) string {
	s := strings.Join(strings.Fields(strings.ToValidUTF8(text, "?")), " ")
	if len(s) <= maxCloseReason {
		return s
	}
	const ellipsis = "…"
	cut := maxCloseReason - len(ellipsis)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + ellipsis
}

// wsConn is one accepted WebSocket with the engine's bounded reads.
type wsConn struct {
	e    *Engine
	c    *websocket.Conn
	w    http.ResponseWriter // for the request log
	ctx  context.Context
	done context.CancelFunc
}

// accept upgrades the request. The context ends with the request or when the
// engine closes, since http.Server.Shutdown does not track hijacked
// connections.
func (e *Engine) accept(w http.ResponseWriter, r *http.Request) (*wsConn, bool) {
	c, err := websocket.Accept(w, r, nil)
	if err != nil {
		return nil, false // Accept has answered with an HTTP error
	}
	c.SetReadLimit(maxClientMessage)
	ctx, cancel := context.WithCancel(r.Context())
	stop := context.AfterFunc(e.ctx, cancel)
	return &wsConn{e: e, c: c, w: w, ctx: ctx, done: func() { stop(); cancel(); _ = c.CloseNow() }}, true
}

// close sends a close frame (and waits, bounded by the library, for the
// peer's).
func (s *wsConn) close(code websocket.StatusCode, reason string) {
	reason = closeReason(reason)
	noteClose(s.w, int(code), reason)
	_ = s.c.Close(code, reason)
}

// drop closes the TCP connection with no close frame: the peer sees an
// abnormal closure (1006).
func (s *wsConn) drop() {
	noteClose(s.w, int(websocket.StatusAbnormalClosure), "dropped")
	_ = s.c.CloseNow()
}

// errTimeout means the peer sent nothing within Options.MessageTimeout; the
// connection has been closed with 1008.
var errTimeout = errors.New("timed out waiting for a client message")

// read waits, at most MessageTimeout of real time, for one text message.
func (s *wsConn) read(what string) ([]byte, error) {
	closed := make(chan struct{})
	t := time.AfterFunc(s.e.opts.MessageTimeout, func() {
		defer close(closed)
		s.close(closePolicy, "timed out waiting for "+what)
	})
	_, data, err := s.c.Read(s.ctx)
	if !t.Stop() {
		<-closed // the close frame is out; nothing else may touch the conn
		return nil, errTimeout
	}
	return data, err
}

// write sends one JSON message, bounded like a read. The engine closing does
// not cut a write short: the library drops the TCP connection when a write's
// context ends, even just after the frame went out, and a closing engine
// still wants to send its 1001 close frame.
func (s *wsConn) write(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(s.ctx), s.e.opts.MessageTimeout)
	defer cancel()
	return s.c.Write(ctx, websocket.MessageText, b)
}

// authenticate reads the key message. [DOC] The first client message is
// {"TENSORPOOL_KEY": "<key>"}. It closes 1008 "invalid API key" on failure.
func (s *wsConn) authenticate() (string, bool) {
	data, err := s.read("the API key message")
	if err != nil {
		return "", false
	}
	var m struct {
		Key string `json:"TENSORPOOL_KEY"`
	}
	if json.Unmarshal(data, &m) == nil {
		if user, ok := s.e.userForKey(m.Key); ok {
			return user, true
		}
	}
	s.close(closePolicy, "invalid API key")
	return "", false
}

// pushRequest is the second client message of /job/push. [CLI]
type pushRequest struct {
	TPConfig  *string `json:"tp_config"`
	System    string  `json:"system"`
	ClusterID *string `json:"cluster_id"`
	Teardown  bool    `json:"teardown_cluster"`
}

// commandResult is the client's reply to a command. [CLI]
type commandResult struct {
	Type     string `json:"type"`
	Command  string `json:"command"`
	ExitCode *int   `json:"exit_code"`
	Stdout   string `json:"command_stdout"`
	Stderr   string `json:"command_stderr"`
}

// pushSystems maps the accepted "system" values (platform.system() in the
// CLI [CLI]; matched case-insensitively [INF]) to their canonical form.
var pushSystems = map[string]string{"linux": "Linux", "darwin": "Darwin", "windows": "Windows"}

// handlePush is WebSocket /job/push: key, request, upload command, job.
// [CLI] for the message sequence; [INF] for the close codes and reasons.
func (e *Engine) handlePush(w http.ResponseWriter, r *http.Request, _ *call) {
	s, ok := e.accept(w, r)
	if !ok {
		return
	}
	defer s.done()
	user, ok := s.authenticate()
	if !ok {
		return
	}

	data, err := s.read("the job request")
	if err != nil {
		return
	}
	var req pushRequest
	if err := json.Unmarshal(data, &req); err != nil {
		s.close(closeInvalidData, "invalid job request: "+err.Error())
		return
	}
	if req.TPConfig == nil {
		s.close(closeInvalidData, "invalid tp_config: tp_config is missing")
		return
	}
	cfg, err := parseJobConfig(*req.TPConfig)
	if err != nil {
		s.close(closeInvalidData, "invalid tp_config: "+err.Error())
		return
	}
	system, ok := pushSystems[strings.ToLower(req.System)]
	if !ok {
		s.close(closeInvalidData, fmt.Sprintf("invalid system %q: want Linux, Darwin or Windows", req.System))
		return
	}
	if req.ClusterID == nil || *req.ClusterID == "" {
		s.close(closeInvalidData, "cluster_id is missing")
		return
	}
	authorized, err := e.checkPushTargetKeys(user, *req.ClusterID)
	if err != nil {
		s.close(closeInvalidData, err.Error())
		return
	}

	if s.write(map[string]any{"message": "Validating configuration"}) != nil {
		return
	}
	upload := uploadCommand(cfg.ignore)
	if e.Faults().UploadNeedsSSHIdentity {
		upload = identityCheck(authorized) + upload
	}
	if s.write(map[string]any{"command": upload, "command_show_stdout": false}) != nil {
		return
	}
	data, err = s.read("the command_result")
	if err != nil {
		return
	}
	var res commandResult
	if err := json.Unmarshal(data, &res); err != nil || res.Type != "command_result" || res.ExitCode == nil {
		s.close(closeInvalidData, `invalid command_result: want {"type":"command_result","command":…,"exit_code":N,…}`)
		return
	}
	if res.Command != upload {
		s.close(closeInternal, fmt.Sprintf("command_result is for %q, not the command sent", res.Command))
		return
	}
	if *res.ExitCode != 0 {
		s.close(closeInternal, fmt.Sprintf("upload command failed with exit code %d: %s", *res.ExitCode, strings.TrimSpace(res.Stderr)))
		return
	}

	e.mu.Lock()
	j := e.createJobLocked(user, *req.ClusterID)
	j.tpConfig, j.system, j.teardown, j.uploadListing = *req.TPConfig, system, req.Teardown, res.Stdout
	id := j.id
	e.mu.Unlock()

	if s.write(map[string]any{"job_id": id, "message": "Job submitted"}) != nil {
		return
	}
	if e.Faults().DropPushAfterJobID {
		s.drop()
		return
	}
	s.close(closeAccepted, "job accepted")
}

// handleListen is WebSocket /job/listen/{job_id}: the job's status as it
// changes. [CLI] After the key message the server streams {"message",
// "status"} objects and the stream ends on status "success" or "error".
// [INF] Each status change is one message whose status is the job's status;
// the last one says "success" for a completed job and "error" for error,
// failed or canceled, then the socket closes 1000. The close codes and
// reasons of refusals are [INF] too.
func (e *Engine) handleListen(w http.ResponseWriter, r *http.Request, c *call) {
	f := e.Faults()
	if f.ListenHang {
		e.hang(w, r)
		return
	}
	if f.ListenUnavailable {
		writeJSON(w, http.StatusNotFound, msg("Not Found"))
		return
	}
	s, ok := e.accept(w, r)
	if !ok {
		return
	}
	defer s.done()
	user, ok := s.authenticate()
	if !ok {
		return
	}
	id := c.jobID
	if idTooLong(id) != nil || !jobIDPattern.MatchString(id) {
		s.close(closePolicy, "invalid job ID format")
		return
	}
	e.mu.Lock()
	j, found := e.jobs[id]
	owner := ""
	if found {
		owner = j.owner
	}
	e.mu.Unlock()
	switch {
	case !found:
		s.close(closePolicy, "job not found")
		return
	case owner != user:
		s.close(closePolicy, "access denied")
		return
	}

	// The client sends nothing more; CloseRead answers its pings and close
	// frame and ends peerGone when it goes away. It gets a context the engine
	// cannot cancel: a canceled read drops the TCP connection, and a closing
	// engine should still say goodbye with 1001.
	peerGone := s.c.CloseRead(context.WithoutCancel(s.ctx)).Done()
	last := ""
	sent := 0 // output lines already streamed
	for {
		e.mu.Lock()
		j, found := e.jobs[id]
		changed := e.changed // taken with the state, so no change is missed
		var status, cluster, tpConfig string
		var next time.Time
		hasNext := false
		if found {
			now := e.clock.Now()
			status, cluster, tpConfig = j.status(now), j.cluster, j.tpConfig
			next, hasNext = j.next(now)
		}
		e.mu.Unlock()

		switch {
		case !found:
			s.close(closePolicy, "job not found")
			return
		}
		if !IsTerminal(status) && status != last {
			if s.write(map[string]any{"message": publicMessage(status, cluster), "status": status}) != nil {
				return
			}
			last = status
		}
		output := jobOutput(tpConfig, status)
		for ; sent < len(output); sent++ {
			// [INF] Each line carries the status the job had when it printed
			// it: running. (A terminal status here would be read as the
			// stream's end: the job status "error" is also the final one.)
			if s.write(map[string]any{"message": output[sent], "status": StatusRunning}) != nil {
				return
			}
		}
		if IsTerminal(status) {
			if s.write(map[string]any{"message": "Job " + status, "status": listenResult(status)}) == nil {
				s.close(closeAccepted, "job "+status)
			}
			return
		}

		var timer clock.Timer
		var fire <-chan time.Time
		if hasNext {
			timer = e.clock.NewTimer(next.Sub(e.clock.Now()))
			fire = timer.C()
		}
		select {
		case <-peerGone:
			if timer != nil {
				timer.Stop()
			}
			return
		case <-s.ctx.Done(): // the engine is closing
			if timer != nil {
				timer.Stop()
			}
			s.close(closeGoingAway, "engine shutting down")
			return
		case <-changed:
		case <-fire:
		}
		if timer != nil {
			timer.Stop()
		}
	}
}

// listenResult is the status of the last /job/listen message for a terminal
// job status. [CLI] The stream ends on "success" or "error"; [INF] success
// means completed, and error, failed and canceled all end in "error".
func listenResult(status string) string {
	if strings.EqualFold(status, StatusCompleted) {
		return "success"
	}
	return "error"
}

// hang holds a WebSocket handshake without answering it (the ListenHang
// fault): the client has connected and sent its upgrade request, and hears
// nothing until it gives up or the engine closes, which drops the
// connection without a response.
func (e *Engine) hang(w http.ResponseWriter, r *http.Request) {
	select {
	case <-r.Context().Done():
		return
	case <-e.ctx.Done():
	}
	noteClose(w, int(websocket.StatusAbnormalClosure), "handshake never answered")
	if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
		_ = conn.Close()
	}
}
