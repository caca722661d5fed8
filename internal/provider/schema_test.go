package provider

import (
	"context"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/datasource"
	fwprovider "github.com/hashicorp/terraform-plugin-framework/provider"
	providerschema "github.com/hashicorp/terraform-plugin-framework/provider/schema"
	"github.com/hashicorp/terraform-plugin-framework/resource"
)

// TestSchemasAreDescribedAndKeyIsSensitive: the generated docs are only as
// good as the schema text, and the key must be marked sensitive so that
// Terraform redacts it in plans and output.
func TestSchemasAreDescribedAndKeyIsSensitive(t *testing.T) {
	ctx := context.Background()
	p := New("test", Options{})()
	var presp fwprovider.SchemaResponse
	p.Schema(ctx, fwprovider.SchemaRequest{}, &presp)
	if presp.Schema.MarkdownDescription == "" {
		t.Error("provider has no description")
	}
	for name, attr := range presp.Schema.Attributes {
		if attr.GetMarkdownDescription() == "" {
			t.Errorf("provider attribute %s has no description", name)
		}
	}
	for _, secret := range []string{"api_key", "ssh_private_key"} {
		key, ok := presp.Schema.Attributes[secret].(providerschema.StringAttribute)
		if !ok || !key.Sensitive {
			t.Errorf("%s must be a sensitive string", secret)
		}
	}

	var rresp resource.SchemaResponse
	NewJobResource().Schema(ctx, resource.SchemaRequest{}, &rresp)
	if rresp.Schema.MarkdownDescription == "" {
		t.Error("resource has no description")
	}
	for name, attr := range rresp.Schema.Attributes {
		if attr.GetMarkdownDescription() == "" {
			t.Errorf("resource attribute %s has no description", name)
		}
	}
	var dresp datasource.SchemaResponse
	NewJobDataSource().Schema(ctx, datasource.SchemaRequest{}, &dresp)
	for name, attr := range dresp.Schema.Attributes {
		if attr.GetMarkdownDescription() == "" {
			t.Errorf("data source attribute %s has no description", name)
		}
		if _, inResource := rresp.Schema.Attributes[name]; !inResource {
			t.Errorf("data source attribute %s is not a resource attribute", name)
		}
	}
}
