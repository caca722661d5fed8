package sim

import (
	"slices"
	"strings"
)

// The upload of a push. [CLI] The engine sends shell commands that the client
// runs in the directory it uploads; [INF] the real ones are rsync/ssh uploads
// of that directory minus the config's `ignore` patterns ([DOC] "paths/globs
// not uploaded"). The simulator cannot receive files, so it sends a command
// that lists what such an upload would ship: the job's UploadListing is its
// stdout, and a test reads there what left the machine.

// uploadCommand returns the POSIX sh command /job/push asks the client to run
// in its upload directory. It prints the directory (pwd), then one path per
// line, relative and without a leading "./", for every file and directory
// that an rsync upload with `--exclude PATTERN` for each ignore pattern would
// ship, recursively. It needs only sh, find and sed, in their POSIX forms
// (GNU and busybox alike); symbolic links are listed, not followed. A path
// containing a newline prints on two lines.
//
// Like a real upload, it fails when any of its tools fails: find's listing
// is taken with $(…), whose status is find's, before sed reads it, because in
// `find … | sed …` the status would be sed's alone (POSIX sh has no
// pipefail), and a machine without find would "upload" an empty listing.
//
// [INF] rsync's exclude rules, as far as find can express them:
//   - a pattern without "/" matches a name at any depth ("*.tfstate");
//   - a trailing "/" matches directories only (".terraform/");
//   - a leading "/" anchors at the top of the upload ("/data");
//   - any other "/" makes the pattern match the end of the path at a name
//     boundary ("cache/*.bin" is any cache/*.bin at any depth);
//   - "*", "?" and "[…]" are globs that do not match "/", "**" matches
//     anything including "/";
//   - an excluded directory excludes everything beneath it (find -prune);
//   - a pattern with none of "*?[" matches literally, backslashes included.
//
// Known differences from rsync: in a pattern with "**", every "*" matches
// "/" (find -path globs); a pattern made only of slashes is skipped. [INF]
// like the rest: the real engine's upload is not published.
func uploadCommand(ignore []string) string {
	var rules []string
	for _, p := range ignore {
		if r := excludeRule(p); r != "" {
			rules = append(rules, r)
		}
	}
	// The top directory itself is neither tested nor printed.
	expr := "-path . -o"
	if len(rules) > 0 {
		expr += ` \( ` + strings.Join(rules, " -o ") + ` \) -prune -o`
	}
	return `pwd && listing=$(find . ` + expr + ` -print) && { [ -z "$listing" ] || printf '%s\n' "$listing" | sed 's|^\./||'; }`
}

// checkPushTargetKeys is checkPushTargetLocked for callers without the lock;
// it also returns the public keys the cluster accepts (for identityCheck).
func (e *Engine) checkPushTargetKeys(user, clusterID string) ([]string, error) {
	e.lockSettled()
	defer e.mu.Unlock()
	if err := e.checkPushTargetLocked(user, clusterID); err != nil {
		return nil, err
	}
	return slices.Clone(e.clusters[clusterID].publicKeys), nil
}

// identityCheck is the part of the upload command that the engine sends
// first when Faults.UploadNeedsSSHIdentity is set. [INF] A real upload runs
// ssh to the cluster, which accepts only the identities whose public keys it
// has: the cluster's public_keys and the keys saved before it was claimed. The
// simulator has no ssh server, so the command asks the SSH agent of the
// machine running it for its identities (`ssh-add -L`) and fails as ssh
// would, exit 255 with "Permission denied (publickey).", unless one of them
// is authorized. A machine without ssh-add fails as a shell does for a
// missing tool (exit 127, "ssh-add: not found"). Only the key's base64 blob
// is compared: comments differ between a key file and an agent's listing.
func identityCheck(authorized []string) string {
	const refuse = `echo 'Permission denied (publickey).' >&2; exit 255`
	check := `command -v ssh-add >/dev/null || exec ssh-add; keys=$(ssh-add -L 2>/dev/null); `
	var patterns []string
	for _, key := range authorized {
		if fields := strings.Fields(key); len(fields) >= 2 {
			patterns = append(patterns, "*"+shellQuote(fields[1])+"*")
		}
	}
	if len(patterns) == 0 {
		return check + refuse + "; "
	}
	return check + "case $keys in " + strings.Join(patterns, "|") + ") ;; *) " + refuse + ";; esac; "
}

// excludeRule turns one ignore pattern into a parenthesised find test that
// is true for the paths the pattern excludes, or "" for an empty pattern.
// Every pattern-derived word is single-quoted: the config is user text.
func excludeRule(pattern string) string {
	p := pattern
	dirOnly := strings.HasSuffix(p, "/")
	p = strings.TrimRight(p, "/")
	anchored := strings.HasPrefix(p, "/")
	p = strings.TrimLeft(p, "/")
	if p == "" {
		return ""
	}
	if !strings.ContainsAny(p, "*?[") {
		// rsync compares a pattern without wildcards as a plain string; find
		// would read its backslashes as escapes.
		p = strings.ReplaceAll(p, `\`, `\\`)
	}
	doubleStar := strings.Contains(p, "**")
	slash := strings.Contains(p, "/")

	var tests []string
	if dirOnly {
		tests = append(tests, "-type d")
	}
	switch {
	case !anchored && !slash && !doubleStar:
		tests = append(tests, "-name "+shellQuote(p))
	case anchored:
		tests = append(tests, "-path "+shellQuote("./"+p))
		if !doubleStar {
			// find's globs match "/", rsync's do not: a path with as many
			// names as the pattern can only match it name by name.
			names := strings.Count(p, "/") + 1
			deeper := "./" + strings.TrimSuffix(strings.Repeat("*/", names+1), "/")
			tests = append(tests, "! -path "+shellQuote(deeper))
		}
	default:
		tests = append(tests, "-path "+shellQuote("*/"+p))
		if slash && !doubleStar && strings.ContainsAny(p, "*?[") {
			// find's globs match "/", rsync's do not: match the path's last
			// names one by one against the pattern's, last first.
			tests = append(tests, "-exec sh -c "+shellQuote(lastNamesMatch)+" sh '{}'")
			names := strings.Split(p, "/")
			for i := len(names) - 1; i >= 0; i-- {
				tests = append(tests, shellQuote(names[i]))
			}
			tests = append(tests, "';'")
		}
	}
	return `\( ` + strings.Join(tests, " ") + ` \)`
}

// lastNamesMatch is an sh script: it exits 0 when the last names of the path
// $1 match the glob patterns $2, $3, … (last name first). A pattern from a
// parameter expansion is a glob in a case pattern but never shell syntax, so
// no pattern text is ever parsed as a command.
const lastNamesMatch = `p=$1; shift; for pat; do case ${p##*/} in $pat) ;; *) exit 1;; esac; p=${p%/*}; done`

// shellQuote makes s one single-quoted sh word, whatever it contains.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
