package provider

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// officialCLI is the official TensorPool CLI's command tree with each
// command's options [CLI] (tensorpool/tensorpool, src/tensorpool/main.py:
// the argparse parsers). Messages and docs that tell a person what to run
// must name these commands.
var officialCLI = map[string][]string{
	"cluster create":   {"-i", "--public-key", "--name", "-n", "--num-nodes", "--deletion-protection", "--wait", "--container"},
	"cluster destroy":  {"--no-input", "--wait"},
	"cluster rm":       {"--no-input", "--wait"},
	"cluster list":     {"--org", "--organization", "--instances"},
	"cluster ls":       {"--org", "--organization", "--instances"},
	"cluster info":     {},
	"cluster edit":     {"--name", "--deletion-protection"},
	"cluster attach":   {"--wait"},
	"cluster detach":   {"--wait"},
	"storage create":   {"--name", "--deletion-protection", "--wait"},
	"storage destroy":  {"--no-input", "--wait"},
	"storage rm":       {"--no-input", "--wait"},
	"storage list":     {"--org", "--organization"},
	"storage ls":       {"--org", "--organization"},
	"storage info":     {},
	"storage edit":     {"--name", "--deletion-protection", "-s", "--size"},
	"job init":         {},
	"job push":         {"--teardown"},
	"job list":         {"--org", "--organization"},
	"job ls":           {"--org", "--organization"},
	"job info":         {},
	"job cancel":       {"--wait", "--no-input"},
	"job delete":       {"--no-input"},
	"job listen":       {},
	"job pull":         {"-i", "--private-key", "--force"},
	"me sshkey add":    {"--name"},
	"me sshkey list":   {"--org", "--organization"},
	"me sshkey ls":     {"--org", "--organization"},
	"me sshkey rm":     {},
	"me sshkey remove": {},
}

// tpCommand finds a `tp …` command in text: the words after tp up to the
// end of the code span, quote or sentence.
var tpCommand = regexp.MustCompile("\\btp ((?:[a-z][a-z-]* ?){1,3})([^`\"')\n]*)")

// TestMessagesAndDocsNameTheOfficialCLIsCommands: every `tp …` command in
// the provider's and the simulator's messages, the templates the docs are
// generated from, the examples and the README is one the official CLI has,
// with options it has (`tp me sshkey list`, not `tp ssh-key list`;
// `--deletion-protection false`, not `--no-deletion-protection`).
func TestMessagesAndDocsNameTheOfficialCLIsCommands(t *testing.T) {
	_, file, _, _ := runtime.Caller(0)
	root := filepath.Join(filepath.Dir(file), "..", "..")
	checked := 0
	for _, dir := range []string{"internal", "templates", "examples", "README.md"} {
		err := filepath.WalkDir(filepath.Join(root, dir), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || strings.HasSuffix(path, "_test.go") || strings.Contains(path, "internal/testing/bench") {
				return err
			}
			if ext := filepath.Ext(path); !slices.Contains([]string{".go", ".md", ".tmpl", ".tf", ".sh"}, ext) {
				return nil
			}
			text, err := os.ReadFile(path) //nolint:gosec // the repository's own files, walked by a test
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(root, path)
			for _, m := range tpCommand.FindAllStringSubmatch(string(text), -1) {
				words := strings.Fields(m[1])
				if !slices.Contains([]string{"cluster", "storage", "job", "me", "ssh-key", "sshkey", "key", "object-storage"}, words[0]) {
					continue // prose ("tp to"), not a command
				}
				checked++
				command, rest := longestCommand(words), ""
				if command == "" {
					t.Errorf("%s: `tp %s` is not a command of the official CLI", rel, strings.TrimSpace(m[0][3:]))
					continue
				}
				rest = strings.Join(words[len(strings.Fields(command)):], " ") + " " + m[2]
				for _, word := range strings.Fields(rest) {
					if strings.HasPrefix(word, "-") && !slices.Contains(officialCLI[command], strings.TrimRight(word, ".,;:")) {
						t.Errorf("%s: `tp %s` has no option %s in the official CLI", rel, command, word)
					}
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if checked < 20 {
		t.Errorf("only %d commands found: the scan is broken", checked)
	}
}

// longestCommand is the longest prefix of words that is an official
// command, "" when none is.
func longestCommand(words []string) string {
	for n := min(3, len(words)); n > 0; n-- {
		if candidate := strings.Join(words[:n], " "); officialCLI[candidate] != nil {
			return candidate
		}
	}
	return ""
}
