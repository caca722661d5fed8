package e2e

import (
	"encoding/json"
	"fmt"
	"maps"
	"testing"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/testing/sim"
)

// stateIdentities is each resource's identity in the state, by address
// (`terraform show -json`; a resource without one is absent).
func (w *world) stateIdentities() map[string]map[string]any {
	w.t.Helper()
	shown := w.mustRun("show", "-json")
	var doc struct {
		Values struct {
			RootModule struct {
				Resources []struct {
					Address  string         `json:"address"`
					Identity map[string]any `json:"identity"`
				} `json:"resources"`
			} `json:"root_module"`
		} `json:"values"`
	}
	if err := json.Unmarshal([]byte(shown.Stdout), &doc); err != nil {
		w.t.Fatalf("parsing terraform show -json: %v", err)
	}
	identities := map[string]map[string]any{}
	for _, r := range doc.Values.RootModule.Resources {
		if r.Identity != nil {
			identities[r.Address] = r.Identity
		}
	}
	return identities
}

// TestImportByIdentityOfClusterStorageKeyAndAttachment: import blocks that
// name a cluster, a volume, a saved key and an attachment made outside
// Terraform by their identities (Terraform ≥ 1.12) import all four, the
// next plan is empty, and each identity is in the state.
func TestImportByIdentityOfClusterStorageKeyAndAttachment(t *testing.T) {
	requireTerraform1x(t, 12)
	w := startSimulator(t, sim.Options{})
	engine := w.server.Engine
	clusterID, err := engine.AddCluster(w.key, sim.ClusterSpec{InstanceType: "1xH100", NumNodes: 1, Name: "train"})
	if err != nil {
		t.Fatal(err)
	}
	storageID, err := engine.AddStorage(w.key, sim.StorageSpec{SizeGB: 100, Name: "datasets"})
	if err != nil {
		t.Fatal(err)
	}
	if err := engine.Attach(storageID, clusterID); err != nil {
		t.Fatal(err)
	}
	keyID, err := engine.AddSSHKey(w.key, demoPublicKey, "laptop")
	if err != nil {
		t.Fatal(err)
	}
	config := fmt.Sprintf(`
resource "tensorpool_cluster" "train" {
  instance_type = "1xH100"
  name          = "train"
}

resource "tensorpool_storage" "datasets" {
  size = 100
  name = "datasets"
}

resource "tensorpool_storage_attachment" "datasets" {
  storage_id = tensorpool_storage.datasets.id
  cluster_id = tensorpool_cluster.train.id
}

resource "tensorpool_ssh_key" "laptop" {
  public_key = %[4]q
  name       = "laptop"
}

import {
  to       = tensorpool_cluster.train
  identity = { id = %[1]q }
}

import {
  to       = tensorpool_storage.datasets
  identity = { id = %[2]q }
}

import {
  to       = tensorpool_storage_attachment.datasets
  identity = { storage_id = %[2]q, cluster_id = %[1]q }
}

import {
  to       = tensorpool_ssh_key.laptop
  identity = { id = %[3]q }
}
`, clusterID, storageID, keyID, demoPublicKey)
	ws, err := harness.Workspace(workspaceName(t), config)
	if err != nil {
		t.Fatal(err)
	}
	w.use(ws)

	res := w.mustRun("apply", "-auto-approve", "-no-color")
	if !says(res.Stdout, "4 imported, 0 added") {
		t.Errorf("the apply did not import the four objects alone:\n%s", res.Stdout)
	}
	if plan := w.run("plan", "-detailed-exitcode", "-no-color"); plan.ExitCode != 0 {
		t.Errorf("the plan after the import is not empty (exit %d):\n%s", plan.ExitCode, plan.Output())
	}
	want := map[string]map[string]any{
		"tensorpool_cluster.train":               {"id": clusterID},
		"tensorpool_storage.datasets":            {"id": storageID},
		"tensorpool_storage_attachment.datasets": {"storage_id": storageID, "cluster_id": clusterID},
		"tensorpool_ssh_key.laptop":              {"id": keyID},
	}
	got := w.stateIdentities()
	for address, identity := range want {
		if !maps.Equal(got[address], identity) {
			t.Errorf("%s has identity %v in the state, want %v", address, got[address], identity)
		}
	}
	if n := len(w.ownClusters()); n != 1 {
		t.Errorf("the engine has %d clusters of the user, want only the imported one", n)
	}
	w.destroy("-auto-approve", "-no-color")
}
