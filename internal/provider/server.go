package provider

import (
	"context"
	"encoding/json"
	"fmt"
	"math/big"
	"strconv"
	"sync"

	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// NewServer is the provider's protocol-6 server, as main.go serves it: the
// framework's server with refreshed states sent as JSON (see
// jsonRefreshServer).
func NewServer(version string, opts Options) func() (tfprotov6.ProviderServer, error) {
	inner := providerserver.NewProtocol6WithError(New(version, opts)())
	return func() (tfprotov6.ProviderServer, error) {
		server, err := inner()
		if err != nil {
			return nil, err
		}
		full, ok := server.(frameworkServer)
		if !ok {
			return nil, fmt.Errorf("the framework's server %T lacks actions, list resources or state stores", server)
		}
		return &jsonRefreshServer{frameworkServer: full}, nil
	}
}

// frameworkServer is every RPC the framework's server answers: the wrapper
// must forward the optional ones too, which the plugin server finds by type
// assertion (the cancel action among them). The interfaces are deprecated
// only because a later terraform-plugin-go folds them into ProviderServer;
// until then they are how the plugin server finds those RPCs.
type frameworkServer interface {
	tfprotov6.ProviderServerWithActions      //nolint:staticcheck // see above
	tfprotov6.ProviderServerWithListResource //nolint:staticcheck // see above
	tfprotov6.ProviderServerWithStateStores  //nolint:staticcheck // see above
}

// jsonRefreshServer answers ReadResource with the new state encoded as JSON
// instead of MessagePack; everything else is the framework's.
//
// Why: Terraform 1.10 and 1.11 (seen on 1.11.4; hashicorp/terraform#36403
// reports it on 1.10.5) decide whether a refresh-only plan has
// anything to apply (the exit code of `plan -refresh-only
// -detailed-exitcode`) with reflect.DeepEqual over the state objects,
// including the decoded values they cache. The previous run's state is
// decoded from JSON, where a number is parsed at 512 bits of precision; a
// refreshed state sent as MessagePack carries an integer, decoded at 64
// bits. Equal numbers then compare unequal, and a refresh-only plan that
// prints "No changes" exits 2 for every resource with a non-null number
// (a job's exit_code, a cluster's node count). A refreshed state sent as JSON
// is decoded exactly as the previous run's state was, so unchanged objects
// compare equal. Later versions compare values, not their representations
// (1.16.0 does: its states have Equal methods); every Terraform and
// OpenTofu version accepts JSON here (the protocol's DynamicValue has both
// forms).
type jsonRefreshServer struct {
	frameworkServer

	typesOnce sync.Once
	types     map[string]tftypes.Type // resource type name → state type
}

func (s *jsonRefreshServer) ReadResource(ctx context.Context, req *tfprotov6.ReadResourceRequest) (*tfprotov6.ReadResourceResponse, error) {
	resp, err := s.frameworkServer.ReadResource(ctx, req)
	if err != nil || resp == nil || resp.NewState == nil || len(resp.NewState.MsgPack) == 0 {
		return resp, err
	}
	typ, ok := s.stateType(ctx, req.TypeName)
	if !ok {
		return resp, nil
	}
	if encoded, ok := stateAsJSON(*resp.NewState, typ); ok {
		resp.NewState = &tfprotov6.DynamicValue{JSON: encoded}
	}
	return resp, nil
}

// stateType is the state type of a managed resource, from the provider's
// own schema (read once).
func (s *jsonRefreshServer) stateType(ctx context.Context, typeName string) (tftypes.Type, bool) {
	s.typesOnce.Do(func() {
		s.types = map[string]tftypes.Type{}
		resp, err := s.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
		if err != nil || resp == nil {
			return
		}
		for name, schema := range resp.ResourceSchemas {
			s.types[name] = schema.ValueType()
		}
	})
	typ, ok := s.types[typeName]
	return typ, ok
}

// stateAsJSON re-encodes a MessagePack state as JSON; ok is false when the
// value holds something JSON cannot say as Terraform would read it (an
// unknown value), and then the state is left as it was.
func stateAsJSON(state tfprotov6.DynamicValue, typ tftypes.Type) ([]byte, bool) {
	value, err := state.Unmarshal(typ)
	if err != nil {
		return nil, false
	}
	return appendJSON(make([]byte, 0, 2*len(state.MsgPack)), value, typ)
}

// appendJSON appends Terraform's JSON form of a known value whose schema
// type is typ. The schema type, not the value's, decides: a value of a
// dynamic attribute (triggers_replace) has a concrete type of its own, and
// its JSON form names that type next to the value.
func appendJSON(buf []byte, v tftypes.Value, typ tftypes.Type) ([]byte, bool) {
	if !v.IsKnown() {
		return nil, false
	}
	if v.IsNull() {
		return append(buf, "null"...), true
	}
	switch {
	case typ.Is(tftypes.DynamicPseudoType):
		// Terraform's JSON form of a dynamic value names its type, in the
		// form only tftypes writes.
		typeJSON, err := v.Type().MarshalJSON() //nolint:staticcheck // no other API writes a type's JSON form
		if err != nil {
			return nil, false
		}
		buf = append(buf, `{"value":`...)
		var ok bool
		if buf, ok = appendJSON(buf, v, v.Type()); !ok {
			return nil, false
		}
		return append(append(append(buf, `,"type":`...), typeJSON...), '}'), true
	case typ.Is(tftypes.String):
		var s string
		if v.As(&s) != nil {
			return nil, false
		}
		quoted, err := json.Marshal(s)
		return append(buf, quoted...), err == nil
	case typ.Is(tftypes.Bool):
		var b bool
		if v.As(&b) != nil {
			return nil, false
		}
		return strconv.AppendBool(buf, b), true
	case typ.Is(tftypes.Number):
		var n big.Float
		if v.As(&n) != nil {
			return nil, false
		}
		text, ok := numberText(&n)
		return append(buf, text...), ok
	case typ.Is(tftypes.List{}), typ.Is(tftypes.Set{}), typ.Is(tftypes.Tuple{}):
		var elems []tftypes.Value
		if v.As(&elems) != nil {
			return nil, false
		}
		buf = append(buf, '[')
		for i, e := range elems {
			if i > 0 {
				buf = append(buf, ',')
			}
			var ok bool
			if buf, ok = appendJSON(buf, e, elementType(typ, i)); !ok {
				return nil, false
			}
		}
		return append(buf, ']'), true
	case typ.Is(tftypes.Map{}), typ.Is(tftypes.Object{}):
		var fields map[string]tftypes.Value
		if v.As(&fields) != nil {
			return nil, false
		}
		buf = append(buf, '{')
		first := true
		for k, e := range fields {
			if !first {
				buf = append(buf, ',')
			}
			first = false
			key, err := json.Marshal(k)
			if err != nil {
				return nil, false
			}
			buf = append(append(buf, key...), ':')
			var ok bool
			if buf, ok = appendJSON(buf, e, fieldType(typ, k)); !ok {
				return nil, false
			}
		}
		return append(buf, '}'), true
	}
	return nil, false
}

// elementType is the schema type of element i of a list, set or tuple.
func elementType(typ tftypes.Type, i int) tftypes.Type {
	switch t := typ.(type) {
	case tftypes.List:
		return t.ElementType
	case tftypes.Set:
		return t.ElementType
	case tftypes.Tuple:
		if i < len(t.ElementTypes) {
			return t.ElementTypes[i]
		}
	}
	return tftypes.DynamicPseudoType
}

// fieldType is the schema type of a map's element or an object's attribute.
func fieldType(typ tftypes.Type, name string) tftypes.Type {
	switch t := typ.(type) {
	case tftypes.Map:
		return t.ElementType
	case tftypes.Object:
		if attr, ok := t.AttributeTypes[name]; ok {
			return attr
		}
	}
	return tftypes.DynamicPseudoType
}

// numberText writes a number as Terraform writes the same number to the
// state file: the shortest decimal of the value as MessagePack would have
// carried it (an int64, else a float64, else the full value).
func numberText(n *big.Float) (string, bool) {
	if n.IsInf() {
		return "", false
	}
	if i, acc := n.Int64(); acc == big.Exact {
		return strconv.FormatInt(i, 10), true
	}
	if f, acc := n.Float64(); acc == big.Exact {
		return new(big.Float).SetFloat64(f).Text('f', -1), true
	}
	return n.Text('f', -1), true
}
