package e2e

import (
	"testing"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/testing/sim"
)

const organizationExample = "examples/data-sources/tensorpool_organization"

// TestBalanceGuardExampleRefusesAClusterBelowTheMinimum: the organization
// example's precondition stops plan and apply with its message when the
// engine reports a balance below minimum_balance, and no cluster is claimed;
// with enough balance the same configuration claims its cluster, and
// destroy leaves nothing billing.
func TestBalanceGuardExampleRefusesAClusterBelowTheMinimum(t *testing.T) {
	const refusal = "The organization's balance, 42.5 USD, is below minimum_balance (100 USD): top it up before creating a cluster."
	t.Run("below", func(t *testing.T) {
		w := newExampleWorld(t, sim.Options{OrganizationBalance: 42.5}, organizationExample)
		for _, command := range [][]string{{"plan"}, {"apply", "-auto-approve"}} {
			res := w.run(command...)
			if res.ExitCode == 0 || !says(res.Output(), refusal) {
				t.Errorf("%s with a balance of 42.5: exit %d, want a failure saying %q:\n%s", command[0], res.ExitCode, refusal, res.Output())
			}
		}
		if own := w.ownClusters(); len(own) != 0 {
			t.Errorf("the refused apply claimed clusters: %+v", own)
		}
		if n := w.server.Engine.Stats()["POST /cluster/create"]; n != 0 {
			t.Errorf("the refused apply sent %d cluster creates", n)
		}
	})
	t.Run("enough", func(t *testing.T) {
		rich := newExampleWorld(t, sim.Options{}, organizationExample)
		rich.mustRun("apply", "-auto-approve")
		if own := rich.ownClusters(); len(own) != 1 {
			t.Fatalf("with the default balance (%v) the example claimed %d clusters, want 1", sim.DefaultOrganizationBalance, len(own))
		}
		out := rich.mustRun("output", "-raw", "balance")
		if out.Stdout != "1000" {
			t.Errorf("output balance = %q, want 1000", out.Stdout)
		}
		rich.mustRun("destroy", "-auto-approve")
		if err := rich.server.Engine.CheckNothingBilling(owner); err != nil {
			t.Error(err)
		}
	})
}
