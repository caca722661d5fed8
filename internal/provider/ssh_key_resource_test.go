package provider

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	fwresource "github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-testing/helper/resource"
	"github.com/hashicorp/terraform-plugin-testing/knownvalue"
	"github.com/hashicorp/terraform-plugin-testing/plancheck"
	"github.com/hashicorp/terraform-plugin-testing/statecheck"
	"github.com/hashicorp/terraform-plugin-testing/terraform"
	"github.com/hashicorp/terraform-plugin-testing/tfjsonpath"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/testing/sim"
)

const sshKeyAddr = "tensorpool_ssh_key.me"

// testPublicKey is the .pub line of a real ed25519 key derived from seed,
// as ssh-keygen writes it (without the trailing newline).
func testPublicKey(seed byte, comment string) string {
	public, _, err := ed25519.GenerateKey(bytes.NewReader(append(make([]byte, ed25519.SeedSize-1), seed)))
	if err != nil {
		panic(err) // the reader holds a whole seed
	}
	return "ssh-ed25519 " + base64.StdEncoding.EncodeToString(sshWireBlob("ssh-ed25519", public)) + " " + comment
}

// sshWireBlob is the key data of an OpenSSH public key: length-prefixed
// strings (RFC 4253 §6.6).
func sshWireBlob(parts ...any) []byte {
	var blob []byte
	for _, part := range parts {
		var b []byte
		switch p := part.(type) {
		case string:
			b = []byte(p)
		case ed25519.PublicKey:
			b = p
		case []byte:
			b = p
		}
		blob = binary.BigEndian.AppendUint32(blob, uint32(len(b))) //nolint:gosec // a test's short strings
		blob = append(blob, b...)
	}
	return blob
}

// sshKeyConfig renders tensorpool_ssh_key.me (sshKeyAddr) with public_key
// set to the HCL expression publicKey.
func (e *accEnv) sshKeyConfig(publicKey string, extra ...string) string {
	return e.providerBlock() + sshKeyBlock(publicKey, extra...)
}

func sshKeyBlock(publicKey string, extra ...string) string {
	return fmt.Sprintf("\nresource \"tensorpool_ssh_key\" \"me\" {\n  public_key = %s\n%s\n}\n", publicKey, strings.Join(extra, "\n"))
}

// TestAccSSHKeyBadPublicKey: a text that is not an OpenSSH public key is a
// plan-time error naming public_key and what it expects, and nothing
// reaches the engine.
func TestAccSSHKeyBadPublicKey(t *testing.T) {
	env := newAccEnv(t, sim.Options{})
	good := testPublicKey(1, "me@laptop")
	data := strings.Fields(good)[1]
	const expected = `public_key\s+must\s+be\s+one\s+OpenSSH\s+public\s+key\s+line.*file\("~/.ssh/id_ed25519.pub"\)`
	cases := []struct{ name, value, want string }{
		{"empty", "", `it\s+is\s+empty`},
		{"private key", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjE=\n-----END OPENSSH PRIVATE KEY-----\n", `it\s+is\s+a\s+private\s+key`},
		{"type only", "ssh-ed25519", `no\s+key\s+data\s+after\s+"ssh-ed25519"`},
		{"unknown type", "ssh-dss " + data, `starts\s+with\s+"ssh-dss",\s+which\s+is\s+not\s+a\s+known\s+key\s+type`},
		{"path instead of content", "~/.ssh/id_ed25519.pub", `no\s+key\s+data\s+after`},
		{"data not base64", "ssh-ed25519 not*base64", `not\s+valid\s+base64`},
		{"type edited", "ssh-rsa " + data, `is\s+not\s+a\s+ssh-rsa\s+key`},
		{"two keys", good + "\n" + testPublicKey(2, "other"), `several\s+lines`},
		{"SSH2 format", "---- BEGIN SSH2 PUBLIC KEY ----\n" + data + "\n---- END SSH2 PUBLIC KEY ----", `RFC\s+4716`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			env.run(t, resource.TestCase{Steps: []resource.TestStep{{
				Config:      env.sshKeyConfig(fmt.Sprintf("%q", tc.value)),
				PlanOnly:    true,
				ExpectError: regexp.MustCompile(`(?s)Invalid SSH public key.*public_key\s+=.*` + expected + `.*` + tc.want),
			}}})
		})
	}
	if stats := env.engine().Stats(); len(stats) != 0 {
		t.Errorf("a bad key reached the engine: %v", stats)
	}
}

// TestSSHKeyTypesAccepted: every documented key type passes the plan-time
// check when its data is a key of that type.
func TestSSHKeyTypesAccepted(t *testing.T) {
	for _, keyType := range sshKeyTypes {
		line := keyType + " " + base64.StdEncoding.EncodeToString(sshWireBlob(keyType, []byte("key material"))) + " me@host\n"
		if _, err := parseOpenSSHPublicKey(line); err != nil {
			t.Errorf("%s: %v", keyType, err)
		}
	}
}

// onlySSHKey returns the single saved key of the test's user.
func (e *accEnv) onlySSHKey() sim.SSHKeySnapshot {
	e.t.Helper()
	var keys []sim.SSHKeySnapshot
	for _, k := range e.engine().SSHKeys() {
		if k.Owner == accOwner {
			keys = append(keys, k)
		}
	}
	if len(keys) != 1 {
		e.t.Fatalf("the simulator has %d saved keys, want 1: %+v", len(keys), keys)
	}
	return keys[0]
}

// checkKeysInState: every key the user has saved is in the state (none
// was added and lost), as env.run checks for jobs.
func (e *accEnv) checkKeysInState(s *terraform.State) error {
	var ids []string
	for _, rs := range s.RootModule().Resources {
		if rs.Type == "tensorpool_ssh_key" {
			ids = append(ids, rs.Primary.ID)
		}
	}
	for _, k := range e.engine().SSHKeys() {
		if k.Owner == accOwner && !slices.Contains(ids, k.KeyID) {
			return fmt.Errorf("saved key %s is not in the state (state has %v)", k.KeyID, ids)
		}
	}
	return nil
}

// removeKeyOutside removes a saved key as `tp me sshkey remove` would.
func (e *accEnv) removeKeyOutside(id string) {
	e.t.Helper()
	req := httptest.NewRequestWithContext(e.t.Context(), http.MethodDelete, "/user/ssh-key/remove/"+id, nil)
	req.Header.Set("Authorization", "Bearer "+accKey)
	rec := httptest.NewRecorder()
	e.engine().ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		e.t.Fatalf("removing key %s outside Terraform: %d %s", id, rec.Code, rec.Body.String())
	}
}

// TestAccSSHKeyLifecycle: create saves the key with its name, the state
// holds the engine's id and list entry, import (command and block) reads
// the same key back with an empty plan, and destroy removes it.
func TestAccSSHKeyLifecycle(t *testing.T) {
	env := newAccEnv(t, sim.Options{})
	key := testPublicKey(1, "me@laptop")
	config := env.sshKeyConfig(fmt.Sprintf("%q", key), `  name = "laptop"`)
	var id string
	env.run(t, resource.TestCase{
		Steps: []resource.TestStep{
			{
				Config: config,
				Check: resource.ComposeTestCheckFunc(captureIDOf(sshKeyAddr, &id), env.checkKeysInState, func(*terraform.State) error {
					saved := env.onlySSHKey()
					if saved.KeyID != id || saved.PublicKey != key || saved.Name != "laptop" {
						return fmt.Errorf("the engine saved %+v; the state has id %s, the configuration key %q named laptop", saved, id, key)
					}
					return nil
				}),
				ConfigStateChecks: []statecheck.StateCheck{
					statecheck.ExpectKnownValue(sshKeyAddr, tfjsonpath.New("name"), knownvalue.StringExact("laptop")),
					statecheck.ExpectKnownValue(sshKeyAddr, tfjsonpath.New("key_info_json"), knownvalue.StringRegexp(regexp.MustCompile(`"created_at"`))),
				},
			},
			{ResourceName: sshKeyAddr, ImportState: true, ImportStateVerify: true},
			{ResourceName: sshKeyAddr, ImportState: true, ImportStateKind: resource.ImportBlockWithID},
		},
		CheckDestroy: func(*terraform.State) error { return env.engine().CheckNoSSHKeys(accOwner) },
	})
	if n := env.engine().Stats()["POST /user/ssh-key/add"]; n != 1 {
		t.Errorf("the key was added %d times, want 1", n)
	}
}

// TestAccSSHKeyRemovedOutside: a key removed outside Terraform leaves the
// state at the next refresh and the plan proposes to add it again.
func TestAccSSHKeyRemovedOutside(t *testing.T) {
	env := newAccEnv(t, sim.Options{})
	config := env.sshKeyConfig(fmt.Sprintf("%q", testPublicKey(1, "me@laptop")))
	var first, second string
	env.run(t, resource.TestCase{
		Steps: []resource.TestStep{
			{Config: config, Check: captureIDOf(sshKeyAddr, &first)},
			{
				PreConfig: func() { env.removeKeyOutside(first) },
				Config:    config,
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(sshKeyAddr, plancheck.ResourceActionCreate),
				}},
				Check: resource.ComposeTestCheckFunc(captureIDOf(sshKeyAddr, &second), env.checkKeysInState, func(*terraform.State) error {
					if saved := env.onlySSHKey(); second == first || saved.KeyID != second {
						return fmt.Errorf("after the removal the state has key %s (first %s), the engine %s", second, first, saved.KeyID)
					}
					return nil
				}),
			},
		},
		CheckDestroy: func(*terraform.State) error { return env.engine().CheckNoSSHKeys(accOwner) },
	})
}

// TestAccSSHKeyTrailingNewline: file() keeps the .pub file's trailing
// newline. The engine gets the key without it, and neither it nor another
// spelling of the same key (CRLF, spaces, another comment) is a change.
func TestAccSSHKeyTrailingNewline(t *testing.T) {
	env := newAccEnv(t, sim.Options{})
	key := testPublicKey(3, "me@laptop")
	var (
		mu   sync.Mutex
		sent []string // public_key of each add
	)
	provider := env.observedProviderBlock(func(r *http.Request, body []byte) {
		if r.URL.Path != "/user/ssh-key/add" {
			return
		}
		var add struct {
			PublicKey string `json:"public_key"`
		}
		_ = json.Unmarshal(body, &add)
		mu.Lock()
		defer mu.Unlock()
		sent = append(sent, add.PublicKey)
	})
	var id string
	env.run(t, resource.TestCase{
		Steps: []resource.TestStep{
			{
				// The test framework fails the step if the plan after the
				// apply is not empty.
				// Runs of spaces are sent as one, as ssh-keygen writes them.
				Config: provider + sshKeyBlock(fmt.Sprintf("%q", strings.Replace(key, " ", "  ", 1)+"\n")),
				Check: resource.ComposeTestCheckFunc(captureIDOf(sshKeyAddr, &id), func(*terraform.State) error {
					mu.Lock()
					defer mu.Unlock()
					if len(sent) != 1 || sent[0] != key {
						return fmt.Errorf("the provider sent the keys %q, want %q once", sent, key)
					}
					return nil
				}),
			},
			{
				Config: env.sshKeyConfig(fmt.Sprintf("%q", "  "+strings.Replace(key, " me@laptop", "  work laptop", 1)+"\r\n")),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectEmptyPlan(),
				}},
			},
			{
				// Another key is a change: it replaces the saved one.
				Config: env.sshKeyConfig(fmt.Sprintf("%q", testPublicKey(4, "me@laptop")+"\n")),
				ConfigPlanChecks: resource.ConfigPlanChecks{PreApply: []plancheck.PlanCheck{
					plancheck.ExpectResourceAction(sshKeyAddr, plancheck.ResourceActionReplace),
				}},
				Check: func(*terraform.State) error {
					if saved := env.onlySSHKey(); saved.KeyID == id || saved.PublicKey != testPublicKey(4, "me@laptop") {
						return fmt.Errorf("after replacing key %s the engine has %+v", id, saved)
					}
					return nil
				},
			},
		},
		CheckDestroy: func(*terraform.State) error { return env.engine().CheckNoSSHKeys(accOwner) },
	})
}

// observedProviderBlock configures the provider against the simulator's
// engine behind a second URL, which calls observe with each request and its
// body before the engine handles it: how a test sees what the engine knew
// at the moment a request arrived.
func (e *accEnv) observedProviderBlock(observe func(r *http.Request, body []byte)) string {
	e.t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		observe(r, body)
		e.engine().ServeHTTP(w, r)
	}))
	e.t.Cleanup(srv.Close)
	return fmt.Sprintf("provider \"tensorpool\" {\n  engine_url = %q\n  api_key    = %q\n}\n", srv.URL, accKey)
}

// TestAccSSHKeyBeforeCluster: a key referenced in a cluster's public_keys
// is saved before the cluster is claimed, so the engine adds it to the
// cluster as a saved key too, and it is removed only after the cluster is
// released: the implicit dependency the docs recommend orders both ways.
func TestAccSSHKeyBeforeCluster(t *testing.T) {
	env := newClusterEnv(t, sim.Options{})
	key := testPublicKey(5, "me@laptop")
	var (
		mu              sync.Mutex
		savedAtClaim    []sim.SSHKeySnapshot
		clustersAtKeyRm []sim.ClusterSnapshot
		keyRemovals     int
	)
	provider := env.observedProviderBlock(func(r *http.Request, _ []byte) {
		mu.Lock()
		defer mu.Unlock()
		switch {
		case r.Method == http.MethodPost && r.URL.Path == "/cluster/create":
			savedAtClaim = env.engine().SSHKeys()
		case r.Method == http.MethodDelete && strings.HasPrefix(r.URL.Path, "/user/ssh-key/remove/"):
			keyRemovals++
			clustersAtKeyRm = env.usersClusters()
		}
	})
	config := provider + fmt.Sprintf(`
resource "tensorpool_ssh_key" "me" {
  public_key = %q
}
`, key+"\n") + clusterBlock("1xH100", "  public_keys = [tensorpool_ssh_key.me.public_key]")
	var clusterID string
	env.run(t, resource.TestCase{
		Steps: []resource.TestStep{{
			Config: config,
			Check: resource.ComposeTestCheckFunc(captureIDOf(clusterAddr, &clusterID), env.checkKeysInState, func(*terraform.State) error {
				cl, err := env.engineCluster(clusterID)
				if err != nil {
					return err
				}
				saved := env.onlySSHKey()
				// The engine's record: the claim's public_keys, then the
				// keys saved when the claim was accepted.
				if len(cl.PublicKeys) != 2 || cl.PublicKeys[0] != key || cl.PublicKeys[1] != key {
					return fmt.Errorf("the cluster got the keys %q: want the key from public_keys and, saved before the claim, again", cl.PublicKeys)
				}
				if !saved.CreatedAt.Before(cl.CreatedAt) {
					return fmt.Errorf("the key was saved at %s, the cluster claimed at %s", saved.CreatedAt, cl.CreatedAt)
				}
				mu.Lock()
				defer mu.Unlock()
				if !slices.ContainsFunc(savedAtClaim, func(k sim.SSHKeySnapshot) bool { return k.KeyID == saved.KeyID }) {
					return fmt.Errorf("when the claim arrived the saved keys were %+v, without %s", savedAtClaim, saved.KeyID)
				}
				return nil
			}),
		}},
		CheckDestroy: func(*terraform.State) error {
			if err := env.engine().CheckNoSSHKeys(accOwner); err != nil {
				return err
			}
			mu.Lock()
			defer mu.Unlock()
			if keyRemovals != 1 || len(clustersAtKeyRm) != 1 || clustersAtKeyRm[0].ClusterID != clusterID || clustersAtKeyRm[0].Status != sim.ClusterDestroyed {
				return fmt.Errorf("when the key's removal arrived (%d removals), the clusters were %+v: want cluster %s released", keyRemovals, clustersAtKeyRm, clusterID)
			}
			return nil
		},
	})
}

// TestSSHKeySchemaIsDescribed: the generated docs are only as good as the
// schema text.
func TestSSHKeySchemaIsDescribed(t *testing.T) {
	var resp fwresource.SchemaResponse
	NewSSHKeyResource().Schema(t.Context(), fwresource.SchemaRequest{}, &resp)
	if resp.Schema.MarkdownDescription == "" {
		t.Error("tensorpool_ssh_key has no description")
	}
	for name, attr := range resp.Schema.Attributes {
		if attr.GetMarkdownDescription() == "" {
			t.Errorf("tensorpool_ssh_key.%s has no description", name)
		}
	}
}

// TestAccSSHKeyAddFails: the engine saves the key and its answer is lost
// (a 500): the provider finds the key in the list instead of adding it
// again, and the key is in the state, saved once.
func TestAccSSHKeyAddFails(t *testing.T) {
	env := newAccEnv(t, sim.Options{})
	env.run(t, resource.TestCase{
		Steps: []resource.TestStep{{
			PreConfig: func() { env.engine().SetFaults(sim.Faults{FailAfterChange: 1}) },
			Config:    env.sshKeyConfig(fmt.Sprintf("%q", testPublicKey(6, "me@laptop"))),
			Check:     env.checkKeysInState,
		}},
	})
	if n := env.engine().Stats()["POST /user/ssh-key/add"]; n != 1 {
		t.Errorf("the add was sent %d times, want once", n)
	}
}
