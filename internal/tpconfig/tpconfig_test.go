package tpconfig

import (
	"errors"
	"strings"
	"testing"
)

func TestParseKeepsUnknownKeys(t *testing.T) {
	cfg, err := Parse("commands = [\"python train.py\", \"echo done\"]\noutputs = [\"out/\"]\nignore = [\".git\"]\n[future]\ngpus = 8\n")
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Commands) != 2 || cfg.Outputs[0] != "out/" || cfg.Ignore[0] != ".git" {
		t.Errorf("cfg = %+v", cfg)
	}
	if _, ok := cfg.Raw["future"]; !ok {
		t.Error("unknown tables must be kept")
	}
}

func TestParseErrorsNameTheProblem(t *testing.T) {
	cases := map[string]string{
		"commands = [\"x\"\nbroken = ":        "line 2",
		"outputs = []":                        "`commands` key is missing",
		"commands = []":                       "`commands` list is empty",
		"commands = \"python x.py\"":          "`commands` must be a list of strings, got a string",
		"commands = [1]":                      "`commands[0]` must be a string, got a number",
		"commands = [\"  \"]":                 "`commands[0]` is an empty string",
		"commands = [\"x\"]\noutputs = 3":     "`outputs` must be a list of strings",
		"commands = [\"x\"]\nignore = [true]": "`ignore[0]` must be a string, got a boolean",
	}
	for text, want := range cases {
		err := Validate(text)
		var cfgErr *Error
		if !errors.As(err, &cfgErr) || !strings.Contains(err.Error(), want) {
			t.Errorf("Validate(%q) = %v, want %q", text, err, want)
		}
	}
}

func TestSyntaxErrorQuotesTheLine(t *testing.T) {
	err := Validate("commands = [\"ok\"]\noutputs = [\"a\",, \"b\"]\n")
	var cfgErr *Error
	if !errors.As(err, &cfgErr) || cfgErr.Line != 2 || cfgErr.Excerpt != `outputs = ["a",, "b"]` {
		t.Fatalf("err = %#v", err)
	}
	if !strings.Contains(err.Error(), `2 | outputs = ["a",, "b"]`) {
		t.Errorf("message does not quote the line: %v", err)
	}
}

// FuzzValidate: any text gives a verdict, never a panic, and every refusal is
// an *Error with a position inside the text.
func FuzzValidate(f *testing.F) {
	for _, seed := range []string{"", "commands = [\"x\"]", "commands = [", "a = 1\n[b]\nc = [1, \"x\"]", "commands = [\"\\u0000\"]", "\"\" = 1", "commands = [[\"x\"]]"} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		cfg, err := Parse(text)
		if err == nil {
			if len(cfg.Commands) == 0 {
				t.Fatal("accepted a config without commands")
			}
			return
		}
		var cfgErr *Error
		if !errors.As(err, &cfgErr) {
			t.Fatalf("untyped error %T: %v", err, err)
		}
		if cfgErr.Line > strings.Count(text, "\n")+1 {
			t.Fatalf("line %d is outside the text", cfgErr.Line)
		}
	})
}
