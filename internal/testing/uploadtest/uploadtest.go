// Package uploadtest makes, for tests, what the machine running the
// engine's upload commands has or lacks: an SSH key pair, a PATH holding
// only some programs. The simulator's tests keep their own copy, because the
// simulator shares no code with the provider's side.
package uploadtest

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"
)

// NewSSHKey returns a fresh ed25519 private key in OpenSSH PEM form and its
// public key in authorized_keys form (one line, no comment, no newline).
func NewSSHKey(t testing.TB) (private, public string) {
	t.Helper()
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	sshPub, err := ssh.NewPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(block)), strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sshPub)))
}

// PathWithOnly returns a new directory, for PATH, holding links to this
// machine's copies of tools and nothing else; it skips the test when one of
// them is not installed.
func PathWithOnly(t testing.TB, tools ...string) string {
	t.Helper()
	bin := t.TempDir()
	for _, tool := range tools {
		path, err := exec.LookPath(tool)
		if err != nil {
			t.Skipf("%s is not installed", tool)
		}
		if err := os.Symlink(path, filepath.Join(bin, tool)); err != nil {
			t.Fatal(err)
		}
	}
	return bin
}

// NewEncryptedSSHKey returns a fresh ed25519 private key in OpenSSH PEM
// form, protected by passphrase.
func NewEncryptedSSHKey(t testing.TB, passphrase string) string {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKeyWithPassphrase(priv, "", []byte(passphrase))
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(block))
}
