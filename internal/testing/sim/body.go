package sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
)

// JSON request bodies, validated as FastAPI/pydantic would: each problem is
// one ValidationError of a 422 {"detail": [...]} answer, located at
// ["body", field] (or ["body", field, index]). [DOC] the HTTPValidationError
// shape; [INF] which fields each route requires and the exact messages (those
// of pydantic v2). Fields the model does not know are ignored, as FastAPI
// does by default.

// maxBodyBytes bounds a request body.
const maxBodyBytes = 1 << 20

// jsonBody is a decoded JSON object body and the validation errors so far.
type jsonBody struct {
	fields map[string]json.RawMessage
	errs   []fieldError
	// invalid is set when the body itself is refused: then the field
	// accessors report nothing more, as pydantic stops at the body.
	invalid bool
}

// readJSONBody decodes the body as a JSON object. A missing, invalid or
// non-object body is itself a validation error.
func readJSONBody(r *http.Request) *jsonBody {
	b := &jsonBody{fields: map[string]json.RawMessage{}}
	data, err := io.ReadAll(io.LimitReader(r.Body, maxBodyBytes))
	switch {
	case err != nil:
		b.fail([]any{"body"}, "Error reading the body", "body_read")
	case len(bytes.TrimSpace(data)) == 0:
		b.fail([]any{"body"}, "Field required", "missing")
	case !json.Valid(data):
		b.fail([]any{"body", 0}, "JSON decode error", "json_invalid")
	default:
		var fields map[string]json.RawMessage
		if json.Unmarshal(data, &fields) != nil || fields == nil {
			b.fail([]any{"body"}, "Input should be a valid dictionary or object to extract fields from", "model_attributes_type")
		} else {
			b.fields = fields
		}
	}
	b.invalid = len(b.errs) > 0
	return b
}

func (b *jsonBody) fail(loc []any, msg, typ string) {
	b.errs = append(b.errs, fieldError{Loc: loc, Msg: msg, Type: typ})
}

// present reports whether the field is given and not null.
func (b *jsonBody) present(name string) bool {
	raw, ok := b.fields[name]
	return ok && string(bytes.TrimSpace(raw)) != "null"
}

// missing records a missing required field (unless the body itself was
// refused: then every field is absent).
func (b *jsonBody) missing(name string) {
	if !b.invalid {
		b.fail([]any{"body", name}, "Field required", "missing")
	}
}

// str returns a string field; nil when absent or null. A required field
// that is absent is an error; null for a required field is a type error.
func (b *jsonBody) str(name string, required bool) *string {
	raw, ok := b.fields[name]
	if !ok {
		if required {
			b.missing(name)
		}
		return nil
	}
	if !b.present(name) && !required {
		return nil
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		b.fail([]any{"body", name}, "Input should be a valid string", "string_type")
		return nil
	}
	return &s
}

// integer returns an integer field that must be ≥ minimum; nil when absent
// or null (an error when required). Pydantic accepts 2.0 for an int.
func (b *jsonBody) integer(name string, required bool, minimum int64) *int64 {
	raw, ok := b.fields[name]
	if !ok || (!b.present(name) && !required) {
		if !ok && required {
			b.missing(name)
		}
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if dec.Decode(&v) != nil {
		b.fail([]any{"body", name}, "Input should be a valid integer", "int_type")
		return nil
	}
	f, isNum := v.(json.Number)
	if !isNum {
		b.fail([]any{"body", name}, "Input should be a valid integer", "int_type")
		return nil
	}
	n, err := f.Int64()
	if err != nil {
		x, ferr := f.Float64()
		if ferr != nil || x != float64(int64(x)) {
			b.fail([]any{"body", name}, "Input should be a valid integer, got a number with a fractional part", "int_from_float")
			return nil
		}
		n = int64(x)
	}
	if n < minimum {
		b.fail([]any{"body", name}, fmt.Sprintf("Input should be greater than or equal to %d", minimum), "greater_than_equal")
		return nil
	}
	return &n
}

// boolean returns an optional boolean field; nil when absent or null.
func (b *jsonBody) boolean(name string) *bool {
	if !b.present(name) {
		return nil
	}
	var v bool
	if json.Unmarshal(b.fields[name], &v) != nil {
		b.fail([]any{"body", name}, "Input should be a valid boolean", "bool_type")
		return nil
	}
	return &v
}

// strList returns a list of strings; nil when absent or null (an error
// when required). Each item that is not a string is an error at its index.
func (b *jsonBody) strList(name string, required bool) []string {
	raw, ok := b.fields[name]
	if !ok || !b.present(name) {
		if required {
			if !ok {
				b.missing(name)
			} else {
				b.fail([]any{"body", name}, "Input should be a valid list", "list_type")
			}
		}
		return nil
	}
	var items []json.RawMessage
	if json.Unmarshal(raw, &items) != nil {
		b.fail([]any{"body", name}, "Input should be a valid list", "list_type")
		return nil
	}
	out := make([]string, 0, len(items))
	for i, it := range items {
		var s string
		if json.Unmarshal(it, &s) != nil {
			b.fail([]any{"body", name, i}, "Input should be a valid string", "string_type")
			continue
		}
		out = append(out, s)
	}
	return out
}

// publicKeyPattern is the accepted form of an SSH public key: a known key
// type, base64 key material and an optional comment. [INF]
var publicKeyPattern = regexp.MustCompile(`^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com) [A-Za-z0-9+/]+={0,3}( .*)?$`)

// validPublicKey reports whether s looks like an OpenSSH public key line.
func validPublicKey(s string) bool {
	return publicKeyPattern.MatchString(strings.TrimSpace(s)) && !strings.ContainsAny(strings.TrimSpace(s), "\n\r")
}

// publicKeyError is the ValidationError of a malformed key at loc.
func publicKeyError(loc []any) fieldError {
	return fieldError{
		Loc:  loc,
		Msg:  "Value error, not an SSH public key: want \"ssh-ed25519|ssh-rsa|ecdsa-sha2-* <base64> [comment]\"",
		Type: "value_error",
	}
}
