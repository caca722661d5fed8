package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
)

// SSHAccess is how to reach one instance of a cluster: GET
// /ssh/{instance_id}?system=… → {command, message} [CLI] (helpers.py
// ssh_command, which runs the command).
type SSHAccess struct {
	InstanceID string
	// Command is the ready-made `ssh …` command line.
	Command string
	// Message is the engine's text beside it, "" when none.
	Message string
}

// NoSSHCommandError is an SSH answer without a command; Message is the
// engine's text, which may say why (an instance not ready yet).
type NoSSHCommandError struct {
	InstanceID, Message string
}

func (e *NoSSHCommandError) Error() string {
	msg := fmt.Sprintf("the TensorPool engine sent no SSH command for instance %s", e.InstanceID)
	if e.Message != "" {
		msg += ": " + e.Message
	}
	return msg
}

// GetSSHCommand reads the SSH command of one instance for this machine's
// system (the CLI sends `system` as Python's platform.system()). An unknown
// instance is a 404 (IsNotFound).
func (c *Client) GetSSHCommand(ctx context.Context, instanceID string) (*SSHAccess, error) {
	path, err := objectPath("instance", "/ssh/", instanceID)
	if err != nil {
		return nil, err
	}
	resp, err := c.do(ctx, request{method: http.MethodGet, path: path, query: url.Values{"system": {localSystem()}}, kind: callRead})
	if err != nil {
		return nil, err
	}
	var fields map[string]json.RawMessage
	if json.Unmarshal(bytes.TrimSpace(resp.Body), &fields) != nil || fields == nil {
		return nil, &DecodeError{Method: http.MethodGet, Path: path, StatusCode: resp.StatusCode, Reason: "the body is not a JSON object"}
	}
	access := &SSHAccess{InstanceID: instanceID}
	if s := firstText(fields, "message"); s != nil {
		access.Message = *s
	}
	command := firstText(fields, "command")
	if command == nil {
		return nil, &NoSSHCommandError{InstanceID: instanceID, Message: access.Message}
	}
	access.Command = *command
	return access, nil
}
