package tpconfig

import (
	"reflect"
	"testing"
)

func TestWithIgnoredAddsPatternsAndKeepsEveryOtherKey(t *testing.T) {
	text := `# a comment
commands = ["python train.py", "echo 'done'"]
outputs  = ["checkpoints/"]
ignore   = ["data/", "*.tfstate"]
retries  = 3
started  = 2026-01-02T03:04:05Z

[resources]
gpus = 8
name = "x"
`
	out, err := WithIgnored(text, []string{"*.tfstate", ".terraform/"})
	if err != nil {
		t.Fatal(err)
	}
	before, err := Parse(text)
	if err != nil {
		t.Fatal(err)
	}
	after, err := Parse(out)
	if err != nil {
		t.Fatalf("rewritten text does not parse: %v\n%s", err, out)
	}
	if want := []string{"data/", "*.tfstate", ".terraform/"}; !reflect.DeepEqual(after.Ignore, want) {
		t.Errorf("ignore = %q, want %q", after.Ignore, want)
	}
	delete(before.Raw, "ignore")
	delete(after.Raw, "ignore")
	if !reflect.DeepEqual(before.Raw, after.Raw) {
		t.Errorf("other keys changed:\nbefore %#v\nafter  %#v", before.Raw, after.Raw)
	}
}

func TestWithIgnoredAddsTheKeyWhenAbsentAndLeavesCompleteConfigsAlone(t *testing.T) {
	out, err := WithIgnored(`commands = ["a"]`, TerraformFiles)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := Parse(out)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cfg.Ignore, TerraformFiles) {
		t.Errorf("ignore = %q, want %q", cfg.Ignore, TerraformFiles)
	}
	again, err := WithIgnored(out, TerraformFiles)
	if err != nil || again != out {
		t.Errorf("a config that already ignores everything was rewritten: %q, %v", again, err)
	}
}

func TestWithIgnoredRefusesInvalidConfigs(t *testing.T) {
	if _, err := WithIgnored(`commands = "not a list"`, TerraformFiles); err == nil {
		t.Error("an invalid config was accepted")
	}
}
