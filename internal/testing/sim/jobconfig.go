package sim

import (
	"errors"
	"fmt"
	"strings"

	"github.com/pelletier/go-toml/v2"
)

// The engine's reading of the tp_config text of a push. This is the
// simulator's own model of the engine, written from the docs: it must not
// share code with the provider's config check, so that a bug there cannot
// hide behind the same code on both sides.
//
// [DOC] The text is TOML with `commands` (an array of shell commands run in
// order), `outputs` (files, directories or globs kept after the job) and
// `ignore` (paths or globs not uploaded). Other keys are unknown: the engine
// accepts them and the simulator ignores them.

// jobConfig is the part of a tp_config the engine acts on.
type jobConfig struct {
	commands []string
	outputs  []string
	ignore   []string
}

// parseJobConfig reads a tp_config as the engine would. Every refusal is
// [INF]: the docs define the keys, not what the engine answers to a text
// that misuses them. The simulator refuses what a job could not run with:
// text that is not TOML, no commands, and a known key of the wrong type.
func parseJobConfig(text string) (jobConfig, error) {
	var doc map[string]any
	if err := toml.Unmarshal([]byte(text), &doc); err != nil {
		var de *toml.DecodeError
		if errors.As(err, &de) {
			line, col := de.Position()
			return jobConfig{}, fmt.Errorf("line %d, column %d: %s", line, col, de.Error())
		}
		return jobConfig{}, err
	}
	var cfg jobConfig
	var err error
	raw, ok := doc["commands"]
	if !ok {
		return jobConfig{}, errors.New("no commands: the config must list the commands to run")
	}
	if cfg.commands, err = stringArray("commands", raw); err != nil {
		return jobConfig{}, err
	}
	if len(cfg.commands) == 0 {
		return jobConfig{}, errors.New("commands is empty: the config must list at least one command")
	}
	if raw, ok := doc["outputs"]; ok {
		if cfg.outputs, err = stringArray("outputs", raw); err != nil {
			return jobConfig{}, err
		}
	}
	if raw, ok := doc["ignore"]; ok {
		if cfg.ignore, err = stringArray("ignore", raw); err != nil {
			return jobConfig{}, err
		}
		for i, p := range cfg.ignore {
			// No shell command can carry a NUL byte, so no upload could
			// honour such a pattern.
			if strings.ContainsRune(p, 0) {
				return jobConfig{}, fmt.Errorf("ignore[%d] contains a NUL character", i)
			}
		}
	}
	return cfg, nil
}

// stringArray reads a TOML array of strings.
func stringArray(key string, v any) ([]string, error) {
	items, ok := v.([]any)
	if !ok {
		return nil, fmt.Errorf("%s must be an array of strings, not %T", key, v)
	}
	out := make([]string, len(items))
	for i, item := range items {
		s, ok := item.(string)
		if !ok {
			return nil, fmt.Errorf("%s[%d] must be a string, not %T", key, i, item)
		}
		out[i] = s
	}
	return out, nil
}
