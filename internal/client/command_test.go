package client

import (
	"context"
	"os"
	"runtime"
	"slices"
	"strings"
	"testing"
)

func TestShellRunnerPassesOnlyTheAllowedEnvironment(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("uses the Unix env command")
	}
	t.Setenv("TENSORPOOL_KEY", testKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", "aws-secret-value")
	t.Setenv("TF_VAR_password", "tf-secret-value")
	t.Setenv("LC_TESTING", "kept-locale")
	t.Setenv("SSH_AUTH_SOCK", "/tmp/agent.sock")
	code, stdout, stderr := ShellRunner{}.Run(context.Background(), t.TempDir(), "env")
	if code != 0 {
		t.Fatalf("env exited %d: %s", code, stderr)
	}
	for _, secret := range []string{"TENSORPOOL_KEY", testKey, "AWS_SECRET_ACCESS_KEY", "aws-secret-value", "TF_VAR_password", "tf-secret-value"} {
		if strings.Contains(stdout, secret) {
			t.Errorf("the command saw %q:\n%s", secret, stdout)
		}
	}
	lines := strings.Split(stdout, "\n")
	for _, want := range []string{"PATH=" + os.Getenv("PATH"), "LC_TESTING=kept-locale", "SSH_AUTH_SOCK=/tmp/agent.sock"} {
		if !slices.Contains(lines, want) {
			t.Errorf("the command did not get %s:\n%s", want, stdout)
		}
	}
}

func TestCommandEnvKeepsOnlyTheListedNames(t *testing.T) {
	environ := []string{
		"PATH=/bin", "HOME=/home/u", "LC_ALL=C", "LANG=en_US.UTF-8", "TMPDIR=/tmp", "SSH_AGENT_PID=42",
		"TENSORPOOL_KEY=k", "AWS_ACCESS_KEY_ID=a", "GOOGLE_APPLICATION_CREDENTIALS=/c.json", "TF_LOG=trace",
		"PATHX=/nope", "XPATH=/nope", "LC=nope", "=weird", "noequals",
	}
	got := commandEnv(environ)
	want := []string{"PATH=/bin", "HOME=/home/u", "LC_ALL=C", "LANG=en_US.UTF-8", "TMPDIR=/tmp", "SSH_AGENT_PID=42"}
	if !slices.Equal(got, want) {
		t.Errorf("commandEnv = %q, want %q", got, want)
	}
	names := CommandEnvironment()
	for _, name := range []string{"PATH", "HOME", "USER", "LOGNAME", "SHELL", "SSH_AUTH_SOCK", "SSH_AGENT_PID", "LANG", "LANGUAGE", "LC_*", "TMPDIR", "TMP", "TEMP", "TERM", "TZ"} {
		if !slices.Contains(names, name) {
			t.Errorf("CommandEnvironment lacks %s", name)
		}
	}
	names[0] = "CHANGED"
	if CommandEnvironment()[0] == "CHANGED" {
		t.Error("CommandEnvironment returns shared state")
	}
}
