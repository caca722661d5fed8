package provider

import (
	"context"

	"github.com/hashicorp/terraform-plugin-framework/list"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/client"
)

// NewSSHKeyListResource returns the tensorpool_ssh_key list resource
// (object_listing.go). The ids come from the key list's structured entries;
// an engine that answers with text only (*client.KeyListTextError) makes
// the list fail saying so: the key id format is [UNK] and no route confirms
// an id, so ids are not guessed from the text.
func NewSSHKeyListResource() list.ListResource {
	return &objectList{kind: listedKind{
		typeSuffix: "_ssh_key", noun: "SSH key", plural: "SSH keys", findWith: "tp me sshkey list",
		ids: func(ctx context.Context, api *client.Client, includeOrg bool) ([]string, error) {
			keys, err := api.ListSSHKeysOf(ctx, includeOrg)
			if err != nil {
				return nil, err
			}
			ids := make([]string, 0, len(keys))
			for _, key := range keys {
				ids = append(ids, key.ID)
			}
			return ids, nil
		},
		resource: func(data *providerData) importReader { return &sshKeyResource{data: data} },
		description: "Finds the SSH keys saved to the account (`tp me sshkey list`), whoever saved them, for `terraform query` " +
			"(Terraform 1.14 and later). Each result is the key's identity and, with `include_resource = true`, the key as " +
			"`terraform import` would record it, so that `terraform query -generate-config-out=FILE` writes import blocks and " +
			"configuration that plan without changes once applied. An engine that answers the key list with text only (as the " +
			"official CLI reads it) makes the query fail with that text: key ids are not guessed from it.",
	}}
}
