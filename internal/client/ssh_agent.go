package client

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"sync"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
)

// SSHAgentRunner runs the engine's upload commands with one SSH private key
// available to them, on a machine that has no key of its own (a CI runner, a
// Terraform Cloud run: no home directory worth the name, no agent). The key
// is served by an SSH agent inside this process, on a Unix socket in a
// private temporary directory (0700) named by SSH_AUTH_SOCK in the commands'
// environment: ssh, and rsync through it, find it there as they would a
// user's agent. The key never reaches the disk, and the agent lives only for
// one submission (PushJob), or one command run outside a submission.
type SSHAgentRunner struct {
	keys        agent.Agent
	fingerprint string
}

// agentComment names the key in `ssh-add -l` and the remote side's logs.
const agentComment = "terraform-provider-tensorpool"

// NewSSHAgentRunner reads an unencrypted private key in any format ssh
// reads (OpenSSH, PKCS#1, PKCS#8, SEC1 PEM). Its errors never quote the key.
func NewSSHAgentRunner(privateKey string) (*SSHAgentRunner, error) {
	raw, err := ssh.ParseRawPrivateKey([]byte(privateKey))
	var passphrase *ssh.PassphraseMissingError
	switch {
	case errors.As(err, &passphrase):
		return nil, errors.New("the SSH private key is protected by a passphrase, which nobody can type during an apply: give a key without a passphrase")
	case err != nil:
		return nil, fmt.Errorf("the SSH private key cannot be read (%w): give the whole private key, from its BEGIN line to its END line", err)
	}
	signer, err := ssh.NewSignerFromKey(raw)
	if err != nil {
		return nil, fmt.Errorf("the SSH private key cannot sign (%w)", err)
	}
	keyring := agent.NewKeyring()
	if err := keyring.Add(agent.AddedKey{PrivateKey: raw, Comment: agentComment}); err != nil {
		return nil, fmt.Errorf("the SSH private key cannot be served by an SSH agent (%w)", err)
	}
	return &SSHAgentRunner{keys: servedKeys{keyring}, fingerprint: ssh.FingerprintSHA256(signer.PublicKey())}, nil
}

// Fingerprint is the key's SHA256 fingerprint, as `ssh-keygen -lf` prints
// it: safe to show, and what a user compares with the cluster's keys.
func (r *SSHAgentRunner) Fingerprint() string { return r.fingerprint }

// Run runs one command with the agent serving the key for its duration.
func (r *SSHAgentRunner) Run(ctx context.Context, dir, command string) (int, string, string) {
	runner, end, err := r.startSession(ctx)
	if err != nil {
		return 127, "", err.Error()
	}
	defer end()
	return runner.Run(ctx, dir, command)
}

// commandSession is a runner whose commands share state that must be set up
// before the first and torn down after the last command of a submission.
type commandSession interface {
	startSession(ctx context.Context) (runner CommandRunner, end func(), err error)
}

// startSession starts the agent: until end is called, the returned runner's
// commands find the key through SSH_AUTH_SOCK. end stops the agent, closes
// its connections and removes its directory.
func (r *SSHAgentRunner) startSession(ctx context.Context) (CommandRunner, func(), error) {
	dir, err := os.MkdirTemp("", "tp-agent-")
	if err != nil {
		return nil, nil, fmt.Errorf("starting an SSH agent for the upload commands: %w", err)
	}
	socket := filepath.Join(dir, "agent.sock")
	listener, err := (&net.ListenConfig{}).Listen(ctx, "unix", socket)
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, nil, fmt.Errorf("starting an SSH agent for the upload commands: %w", err)
	}
	var (
		mu      sync.Mutex
		conns   = map[net.Conn]bool{}
		serving sync.WaitGroup
	)
	serving.Go(func() {
		for {
			conn, err := listener.Accept()
			if err != nil {
				return // closed by end
			}
			mu.Lock()
			conns[conn] = true
			mu.Unlock()
			serving.Go(func() {
				_ = agent.ServeAgent(r.keys, conn)
				mu.Lock()
				delete(conns, conn)
				mu.Unlock()
				_ = conn.Close()
			})
		}
	})
	end := func() {
		_ = listener.Close()
		mu.Lock()
		for conn := range conns {
			_ = conn.Close()
		}
		mu.Unlock()
		serving.Wait()
		_ = os.RemoveAll(dir)
	}
	return ShellRunner{env: []string{"SSH_AUTH_SOCK=" + socket}}, end, nil
}

// servedKeys is the agent the commands talk to: it lists the key and signs
// with it, and refuses every change (adding, removing, locking), so that a
// command cannot swap or lock the key for the next one.
type servedKeys struct{ agent.Agent }

var errReadOnlyAgent = errors.New("this agent serves one fixed key and accepts no changes")

func (servedKeys) Add(agent.AddedKey) error   { return errReadOnlyAgent }
func (servedKeys) Remove(ssh.PublicKey) error { return errReadOnlyAgent }
func (servedKeys) RemoveAll() error           { return errReadOnlyAgent }
func (servedKeys) Lock([]byte) error          { return errReadOnlyAgent }
func (servedKeys) Unlock([]byte) error        { return errReadOnlyAgent }
