package main

import (
	"bytes"
	"strings"
	"testing"
)

func TestBadArgumentsExit2(t *testing.T) {
	for _, args := range [][]string{
		{"-no-such-flag"}, {"extra"},
		{"-terraform", "/nonexistent", "-only", "lag,nope"},
		{"-terraform", "/nonexistent", "-env", "NOEQUALS"},
	} {
		var out, errOut bytes.Buffer
		if code := run(args, &out, &errOut); code != 2 {
			t.Errorf("run(%q) = %d, want 2 (stderr %q)", args, code, errOut.String())
		}
		if out.Len() != 0 {
			t.Errorf("run(%q) wrote to stdout: %q", args, out.String())
		}
	}
}

func TestHelpExits0(t *testing.T) {
	var out, errOut bytes.Buffer
	if code := run([]string{"-h"}, &out, &errOut); code != 0 {
		t.Errorf("-h exited %d", code)
	}
	for _, flag := range []string{"-quick", "-terraform", "-json", "BENCH_JSON"} {
		if !strings.Contains(errOut.String(), flag) {
			t.Errorf("the usage does not mention %s:\n%s", flag, errOut.String())
		}
	}
}
