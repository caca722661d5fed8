package e2e

import (
	"fmt"
	"slices"
	"testing"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/testing/sim"
)

// sshKeyConfig is one tensorpool_ssh_key of the demo key.
var sshKeyConfig = fmt.Sprintf(`
resource "tensorpool_ssh_key" "laptop" {
  public_key = %q
  name       = "laptop"
}
`, demoPublicKey)

// engineKeyIDs are the ids of the keys the engine has saved, oldest first.
func (w *world) engineKeyIDs() []string {
	var ids []string
	for _, k := range w.server.Engine.SSHKeys() {
		ids = append(ids, k.KeyID)
	}
	return ids
}

// keyWorld is a world with the demo key saved outside Terraform (its id is
// returned) and a workspace with sshKeyConfig, against an engine whose key
// routes answer only messages as mode says.
func keyWorld(t *testing.T, mode string) (*world, string) {
	t.Helper()
	w := startSimulator(t, sim.Options{Faults: sim.Faults{SSHKeyMessageOnly: mode}})
	older, err := w.server.Engine.AddSSHKey(w.key, demoPublicKey, "laptop")
	if err != nil {
		t.Fatal(err)
	}
	ws, err := harness.Workspace(workspaceName(t), sshKeyConfig)
	if err != nil {
		t.Fatal(err)
	}
	w.use(ws)
	return w, older
}

// TestSSHKeyAgainstAnEngineThatAnswersOnlyMessages: the official CLI reads
// only `message` from the key add and the key list, so an engine may send
// nothing else. When the add names no key id, the key is found in the list
// by its key material, as the one that was not there before (a copy saved
// earlier outside Terraform stays someone else's); the engine's keys are
// checked after each step. When the list too is only text, nothing is saved
// and the error quotes what the engine has and says how to manage keys with
// the CLI.
func TestSSHKeyAgainstAnEngineThatAnswersOnlyMessages(t *testing.T) {
	t.Run("the add answers only a message", func(t *testing.T) {
		w, older := keyWorld(t, sim.SSHKeyMessageOnlyAdd)
		w.mustRun("apply", "-auto-approve")
		ids := w.stateIDsOf("tensorpool_ssh_key")
		engine := w.engineKeyIDs()
		if len(ids) != 1 || len(engine) != 2 || engine[0] != older || ids[0] != engine[1] {
			t.Fatalf("after the apply the state has keys %v and the engine %v: want the engine's new key (not %s) in the state", ids, engine, older)
		}
		if plan := w.run("plan", "-detailed-exitcode"); plan.ExitCode != 0 {
			t.Errorf("plan after the apply: exit %d, want 0:\n%s", plan.ExitCode, plan.Output())
		}
		// Not w.destroy: the key saved outside Terraform stays, as it should.
		w.mustRun("destroy", "-auto-approve")
		if engine := w.engineKeyIDs(); !slices.Equal(engine, []string{older}) {
			t.Errorf("after the destroy the engine has keys %v, want only %s, saved outside Terraform", engine, older)
		}
	})

	t.Run("the list too is only text", func(t *testing.T) {
		w, older := keyWorld(t, sim.SSHKeyMessageOnlyAll)
		apply := w.run("apply", "-auto-approve")
		if apply.ExitCode == 0 {
			t.Fatalf("the apply succeeded against an engine whose key list has no ids:\n%s", apply.Output())
		}
		for _, text := range []string{
			"Could not add the TensorPool SSH key",
			"Nothing was saved: the key was not sent.",
			older + "  laptop", // the engine's list, quoted
			"tp me sshkey add <path to .pub file>",
			"tp me sshkey remove <key id>",
		} {
			if !says(apply.Output(), text) {
				t.Errorf("the apply's error does not say %q:\n%s", text, apply.Output())
			}
		}
		if engine := w.engineKeyIDs(); !slices.Equal(engine, []string{older}) {
			t.Errorf("after the failed apply the engine has keys %v, want only %s: a key was saved", engine, older)
		}
		if n := w.server.Engine.Stats()["POST /user/ssh-key/add"]; n != 0 {
			t.Errorf("the add was sent %d times, want never", n)
		}
		if ids := w.stateIDsOf("tensorpool_ssh_key"); len(ids) != 0 {
			t.Errorf("the state has keys %v", ids)
		}
	})
}
