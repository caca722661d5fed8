package provider

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"

	"github.com/hashicorp/terraform-plugin-framework/attr"
	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-framework/types/basetypes"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// sshKeyTypes are the OpenSSH public key types the engine is known to take.
var sshKeyTypes = []string{
	"ssh-ed25519", "ssh-rsa",
	"ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
	"sk-ssh-ed25519@openssh.com", "sk-ecdsa-sha2-nistp256@openssh.com",
}

// openSSHPublicKey is one `<type> <base64> [comment]` line, parsed.
type openSSHPublicKey struct {
	Type, Data, Comment string
}

// material is what identifies the key: its type and data. The comment is a
// label that a cluster's authorized_keys does not need.
func (k openSSHPublicKey) material() string { return k.Type + " " + k.Data }

// parseOpenSSHPublicKey reads a public key line as ssh-keygen writes it to
// a .pub file, surrounding whitespace (file()'s trailing newline) ignored.
// The error says, for a person, what is wrong with the text.
func parseOpenSSHPublicKey(text string) (openSSHPublicKey, error) {
	line := strings.TrimSpace(text)
	switch {
	case line == "":
		return openSSHPublicKey{}, fmt.Errorf("it is empty")
	case strings.Contains(line, "PRIVATE KEY"):
		return openSSHPublicKey{}, fmt.Errorf("it is a private key, which must never leave your machine; use the public half, the `.pub` file")
	case strings.HasPrefix(line, "---- BEGIN SSH2 PUBLIC KEY"):
		return openSSHPublicKey{}, fmt.Errorf("it is in the RFC 4716 (SSH2) format; `ssh-keygen -i -f KEY.pub` converts it to the OpenSSH format")
	case strings.ContainsAny(line, "\r\n"):
		return openSSHPublicKey{}, fmt.Errorf("it holds several lines; one tensorpool_ssh_key holds one key")
	}
	fields := strings.Fields(line)
	if len(fields) < 2 {
		return openSSHPublicKey{}, fmt.Errorf("it has no key data after %q", fields[0])
	}
	key := openSSHPublicKey{Type: fields[0], Data: fields[1], Comment: strings.Join(fields[2:], " ")}
	if !slices.Contains(sshKeyTypes, key.Type) {
		return openSSHPublicKey{}, fmt.Errorf("it starts with %q, which is not a known key type (%s)", key.Type, strings.Join(sshKeyTypes, ", "))
	}
	blob, err := base64.StdEncoding.DecodeString(key.Data)
	if err != nil {
		return openSSHPublicKey{}, fmt.Errorf("its key data is not valid base64 (%w): was it cut or wrapped?", err)
	}
	// The data starts with the key type, length-prefixed (RFC 4253 §6.6),
	// which catches a key whose type was edited and data that is no key.
	if len(blob) < 4 || int64(binary.BigEndian.Uint32(blob)) != int64(len(key.Type)) || !bytes.HasPrefix(blob[4:], []byte(key.Type)) {
		return openSSHPublicKey{}, fmt.Errorf("its key data is not a %s key", key.Type)
	}
	return key, nil
}

// String is the key as ssh-keygen writes it: fields separated by one space.
func (k openSSHPublicKey) String() string {
	if k.Comment == "" {
		return k.material()
	}
	return k.material() + " " + k.Comment
}

// canonicalPublicKey is the text sent to the engine: the key line without
// surrounding whitespace (file()'s newline) or runs of spaces, which a
// strict engine could refuse.
func canonicalPublicKey(text string) string {
	key, err := parseOpenSSHPublicKey(text)
	if err != nil {
		return strings.TrimSpace(text) // validated at plan time; the engine judges the rest
	}
	return key.String()
}

// sameKeyMaterial reports whether two public_key texts are the same key:
// the same type and data. Text that does not parse is compared trimmed.
func sameKeyMaterial(a, b string) bool {
	ka, errA := parseOpenSSHPublicKey(a)
	kb, errB := parseOpenSSHPublicKey(b)
	if errA != nil || errB != nil {
		return strings.TrimSpace(a) == strings.TrimSpace(b)
	}
	return ka.material() == kb.material()
}

const publicKeyExpected = "public_key must be one OpenSSH public key line, `<type> <base64 key data> [comment]`, such as the content " +
	"of ~/.ssh/id_ed25519.pub: `public_key = file(\"~/.ssh/id_ed25519.pub\")`."

// publicKeyValidator checks public_key at plan time, so that a wrong file
// fails `terraform plan` instead of the engine's add.
type publicKeyValidator struct{}

func (publicKeyValidator) Description(context.Context) string {
	return "must be an OpenSSH public key line of type " + strings.Join(sshKeyTypes, ", ")
}

func (v publicKeyValidator) MarkdownDescription(ctx context.Context) string {
	return v.Description(ctx)
}

func (publicKeyValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if _, err := parseOpenSSHPublicKey(req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid SSH public key", fmt.Sprintf("%s The value given cannot be used: %s.", publicKeyExpected, err))
	}
}

// sshPublicKeyType is the type of `public_key`: a string compared by key
// material (semantic equality), so that the trailing newline of file(), a
// CRLF or a changed comment never replaces the key.
type sshPublicKeyType struct{ basetypes.StringType }

var _ basetypes.StringTypable = sshPublicKeyType{}

func (t sshPublicKeyType) Equal(o attr.Type) bool {
	_, ok := o.(sshPublicKeyType)
	return ok
}

func (t sshPublicKeyType) String() string { return "sshPublicKeyType" }

func (t sshPublicKeyType) ValueType(context.Context) attr.Value { return sshPublicKeyValue{} }

func (t sshPublicKeyType) ValueFromString(_ context.Context, in basetypes.StringValue) (basetypes.StringValuable, diag.Diagnostics) {
	return sshPublicKeyValue{StringValue: in}, nil
}

func (t sshPublicKeyType) ValueFromTerraform(ctx context.Context, in tftypes.Value) (attr.Value, error) {
	return stringValueFromTerraform(ctx, t.StringType, in, func(s basetypes.StringValue) attr.Value { return sshPublicKeyValue{StringValue: s} })
}

// sshPublicKeyValue is a `public_key` value.
type sshPublicKeyValue struct{ basetypes.StringValue }

var _ basetypes.StringValuableWithSemanticEquals = sshPublicKeyValue{}

func (v sshPublicKeyValue) Type(context.Context) attr.Type { return sshPublicKeyType{} }

func (v sshPublicKeyValue) Equal(o attr.Value) bool {
	other, ok := o.(sshPublicKeyValue)
	return ok && v.StringValue.Equal(other.StringValue)
}

// StringSemanticEquals: two texts are the same key when they have the same
// type and key data (sameKeyMaterial).
func (v sshPublicKeyValue) StringSemanticEquals(_ context.Context, newValuable basetypes.StringValuable) (bool, diag.Diagnostics) {
	newValue, ok := newValuable.(sshPublicKeyValue)
	if !ok {
		return false, nil
	}
	return sameKeyMaterial(v.ValueString(), newValue.ValueString()), nil
}

// keepEquivalentPublicKey plans the prior public_key when the configured
// one is the same key, so that the plan shows no change.
var keepEquivalentPublicKey = keepEquivalentPrior{wrap: func(s types.String) basetypes.StringValuableWithSemanticEquals {
	return sshPublicKeyValue{StringValue: s}
}}
