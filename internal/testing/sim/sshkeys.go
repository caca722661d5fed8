package sim

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Saved SSH keys. [CLI] POST /user/ssh-key/add {public_key, name?} → 200
// {message}, GET /user/ssh-key/list → 200 {message}, DELETE
// /user/ssh-key/remove/{key_id} → 200 (helpers.py ssh_key_create,
// ssh_key_list, ssh_key_destroy read nothing but message). [DOC] saved keys
// are added to the clusters created after them (see claimLocked). [INF] the
// key_id field of the add answer, the ssh_keys list, the id format, 422 for
// a malformed key, 404/403 on remove; Faults.SSHKeyMessageOnly leaves the
// [INF] fields out. A key saved twice is two keys (the engine's rule is
// unknown; refusing would be as likely).

type sshKey struct {
	id, owner, name, publicKey string
	seq                        int
	created                    time.Time
}

// keysOfLocked returns the user's saved keys, oldest first.
func (e *Engine) keysOfLocked(owner string) []*sshKey {
	var out []*sshKey
	for _, k := range e.keys {
		if k.owner == owner {
			out = append(out, k)
		}
	}
	slices.SortFunc(out, func(a, b *sshKey) int { return a.creationSeq() - b.creationSeq() })
	return out
}

// addKeyLocked saves a key for owner.
func (e *Engine) addKeyLocked(owner, publicKey, name string) *sshKey {
	e.objSeq++
	k := &sshKey{
		id: e.uniqueIDLocked("key-"), owner: owner, name: name, publicKey: strings.TrimSpace(publicKey),
		seq: e.objSeq, created: e.clock.Now(),
	}
	e.keys[k.id] = k
	return k
}

// sameKey reports whether two public key lines hold the same key (type and
// key material; the comment does not count).
func sameKey(a, b string) bool {
	fa, fb := strings.Fields(a), strings.Fields(b)
	return len(fa) >= 2 && len(fb) >= 2 && fa[0] == fb[0] && fa[1] == fb[1]
}

// handleSSHKeyAdd is POST /user/ssh-key/add.
func (e *Engine) handleSSHKeyAdd(w http.ResponseWriter, r *http.Request, c *call) {
	b := readJSONBody(r)
	pub := b.str("public_key", true)
	if pub != nil && !validPublicKey(*pub) {
		b.errs = append(b.errs, publicKeyError([]any{"body", "public_key"}))
	}
	name := b.str("name", false)
	if writeValidation(w, b.errs) {
		return
	}
	e.lockSettled()
	k := e.addKeyLocked(c.user, *pub, deref(name))
	e.countForLocked("POST /user/ssh-key/add", k.id)
	messageOnly := e.faults.SSHKeyMessageOnly != ""
	e.mu.Unlock()
	answer := map[string]any{"message": fmt.Sprintf("SSH key %s saved: it will be added to clusters you create from now on", k.id)}
	if !messageOnly {
		answer["key_id"] = k.id
	}
	writeJSON(w, http.StatusOK, answer)
}

// sshKeyItem is one entry of the ssh_keys list. [INF]
type sshKeyItem struct {
	KeyID     string  `json:"key_id"`
	Name      *string `json:"name"`
	PublicKey string  `json:"public_key"`
	CreatedAt string  `json:"created_at"`
}

// handleSSHKeyList is GET /user/ssh-key/list. [CLI] a message; [INF]
// ssh_keys. include_org changes nothing (each user is its own
// organisation).
func (e *Engine) handleSSHKeyList(w http.ResponseWriter, _ *http.Request, c *call) {
	e.lockSettled()
	keys := e.keysOfLocked(c.user)
	messageOnly := e.faults.SSHKeyMessageOnly == SSHKeyMessageOnlyAll
	items := make([]sshKeyItem, 0, len(keys))
	lines := make([]string, 0, len(keys))
	for _, k := range keys {
		items = append(items, sshKeyItem{KeyID: k.id, Name: nullable(k.name), PublicKey: k.publicKey, CreatedAt: apiTime(k.created)})
		lines = append(lines, fmt.Sprintf("%s  %s  %s", k.id, k.name, keyFingerprintText(k.publicKey)))
	}
	e.mu.Unlock()
	text := "No SSH keys saved"
	if len(lines) > 0 {
		text = strings.Join(lines, "\n")
	}
	answer := map[string]any{"message": text}
	if !messageOnly {
		answer["ssh_keys"] = items
	}
	writeJSON(w, http.StatusOK, answer)
}

// keyFingerprintText shortens a key for the list text: type and the end of
// the key material.
func keyFingerprintText(pub string) string {
	f := strings.Fields(pub)
	if len(f) < 2 {
		return pub
	}
	tail := f[1]
	if len(tail) > 12 {
		tail = "…" + tail[len(tail)-12:]
	}
	return f[0] + " " + tail
}

// handleSSHKeyRemove is DELETE /user/ssh-key/remove/{key_id}. [CLI] 200
// {message}; [INF] 404 unknown, 403 another user's. Clusters keep the keys
// they got.
func (e *Engine) handleSSHKeyRemove(w http.ResponseWriter, _ *http.Request, c *call) {
	e.lockSettled()
	defer e.mu.Unlock()
	k, ok := e.keys[c.id]
	if !ok {
		writeJSON(w, http.StatusNotFound, msg(fmt.Sprintf("SSH key %s not found", c.id)))
		return
	}
	if k.owner != c.user {
		writeJSON(w, http.StatusForbidden, msg("Access denied"))
		return
	}
	delete(e.keys, k.id)
	writeJSON(w, http.StatusOK, msg(fmt.Sprintf("SSH key %s removed", k.id)))
}

// SSHKeySnapshot is a saved key, for tests and GET /_sim/ssh-keys.
type SSHKeySnapshot struct {
	KeyID     string    `json:"key_id"`
	Owner     string    `json:"owner"`
	Name      string    `json:"name"`
	PublicKey string    `json:"public_key"`
	CreatedAt time.Time `json:"created_at"`
}

// SSHKeys returns every saved key of every user, oldest first. Removed keys
// are gone.
func (e *Engine) SSHKeys() []SSHKeySnapshot {
	return snapshotAll(e, func() map[string]*sshKey { return e.keys }, func(k *sshKey, _ time.Time) SSHKeySnapshot {
		return SSHKeySnapshot{KeyID: k.id, Owner: k.owner, Name: k.name, PublicKey: k.publicKey, CreatedAt: k.created.UTC()}
	})
}

// handleSimSSHKeys is GET /_sim/ssh-keys.
func (e *Engine) handleSimSSHKeys(w http.ResponseWriter, _ *http.Request, _ *call) {
	writeJSON(w, http.StatusOK, map[string]any{"ssh_keys": e.SSHKeys()})
}
