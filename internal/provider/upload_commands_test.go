package provider

import (
	"errors"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/client"
	"github.com/tensorpool/terraform-provider-tensorpool/internal/testing/uploadtest"
)

// Each missing thing gets its own advice, and every advice says whether the
// job was created.
func TestUploadAdviceSaysWhatIsMissingAndHowToProvideIt(t *testing.T) {
	rejected := func(f client.CommandFailure) error {
		return &client.PushError{CloseCode: 1011, Reason: "upload command failed", Command: &f}
	}
	lost := &client.PushError{Lost: true, CloseCode: 1006, Command: &client.CommandFailure{Problem: client.ToolMissing, Tool: "rsync", ExitCode: 127}}
	tests := []struct {
		name string
		err  error
		want []string
	}{
		{"a tool", rejected(client.CommandFailure{Problem: client.ToolMissing, Tool: "rsync", ExitCode: 127}),
			[]string{"could not run rsync", "The engine created no job", "install rsync on that machine", "Terraform Cloud agent whose image has them"}},
		{"no identity", rejected(client.CommandFailure{Problem: client.IdentityRefused, ExitCode: 255}),
			[]string{"offered no SSH key the cluster accepts", "The engine created no job", "set the TENSORPOOL_SSH_PRIVATE_KEY environment variable"}},
		{"the served key refused", rejected(client.CommandFailure{Problem: client.IdentityRefused, ExitCode: 255, AgentKey: "SHA256:abc"}),
			[]string{"does not accept the SSH key the provider served (SHA256:abc)", "The engine created no job", "fingerprint SHA256:abc", "public_keys"}},
		{"a host key", rejected(client.CommandFailure{Problem: client.HostKeyUnverified, ExitCode: 255}),
			[]string{"could not verify the cluster's host key", "The engine created no job", "changes nothing about host key checking", "known_hosts"}},
		{"a lost connection", lost, []string{"could not run rsync", "most likely not created", "install rsync"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			advice := uploadAdvice(tt.err)
			for _, want := range tt.want {
				if !strings.Contains(advice, want) {
					t.Errorf("advice lacks %q:\n%s", want, advice)
				}
			}
		})
	}
	for name, err := range map[string]error{
		"no command failure":  &client.PushError{CloseCode: 1011, Reason: "boom"},
		"the job was created": &client.PushError{JobID: "j-1", Command: &client.CommandFailure{Problem: client.ToolMissing, Tool: "rsync"}},
		"not a push error":    errors.New("boom"),
	} {
		if advice := uploadAdvice(err); advice != "" {
			t.Errorf("%s: advice %q, want none (the usual texts apply)", name, advice)
		}
	}
}

// The key comes from ssh_private_key, else TENSORPOOL_SSH_PRIVATE_KEY (an
// empty argument counts as unset), with its line breaks real or written \n.
func TestUploadRunnerTakesTheKeyFromTheArgumentOrTheEnvironment(t *testing.T) {
	private, _ := uploadtest.NewSSHKey(t)
	reference, err := client.NewSSHAgentRunner(private)
	if err != nil {
		t.Fatal(err)
	}
	oneLine := strings.ReplaceAll(strings.TrimSpace(private), "\n", `\n`)
	other, _ := uploadtest.NewSSHKey(t)
	tests := []struct {
		name     string
		argument types.String
		env      string
		fromEnv  bool
	}{
		{"argument", types.StringValue(private), other, false},
		{"argument on one line", types.StringValue(oneLine), "", false},
		{"environment", types.StringNull(), private, true},
		{"environment on one line", types.StringNull(), oneLine, true},
		{"empty argument", types.StringValue(""), private, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(EnvSSHPrivateKey, tt.env)
			runner, fromEnv, err := uploadRunner(tt.argument, nil)
			agentRunner, ok := runner.(*client.SSHAgentRunner)
			if err != nil || !ok || fromEnv != tt.fromEnv || agentRunner.Fingerprint() != reference.Fingerprint() {
				t.Fatalf("runner %T (%v), from the environment %t: want the key's agent, from the environment %t", runner, err, fromEnv, tt.fromEnv)
			}
		})
	}
	t.Setenv(EnvSSHPrivateKey, "")
	if runner, _, err := uploadRunner(types.StringNull(), nil); runner != nil || err != nil {
		t.Errorf("no key: runner %T (%v), want the default runner (nil)", runner, err)
	}
}
