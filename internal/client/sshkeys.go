package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// SSHKey is a public key saved to the account. Fields the engine does not
// report are nil.
type SSHKey struct {
	ID                         string
	Name, PublicKey, CreatedAt *string
	Raw                        json.RawMessage
}

const (
	sshKeyListPath = "/user/ssh-key/list"
	// sshKeyFindWith is how a person finds a key the client lost track of
	// (the official CLI's command).
	sshKeyFindWith = "tp me sshkey list"
)

// The names a key's id goes by: key_id is what the simulator sends [INF];
// the others are plausible spellings of an undocumented field.
var sshKeyIDKeys = []string{"key_id", "id", "ssh_key_id"}

// KeyListTextError is a key list that came as text only: the official CLI
// reads nothing but `message` from GET /user/ssh-key/list [CLI], and a list
// of key ids (`ssh_keys`) is [INF]. Without one no key can be found by id.
type KeyListTextError struct {
	StatusCode int
	// Message is the engine's text, which names the saved keys.
	Message string
}

func (e *KeyListTextError) Error() string {
	return fmt.Sprintf("the TensorPool engine lists SSH keys only as text (GET %s, HTTP %d, without an `ssh_keys` list of key ids): %q",
		sshKeyListPath, e.StatusCode, e.Message)
}

// KeyNotAddedError is an add that AddSSHKey did not send, because the key
// list it checks first could not be read: nothing was saved.
type KeyNotAddedError struct{ Err error }

func (e *KeyNotAddedError) Error() string {
	return "the SSH key was not sent to the engine, because its key list, where the key would be found again, could not be read: " + e.Err.Error()
}

func (e *KeyNotAddedError) Unwrap() error { return e.Err }

// AddSSHKey saves a public key to the account and returns it with its id.
//
// The official CLI reads only `message` from the add and from the list
// [CLI]; an id in the add answer and the `ssh_keys` list are [INF]. So that
// a key it saves can always be found again (and removed), AddSSHKey reads
// the list first: a list that is only text (*KeyListTextError) or cannot be
// read stops it before anything is saved (*KeyNotAddedError). The id then
// comes from the add answer (`key_id`, `id`, `ssh_key_id`, or those inside
// an `ssh_key` object), or else from the list: the one key with this key
// material (type and base64 body; the comment may differ) that was not there
// before, the name deciding between several. A key still not identified is
// a *MissingIDError, which quotes the list: picking one of several would
// let a later remove delete a key that was not ours. The add is sent again
// when the engine provably did nothing, or when its answer was lost and the
// list holds no new key with this key material; a list that cannot be read
// then is an *UnconfirmedError.
func (c *Client) AddSSHKey(ctx context.Context, publicKey string, name *string) (*SSHKey, error) {
	var before []SSHKey
	if err := c.readBeforeChange(ctx, c.clock.Now(), func(ctx context.Context) (err error) {
		before, err = c.ListSSHKeys(ctx)
		return err
	}); err != nil {
		return nil, &KeyNotAddedError{Err: err}
	}
	body := map[string]any{"public_key": publicKey}
	putIfSet(body, "name", name)
	const path = "/user/ssh-key/add"
	existed := make(map[string]bool, len(before))
	for _, key := range before {
		existed[key.ID] = true
	}
	resp, err := c.send(ctx, http.MethodPost, path, body, &change{Kind: "SSH key", FindWith: sshKeyFindWith,
		Reconcile: func(ctx context.Context) (bool, error) {
			// A new key with this material means added: its id is then
			// looked up below, as for an answer without one. None, and the
			// add is sent again.
			keys, err := c.ListSSHKeys(ctx)
			return slices.ContainsFunc(keys, func(key SSHKey) bool {
				return !existed[key.ID] && key.PublicKey != nil && sameKeyMaterial(*key.PublicKey, publicKey)
			}), err
		}})
	if err != nil {
		return nil, err
	}
	if key, ok := decodeAddedKey(resp.Body); ok {
		return key, nil
	}
	missing := &MissingIDError{Kind: "SSH key", Method: http.MethodPost, Path: path, StatusCode: resp.StatusCode,
		FindWith: sshKeyFindWith, Raw: resp.Body}
	after, err := c.ListSSHKeys(ctx)
	if err != nil {
		missing.Reason = "no key id, and the key list could not be read"
		missing.Err = err
		return nil, missing
	}
	var matches []SSHKey
	for _, key := range after {
		if !existed[key.ID] && key.PublicKey != nil && sameKeyMaterial(*key.PublicKey, publicKey) {
			matches = append(matches, key)
		}
	}
	if len(matches) > 1 && name != nil {
		// Several new copies of the same key: the name may tell ours.
		var named []SSHKey
		for _, key := range matches {
			if key.Name != nil && *key.Name == *name {
				named = append(named, key)
			}
		}
		matches = named
	}
	switch len(matches) {
	case 1:
		return &matches[0], nil
	case 0:
		missing.Reason = "no key id, and no new key with this public key is in " + sshKeyListPath
	default:
		missing.Reason = fmt.Sprintf("no key id, and %d new keys in %s have this public key: %s", len(matches), sshKeyListPath, keyIDs(matches))
	}
	return nil, missing
}

// keyIDs lists the keys' ids for a message.
func keyIDs(keys []SSHKey) string {
	ids := make([]string, 0, len(keys))
	for _, key := range keys {
		ids = append(ids, key.ID)
	}
	return strings.Join(ids, ", ")
}

// decodeAddedKey reads the key from the add answer, when it names an id.
func decodeAddedKey(body []byte) (*SSHKey, bool) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(bytes.TrimSpace(body), &fields); err != nil || fields == nil {
		return nil, false
	}
	var nested map[string]json.RawMessage
	if raw, ok := field(fields, "ssh_key"); ok && json.Unmarshal(raw, &nested) == nil && nested != nil {
		if key, ok := sshKeyFrom(nested, raw); ok {
			return key, true
		}
	}
	return sshKeyFrom(fields, bytes.TrimSpace(body))
}

// sshKeyFrom reads one key object; ok is false when it has no id.
func sshKeyFrom(fields map[string]json.RawMessage, raw json.RawMessage) (*SSHKey, bool) {
	id := firstText(fields, sshKeyIDKeys...)
	if id == nil {
		return nil, false
	}
	return &SSHKey{
		ID:        *id,
		Name:      firstString(fields, "name", "key_name"),
		PublicKey: firstText(fields, "public_key", "key"),
		CreatedAt: firstTime(fields, "created_at"),
		Raw:       raw,
	}, true
}

// sameKeyMaterial compares two OpenSSH public keys on their type and
// base64 body, ignoring the comment and spacing.
func sameKeyMaterial(a, b string) bool {
	fa, fb := strings.Fields(a), strings.Fields(b)
	return len(fa) >= 2 && len(fb) >= 2 && fa[0] == fb[0] && fa[1] == fb[1]
}

// ListSSHKeys lists the account's saved keys: the list under `ssh_keys`
// or `keys`, or a top-level list. Entries without an id are skipped. An
// answer with only a text message, as the official CLI reads it, is a
// *KeyListTextError; any other answer without a list is a *DecodeError.
func (c *Client) ListSSHKeys(ctx context.Context) ([]SSHKey, error) {
	return c.ListSSHKeysOf(ctx, false)
}

// ListSSHKeysOf is ListSSHKeys; with includeOrg it lists the
// organization's keys instead of the caller's own (`?include_org=true`
// [CLI]).
func (c *Client) ListSSHKeysOf(ctx context.Context, includeOrg bool) ([]SSHKey, error) {
	req := request{method: http.MethodGet, path: sshKeyListPath, kind: callRead}
	if includeOrg {
		req.query = url.Values{"include_org": {"true"}}
	}
	resp, err := c.do(ctx, req)
	if err != nil {
		return nil, err
	}
	keys, err := DecodeSSHKeyList(resp.Body)
	if err != nil {
		if text, ok := messageOnly(resp.Body); ok {
			return nil, &KeyListTextError{StatusCode: resp.StatusCode, Message: text}
		}
		return nil, &DecodeError{Method: http.MethodGet, Path: sshKeyListPath, StatusCode: resp.StatusCode, Reason: err.Error(), Snippet: snippet(resp.Body)}
	}
	return keys, nil
}

// messageOnly is the text of an answer that is a JSON object with a string
// `message` and no list anywhere.
func messageOnly(body []byte) (string, bool) {
	var fields map[string]json.RawMessage
	if json.Unmarshal(bytes.TrimSpace(body), &fields) != nil {
		return "", false
	}
	for _, raw := range fields {
		if bytes.HasPrefix(bytes.TrimSpace(raw), []byte("[")) {
			return "", false
		}
	}
	text := firstString(fields, "message")
	if text == nil {
		return "", false
	}
	return *text, true
}

// DecodeSSHKeyList parses the body of GET /user/ssh-key/list.
func DecodeSSHKeyList(body []byte) ([]SSHKey, error) {
	trimmed := bytes.TrimSpace(body)
	var entries []json.RawMessage
	if !bytes.HasPrefix(trimmed, []byte("[")) || json.Unmarshal(trimmed, &entries) != nil {
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(trimmed, &fields); err != nil || fields == nil {
			return nil, fmt.Errorf("the body is not a JSON object or list")
		}
		found := false
		for _, key := range []string{"ssh_keys", "keys"} {
			if raw, ok := field(fields, key); ok && json.Unmarshal(raw, &entries) == nil {
				found = true
				break
			}
		}
		if !found {
			return nil, fmt.Errorf("the answer has no `ssh_keys` list")
		}
	}
	keys := make([]SSHKey, 0, len(entries))
	for _, entry := range entries {
		var fields map[string]json.RawMessage
		if json.Unmarshal(entry, &fields) != nil || fields == nil {
			continue
		}
		if key, ok := sshKeyFrom(fields, bytes.TrimSpace(entry)); ok {
			keys = append(keys, *key)
		}
	}
	return keys, nil
}

// GetSSHKey finds a saved key in the key list (the engine has no per-key
// route). A key that is not listed is a *NotFoundError (IsNotFound).
func (c *Client) GetSSHKey(ctx context.Context, id string) (*SSHKey, error) {
	if err := ValidateObjectID("SSH key", id); err != nil {
		return nil, err
	}
	keys, err := c.ListSSHKeys(ctx)
	if err != nil {
		return nil, err
	}
	for i := range keys {
		if keys[i].ID == id {
			return &keys[i], nil
		}
	}
	return nil, &NotFoundError{Kind: "SSH key", ID: id, Where: http.MethodGet + " " + sshKeyListPath}
}

// RemoveSSHKey deletes a saved key. An unknown key is a 404 (IsNotFound):
// a lost answer is settled by sending the remove again, whose 404 then says
// the first one was taken.
func (c *Client) RemoveSSHKey(ctx context.Context, id string) error {
	path, err := objectPath("SSH key", "/user/ssh-key/remove/", id)
	if err != nil {
		return err
	}
	_, err = c.send(ctx, http.MethodDelete, path, nil, &change{Kind: "SSH key", FindWith: sshKeyFindWith, Reconcile: sendAgain})
	return err
}
