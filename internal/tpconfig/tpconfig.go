// Package tpconfig checks the text of a TensorPool job configuration
// (a `.tp.toml` file) the way the engine will read it: valid TOML with a
// non-empty `commands` list of strings. Every other key is passed through
// untouched, because the engine's full schema is not published.
package tpconfig

import (
	"errors"
	"fmt"
	"strings"

	"github.com/pelletier/go-toml/v2"
)

// Error describes why a configuration text was refused. Line and Column are
// 1-based and zero when the problem is not tied to a position.
type Error struct {
	Line    int
	Column  int
	Message string
	// Excerpt is the offending line of the text, when known.
	Excerpt string
}

func (e *Error) Error() string {
	if e.Line > 0 {
		msg := fmt.Sprintf("line %d, column %d: %s", e.Line, e.Column, e.Message)
		if e.Excerpt != "" {
			msg += fmt.Sprintf("\n  %d | %s", e.Line, e.Excerpt)
		}
		return msg
	}
	return e.Message
}

// Config is the part of a job configuration the provider understands.
type Config struct {
	Commands []string
	Outputs  []string
	Ignore   []string
	// Raw holds every key of the document, known or not.
	Raw map[string]any
}

// Parse validates text and returns the understood fields.
func Parse(text string) (*Config, error) {
	raw := map[string]any{}
	if err := toml.Unmarshal([]byte(text), &raw); err != nil {
		var decodeErr *toml.DecodeError
		if errors.As(err, &decodeErr) {
			line, col := decodeErr.Position()
			return nil, &Error{Line: line, Column: col, Message: decodeErr.Error(), Excerpt: lineOf(text, line)}
		}
		return nil, &Error{Message: err.Error()}
	}
	cfg := &Config{Raw: raw}
	value, ok := raw["commands"]
	if !ok {
		return nil, &Error{Message: "the `commands` key is missing: add `commands = [\"python train.py\"]` with at least one shell command"}
	}
	var err error
	if cfg.Commands, err = stringList("commands", value); err != nil {
		return nil, err
	}
	if len(cfg.Commands) == 0 {
		return nil, &Error{Message: "the `commands` list is empty: add at least one shell command to run on the cluster"}
	}
	for i, c := range cfg.Commands {
		if strings.TrimSpace(c) == "" {
			return nil, &Error{Message: fmt.Sprintf("`commands[%d]` is an empty string: every command must be a non-empty shell command", i)}
		}
	}
	if v, ok := raw["outputs"]; ok {
		if cfg.Outputs, err = stringList("outputs", v); err != nil {
			return nil, err
		}
	}
	if v, ok := raw["ignore"]; ok {
		if cfg.Ignore, err = stringList("ignore", v); err != nil {
			return nil, err
		}
	}
	return cfg, nil
}

// Validate reports whether text is a configuration the engine can run.
func Validate(text string) error {
	_, err := Parse(text)
	return err
}

func stringList(key string, value any) ([]string, error) {
	items, ok := value.([]any)
	if !ok {
		return nil, &Error{Message: fmt.Sprintf("`%s` must be a list of strings, got %s", key, typeName(value))}
	}
	out := make([]string, 0, len(items))
	for i, item := range items {
		s, ok := item.(string)
		if !ok {
			return nil, &Error{Message: fmt.Sprintf("`%s[%d]` must be a string, got %s", key, i, typeName(item))}
		}
		out = append(out, s)
	}
	return out, nil
}

func typeName(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case int64, float64:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "a list"
	case map[string]any:
		return "a table"
	default:
		return fmt.Sprintf("%T", v)
	}
}

func lineOf(text string, line int) string {
	lines := strings.Split(text, "\n")
	if line < 1 || line > len(lines) {
		return ""
	}
	return strings.TrimRight(lines[line-1], "\r")
}
