package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
)

// PushRequest is a job submission.
type PushRequest struct {
	// Config is the `.tp.toml` text, passed through untouched.
	Config          string
	ClusterID       string
	TeardownCluster bool
	// Dir is where the engine's upload commands run (the directory that is
	// uploaded). Empty means the current directory.
	Dir string
	// System is "Linux", "Darwin" or "Windows"; empty means this machine's.
	System string
	// OnMessage, when set, receives the engine's progress messages.
	OnMessage func(msg string)
}

// PushResult is an accepted submission.
type PushResult struct {
	JobID    string
	Messages []string
}

// PushError is a submission that did not end with the engine's normal close.
// When JobID is set the engine created the job before things went wrong: the
// caller must keep it (for example in Terraform state) rather than orphan a
// job that may be running on a paid cluster.
type PushError struct {
	JobID string
	// Lost is true when the connection ended without a close frame (1006):
	// the job may or may not exist when JobID is empty.
	Lost      bool
	CloseCode int
	Reason    string
	Err       error
	// Command is set when an engine command failed for want of something on
	// this machine (a tool, an SSH identity, a known host key): what the
	// machine running the provider must provide.
	Command *CommandFailure
}

func (e *PushError) Error() string {
	var b strings.Builder
	switch {
	case e.Lost:
		b.WriteString("the connection to the TensorPool engine was lost during job submission")
	case e.CloseCode != 0:
		fmt.Fprintf(&b, "the TensorPool engine rejected the job submission (close code %d)", e.CloseCode)
	default:
		b.WriteString("job submission failed")
	}
	if e.Reason != "" {
		fmt.Fprintf(&b, ": %s", e.Reason)
	}
	if e.Err != nil {
		fmt.Fprintf(&b, ": %v", e.Err)
	}
	if e.Command != nil {
		fmt.Fprintf(&b, "; %v", e.Command)
	}
	if e.JobID != "" {
		fmt.Fprintf(&b, " (the engine had already created job %s)", e.JobID)
	}
	return b.String()
}

func (e *PushError) Unwrap() error { return e.Err }

// pushMessage is anything the engine streams during a push: any of
// `job_id`, `message`, `command` and `command_show_stdout`.
type pushMessage struct {
	// JobID is a string or number id, trimmed; empty when absent.
	JobID string
	// Message is progress text, trimmed; empty when absent.
	Message string
	// Command is a shell command to run, exactly as sent; only a JSON string
	// is a command.
	Command    string
	ShowStdout bool
}

// decodePushMessage reads one /job/push message. Each field is read on its
// own, so that one field of an unexpected type (the docs allow null for
// `command` and `command_show_stdout`) does not hide the others; ok is false
// only for a message that is not a JSON object.
func decodePushMessage(data []byte) (msg pushMessage, ok bool) {
	// A map, not a struct: field names match exactly, never "Command".
	var fields map[string]json.RawMessage
	if json.Unmarshal(data, &fields) != nil {
		return pushMessage{}, false
	}
	msg.JobID = scalarText(fields["job_id"])
	msg.Message = textOf(fields["message"])
	// Never run text made up from another JSON type: only a string is a command.
	_ = json.Unmarshal(fields["command"], &msg.Command)
	_ = json.Unmarshal(fields["command_show_stdout"], &msg.ShowStdout)
	return msg, true
}

// scalarText renders a JSON string (trimmed) or number as text; anything
// else is empty.
func scalarText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return strings.TrimSpace(s)
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}

type commandResult struct {
	Type     string `json:"type"`
	Command  string `json:"command"`
	ExitCode int    `json:"exit_code"`
	Stdout   string `json:"command_stdout"`
	Stderr   string `json:"command_stderr"`
}

// PushJob submits a job over the /job/push WebSocket. Only a refused or
// failed handshake is retried (dialWebSocket); once connected, the push is
// never retried: the engine has no idempotency key, so a retry would start a
// second job.
// On failure the error is a *PushError; its JobID (also in the returned
// result) is set when the engine created the job anyway.
func (c *Client) PushJob(ctx context.Context, req PushRequest) (*PushResult, error) {
	if c.apiKey == "" {
		return nil, ErrNoAPIKey
	}
	system := req.System
	if system == "" {
		system = localSystem()
	}
	// Whatever the commands need for the whole submission (an SSH agent)
	// is set up before anything is submitted, so that a failure here
	// creates no job.
	runner := c.runner
	if session, ok := runner.(commandSession); ok {
		sessionRunner, end, err := session.startSession(ctx)
		if err != nil {
			return nil, &PushError{Err: err}
		}
		defer end()
		runner = sessionRunner
	}
	// The handshake is retried like an idempotent request: the job only
	// starts with the submission message, after it.
	conn, err := c.dialWebSocket(ctx, "/job/push", true)
	if err != nil {
		return nil, &PushError{Err: fmt.Errorf("connecting to %s: %w", c.wsURL("/job/push"), err)}
	}
	defer conn.CloseNow()
	conn.SetReadLimit(maxBodyBytes)

	// The key travels in the first message only; nothing below logs messages
	// the client sends.
	if err := wsjson.Write(ctx, conn, map[string]string{"TENSORPOOL_KEY": c.apiKey}); err != nil {
		return nil, pushWriteError(err, "")
	}
	submission := map[string]any{
		"tp_config":        req.Config,
		"system":           system,
		"cluster_id":       req.ClusterID,
		"teardown_cluster": req.TeardownCluster,
	}
	if err := wsjson.Write(ctx, conn, submission); err != nil {
		return nil, pushWriteError(err, "")
	}

	result := &PushResult{}
	var failure *CommandFailure
	for {
		_, data, err := conn.Read(ctx)
		if err != nil {
			result, err := c.pushEnded(ctx, result, err)
			var pushErr *PushError
			if errors.As(err, &pushErr) {
				pushErr.Command = failure
			}
			return result, err
		}
		msg, ok := decodePushMessage(data)
		if !ok {
			// Tolerate what we cannot read; the close code decides the outcome.
			c.debug(ctx, "ignoring a push message that is not a JSON object", map[string]any{"bytes": len(data)})
			continue
		}
		if msg.JobID != "" && result.JobID == "" {
			result.JobID = msg.JobID
		}
		if msg.Message != "" {
			result.Messages = append(result.Messages, msg.Message)
			if req.OnMessage != nil {
				req.OnMessage(msg.Message)
			}
		}
		if msg.Command == "" {
			continue
		}
		code, stdout, stderr := runner.Run(ctx, req.Dir, msg.Command)
		if f := diagnoseCommand(code, stderr); f != nil && failure == nil {
			if agentRunner, ok := c.runner.(*SSHAgentRunner); ok {
				f.AgentKey = agentRunner.Fingerprint()
			}
			failure = f
		}
		if msg.ShowStdout && req.OnMessage != nil && stdout != "" {
			req.OnMessage(stdout)
		}
		reply := commandResult{Type: "command_result", Command: msg.Command, ExitCode: code, Stdout: stdout, Stderr: stderr}
		if err := wsjson.Write(ctx, conn, reply); err != nil {
			return result, pushWriteError(err, result.JobID)
		}
	}
}

// pushEnded turns the end of the read loop into the push's outcome.
func (c *Client) pushEnded(ctx context.Context, result *PushResult, err error) (*PushResult, error) {
	var closeErr websocket.CloseError
	if errors.As(err, &closeErr) {
		switch closeErr.Code {
		case websocket.StatusNormalClosure:
			if result.JobID == "" {
				return result, &PushError{CloseCode: int(closeErr.Code), Reason: "the engine closed the connection normally but never sent a job id"}
			}
			return result, nil
		case websocket.StatusAbnormalClosure:
			return result, &PushError{JobID: result.JobID, Lost: true, CloseCode: int(closeErr.Code), Reason: closeErr.Reason}
		default:
			return result, &PushError{JobID: result.JobID, CloseCode: int(closeErr.Code), Reason: closeErr.Reason}
		}
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		return result, &PushError{JobID: result.JobID, Err: fmt.Errorf("submission interrupted: %w", ctxErr)}
	}
	// No close frame: the connection dropped (what the protocol calls 1006).
	if errors.Is(err, io.EOF) || websocket.CloseStatus(err) == -1 {
		return result, &PushError{JobID: result.JobID, Lost: true, CloseCode: int(websocket.StatusAbnormalClosure), Err: err}
	}
	return result, &PushError{JobID: result.JobID, Err: err}
}

func pushWriteError(err error, jobID string) error {
	return &PushError{JobID: jobID, Lost: true, CloseCode: int(websocket.StatusAbnormalClosure), Err: fmt.Errorf("sending to the engine: %w", err)}
}

func (c *Client) debug(ctx context.Context, msg string, fields map[string]any) {
	if c.logger != nil {
		c.logger.Debug(ctx, msg, fields)
	}
}

func localSystem() string {
	switch runtime.GOOS {
	case "darwin":
		return "Darwin"
	case "windows":
		return "Windows"
	default:
		return "Linux"
	}
}
