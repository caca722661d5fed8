package provider

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/providerserver"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"
	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/testing/sim"
)

// objectValue is a value of the object type typ with the given string
// attributes set and every other attribute (and block) null.
func objectValue(t *testing.T, typ tftypes.Type, set map[string]string) tftypes.Value {
	t.Helper()
	object, ok := typ.(tftypes.Object)
	if !ok {
		t.Fatalf("%s is not an object type", typ)
	}
	attrs := make(map[string]tftypes.Value, len(object.AttributeTypes))
	for name, attrType := range object.AttributeTypes {
		if s, ok := set[name]; ok {
			attrs[name] = tftypes.NewValue(tftypes.String, s)
		} else {
			attrs[name] = tftypes.NewValue(attrType, nil)
		}
	}
	return tftypes.NewValue(typ, attrs)
}

func dynamicValue(t *testing.T, typ tftypes.Type, value tftypes.Value) *tfprotov6.DynamicValue {
	t.Helper()
	dv, err := tfprotov6.NewDynamicValue(typ, value)
	if err != nil {
		t.Fatal(err)
	}
	return &dv
}

// TestRefreshOfAnObjectGoneSetsItsIdentity: a state written without an
// identity (by Terraform < 1.12, or by a provider version before identity)
// whose object was deleted outside Terraform is refreshed by Terraform ≥
// 1.12: the resource leaves the state with a warning and no error, and the
// read still answers with the object's identity, which the framework
// requires of every read that has no error.
// protocolProvider is the provider configured against a simulator, driven
// through the protocol as Terraform drives it, with its resource schemas.
type protocolProvider struct {
	tfprotov6.ProviderServer
	server          *sim.Server
	schemas         *tfprotov6.GetProviderSchemaResponse
	identitySchemas *tfprotov6.GetResourceIdentitySchemasResponse
}

func newProtocolProvider(t *testing.T) protocolProvider {
	t.Helper()
	server, err := sim.Start(sim.Options{APIKeys: []string{accKey}, Clusters: []string{accCluster}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(server.Close)
	ctx := context.Background()
	provider, err := providerserver.NewProtocol6WithError(New("test", Options{
		PollPolicy: testPollPolicy, RetryPolicy: testRetryPolicy, RequestPoll: testRequestPoll,
	})())()
	if err != nil {
		t.Fatal(err)
	}
	schemas, err := provider.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	identitySchemas, err := provider.GetResourceIdentitySchemas(ctx, &tfprotov6.GetResourceIdentitySchemasRequest{})
	if err != nil {
		t.Fatal(err)
	}
	providerType := schemas.Provider.ValueType()
	configured, err := provider.ConfigureProvider(ctx, &tfprotov6.ConfigureProviderRequest{
		Config: dynamicValue(t, providerType, objectValue(t, providerType, map[string]string{"engine_url": server.URL, "api_key": accKey})),
	})
	if err != nil || len(configured.Diagnostics) != 0 {
		t.Fatalf("configuring the provider: %v %v", err, configured.Diagnostics)
	}
	return protocolProvider{ProviderServer: provider, server: server, schemas: schemas, identitySchemas: identitySchemas}
}

func TestRefreshOfAnObjectGoneSetsItsIdentity(t *testing.T) {
	ctx := context.Background()
	p := newProtocolProvider(t)
	provider, schemas, identitySchemas := p.ProviderServer, p.schemas, p.identitySchemas

	// Ids the engine never had: every read finds the object gone.
	for _, tc := range []struct {
		typeName string
		state    map[string]string
		identity map[string]string
		// kept: a job the engine no longer has stays, as "deleted" (the
		// engine deletes only finished jobs); the other objects leave.
		kept bool
	}{
		{"tensorpool_job", map[string]string{"id": "job-0123456789abcdef"}, map[string]string{"id": "job-0123456789abcdef"}, true},
		{"tensorpool_cluster", map[string]string{"id": "c-gone0001"}, map[string]string{"id": "c-gone0001"}, false},
		{"tensorpool_storage", map[string]string{"id": "s-gone0001"}, map[string]string{"id": "s-gone0001"}, false},
		{"tensorpool_ssh_key", map[string]string{"id": "key-gone0001"}, map[string]string{"id": "key-gone0001"}, false},
		{
			"tensorpool_storage_attachment",
			map[string]string{"id": "s-gone0001/" + accCluster, "storage_id": "s-gone0001", "cluster_id": accCluster},
			map[string]string{"storage_id": "s-gone0001", "cluster_id": accCluster},
			false,
		},
	} {
		t.Run(tc.typeName, func(t *testing.T) {
			stateType := schemas.ResourceSchemas[tc.typeName].ValueType()
			identitySchema, ok := identitySchemas.IdentitySchemas[tc.typeName]
			if !ok {
				t.Fatalf("%s has no identity schema", tc.typeName)
			}
			identityType := identitySchema.ValueType()
			read, err := provider.ReadResource(ctx, &tfprotov6.ReadResourceRequest{
				TypeName:     tc.typeName,
				CurrentState: dynamicValue(t, stateType, objectValue(t, stateType, tc.state)),
			})
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range read.Diagnostics {
				if d.Severity == tfprotov6.DiagnosticSeverityError {
					t.Errorf("error: %s: %s", d.Summary, d.Detail)
				}
			}
			if newState, err := read.NewState.Unmarshal(stateType); err != nil || newState.IsNull() == tc.kept {
				t.Errorf("the object gone: in the state %v, want %v (%v, %v)", !newState.IsNull(), tc.kept, newState, err)
			}
			if read.NewIdentity == nil || read.NewIdentity.IdentityData == nil {
				t.Fatal("the read answered no identity")
			}
			got, err := read.NewIdentity.IdentityData.Unmarshal(identityType)
			if err != nil {
				t.Fatal(err)
			}
			if want := objectValue(t, identityType, tc.identity); !got.Equal(want) {
				t.Errorf("identity %v, want %v", got, want)
			}
		})
	}
}

// TestRefreshAfterOurOwnDetachIsNoDrift: when a destroy timed out waiting
// for its detach (the request id kept in private state) and the detach has
// finished since, the next refresh drops the attachment without the
// "changed outside Terraform" warning; without that record, an attachment
// the engine no longer reports is drift and is warned about.
func TestRefreshAfterOurOwnDetachIsNoDrift(t *testing.T) {
	ctx := context.Background()
	p := newProtocolProvider(t)
	storageID, err := p.server.Engine.AddStorage(accKey, sim.StorageSpec{SizeGB: 10})
	if err != nil {
		t.Fatal(err)
	}
	stateType := p.schemas.ResourceSchemas["tensorpool_storage_attachment"].ValueType()
	state := objectValue(t, stateType, map[string]string{
		"id": storageID + "/" + accCluster, "storage_id": storageID, "cluster_id": accCluster,
	})
	pendingDetach, err := json.Marshal(map[string][]byte{privatePendingDetach: []byte(`"req-000000000001"`)})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		private  []byte
		warnings int
	}{
		{"detached by our earlier destroy", pendingDetach, 0},
		{"detached outside Terraform", nil, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			read, err := p.ReadResource(ctx, &tfprotov6.ReadResourceRequest{
				TypeName:     "tensorpool_storage_attachment",
				CurrentState: dynamicValue(t, stateType, state),
				Private:      tc.private,
			})
			if err != nil {
				t.Fatal(err)
			}
			warnings := 0
			for _, d := range read.Diagnostics {
				switch d.Severity {
				case tfprotov6.DiagnosticSeverityError:
					t.Errorf("error: %s: %s", d.Summary, d.Detail)
				case tfprotov6.DiagnosticSeverityWarning:
					warnings++
				}
			}
			if warnings != tc.warnings {
				t.Errorf("%d warnings, want %d: %v", warnings, tc.warnings, read.Diagnostics)
			}
			if newState, err := read.NewState.Unmarshal(stateType); err != nil || !newState.IsNull() {
				t.Errorf("the detached attachment is still in the state (%v, %v)", newState, err)
			}
		})
	}
}

// The cluster and storage id validators name the attribute's kind, give an
// example where there is one, and say which command lists the ids.
func TestEngineIDValidatorsSayWhatToDo(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		v                          engineIDValidator
		description, title, ending string
	}{
		{clusterIDValidator, "must be a TensorPool cluster id such as `c-abc123`", "Invalid cluster id",
			"(for example `c-abc123`). `tp cluster list` shows your clusters."},
		{storageIDValidator, "must be a TensorPool storage id", "Invalid storage id",
			"'.'. `tp storage list` shows your volumes."},
	} {
		if got := tc.v.Description(ctx); got != tc.description {
			t.Errorf("description %q, want %q", got, tc.description)
		}
		var resp validator.StringResponse
		tc.v.ValidateString(ctx, validator.StringRequest{Path: path.Root("id"), ConfigValue: types.StringValue("a b")}, &resp)
		if len(resp.Diagnostics) != 1 || resp.Diagnostics[0].Summary() != tc.title || !strings.HasSuffix(resp.Diagnostics[0].Detail(), tc.ending) {
			t.Errorf("%s: diagnostics %v, want %q ending %q", tc.title, resp.Diagnostics, tc.title, tc.ending)
		}
		var ok validator.StringResponse
		tc.v.ValidateString(ctx, validator.StringRequest{Path: path.Root("id"), ConfigValue: types.StringValue("c-abc123")}, &ok)
		if ok.Diagnostics.HasError() {
			t.Errorf("%s: a valid id refused: %v", tc.title, ok.Diagnostics)
		}
	}
}
