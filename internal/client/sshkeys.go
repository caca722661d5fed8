package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
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
	// sshKeyFindWith is how a person finds a key the client lost track of.
	sshKeyFindWith = "tp ssh-key list"
)

// The names a key's id goes by: key_id is what the simulator sends [INF];
// the others are plausible spellings of an undocumented field.
var sshKeyIDKeys = []string{"key_id", "id", "ssh_key_id"}

// AddSSHKey saves a public key to the account and returns it with its id.
// The id comes from the answer (`key_id`, `id`, `ssh_key_id`, or those
// inside an `ssh_key` object); when the answer has none, from the key list,
// matched on the key's type and base64 body (the comment may differ). A key
// that is still not identified — absent from the list, or listed more than
// once — is a *MissingIDError: picking one of several would let a later
// remove delete a key that was not ours. It is sent again when the engine
// provably did nothing, or when its answer was lost and the key list does
// not hold the key; a list that cannot be read then is an *UnconfirmedError.
func (c *Client) AddSSHKey(ctx context.Context, publicKey string, name *string) (*SSHKey, error) {
	body := map[string]any{"public_key": publicKey}
	putIfSet(body, "name", name)
	const path = "/user/ssh-key/add"
	resp, err := c.send(ctx, http.MethodPost, path, body, &change{Kind: "SSH key", FindWith: sshKeyFindWith,
		Reconcile: func(ctx context.Context) (bool, error) {
			// Listed means added: the id is then looked up below, as for an
			// answer without one. Not listed, it is sent again.
			keys, err := c.ListSSHKeys(ctx)
			return slices.ContainsFunc(keys, func(key SSHKey) bool {
				return key.PublicKey != nil && sameKeyMaterial(*key.PublicKey, publicKey)
			}), err
		}})
	if err != nil {
		return nil, err
	}
	missing := &MissingIDError{Kind: "SSH key", Method: http.MethodPost, Path: path, StatusCode: resp.StatusCode,
		FindWith: sshKeyFindWith, Raw: resp.Body}
	if key, ok := decodeAddedKey(resp.Body); ok {
		return key, nil
	}
	keys, err := c.ListSSHKeys(ctx)
	if err != nil {
		missing.Reason = "no key id, and the key list could not be read"
		missing.Err = err
		return nil, missing
	}
	var matches []SSHKey
	for _, key := range keys {
		if key.PublicKey != nil && sameKeyMaterial(*key.PublicKey, publicKey) {
			matches = append(matches, key)
		}
	}
	if len(matches) > 1 && name != nil {
		// Several saved copies of the same key: the name may tell ours.
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
		missing.Reason = "no key id, and the key is not in " + sshKeyListPath
	default:
		missing.Reason = fmt.Sprintf("no key id, and %d keys in %s have this public key", len(matches), sshKeyListPath)
	}
	return nil, missing
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
// answer with no list (for example only a message) is a *DecodeError.
func (c *Client) ListSSHKeys(ctx context.Context) ([]SSHKey, error) {
	resp, err := c.do(ctx, request{method: http.MethodGet, path: sshKeyListPath, kind: callRead})
	if err != nil {
		return nil, err
	}
	keys, err := DecodeSSHKeyList(resp.Body)
	if err != nil {
		return nil, &DecodeError{Method: http.MethodGet, Path: sshKeyListPath, StatusCode: resp.StatusCode, Reason: err.Error(), Snippet: snippet(resp.Body)}
	}
	return keys, nil
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
