package provider

import (
	"errors"
	"fmt"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/client"
)

// uploadRunner is what runs the engine's upload commands: with an SSH
// private key set (ssh_private_key, else TENSORPOOL_SSH_PRIVATE_KEY), an
// in-process SSH agent serving it; otherwise base (nil: the client's
// shell, with the SSH identity of the user running Terraform). fromEnv says
// where the key came from, for the error.
func uploadRunner(setting types.String, base client.CommandRunner) (runner client.CommandRunner, fromEnv bool, err error) {
	key, fromEnv := settingOrEnv(setting, EnvSSHPrivateKey)
	if key == "" {
		return base, fromEnv, nil
	}
	if !strings.Contains(key, "\n") {
		// A one-line variable (some CI settings pages keep one line) with
		// its line breaks written as \n.
		key = strings.ReplaceAll(key, `\n`, "\n")
	}
	agentRunner, err := client.NewSSHAgentRunner(key)
	if err != nil {
		return nil, fromEnv, err
	}
	return agentRunner, fromEnv, nil
}

// uploadAdvice is a failed submission's error when an engine upload command
// lacked something on the machine running Terraform: what was missing (the
// client's text), whether the job was created, and how to provide it; ""
// for any other failure.
func uploadAdvice(err error) string {
	var pushErr *client.PushError
	if !errors.As(err, &pushErr) || pushErr.Command == nil || pushErr.JobID != "" {
		return ""
	}
	created := "The engine created no job: nothing was submitted or bills. Apply again once this is fixed."
	if pushErr.Lost {
		created = "The engine sent no job id before the connection ended, so the job was most likely not created. " +
			"Check `tp job list` before applying again: a submission is never retried automatically, because a retry could start a second job."
	}
	var how string
	switch failure := pushErr.Command; {
	case failure.Problem == client.ToolMissing:
		how = fmt.Sprintf("The engine's upload commands run on the machine running Terraform, as the official CLI runs them there, and need "+
			"a POSIX shell, rsync and ssh: install %s on that machine. A Terraform Cloud run cannot install programs on its own; run the "+
			"workspace in agent execution mode, on a Terraform Cloud agent whose image has them.", failure.Tool)
	case failure.Problem == client.IdentityRefused && failure.AgentKey != "":
		how = fmt.Sprintf("The cluster does not accept the key of the provider's ssh_private_key (or %s), fingerprint %s. "+
			"Add its public key (`ssh-keygen -y -f KEYFILE` prints it) to the cluster's public_keys, or save it with tensorpool_ssh_key "+
			"before the cluster is created: a cluster gets the saved keys only when it is created.", EnvSSHPrivateKey, failure.AgentKey)
	case failure.Problem == client.IdentityRefused:
		how = "The upload copies the job's files to the cluster over ssh, which needs a private key whose public key the cluster has. " +
			"Give the key to the provider: set the " +
			EnvSSHPrivateKey + " environment variable (in Terraform Cloud, a sensitive environment variable of the workspace) or the " +
			"provider's ssh_private_key. The provider serves it to the upload commands through an SSH agent of its own, never writing it " +
			"to disk. Its public key must be on the cluster: in the cluster's public_keys, or saved with tensorpool_ssh_key before the cluster was created."
	case failure.Problem == client.HostKeyUnverified:
		how = "The provider runs the engine's commands as the engine sends them and changes nothing about host key checking: ssh looks " +
			"for the cluster's host key in ~/.ssh/known_hosts in the home directory of the user running Terraform and, in a run nobody watches, cannot " +
			"ask whether to trust it. Add the cluster's host key to that file; for Terraform Cloud, in the image of a Terraform Cloud agent."
	}
	return err.Error() + ".\n\n" + created + "\n\n" + how
}
