package provider

import (
	"fmt"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
)

// deletionProtectedError is the one wording for a destroy that stopped
// because the object has deletion_protection = true in the state. Terraform
// destroys from the state, not the configuration, so turning protection off
// takes an apply first.
func deletionProtectedError(kind, id string) diag.Diagnostic {
	return diag.NewAttributeErrorDiagnostic(path.Root("deletion_protection"),
		fmt.Sprintf("The %s is protected from deletion", kind),
		fmt.Sprintf("The %s %s has deletion_protection = true, so nothing was sent to the engine and it is still in the state. "+
			"To destroy it, set deletion_protection = false in the configuration and run terraform apply, then destroy it.", kind, id))
}
