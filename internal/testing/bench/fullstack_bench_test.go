package bench

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/testing/sim"
	"github.com/tensorpool/terraform-provider-tensorpool/internal/testing/tfharness"
)

// TestCriticalPathOfAKnownGraph: a diamond a → {b, c} → d plus a lone e;
// by hand the longest chain is a (1 s) → c (5 s) → d (2 s) = 8 s, longer
// than a → b → d (1 + 3 + 2 = 6 s) and than e (7 s).
func TestCriticalPathOfAKnownGraph(t *testing.T) {
	steps := []Step{
		{Name: "d", Latency: 2 * time.Second, After: []string{"b", "c"}},
		{Name: "a", Latency: time.Second},
		{Name: "b", Latency: 3 * time.Second, After: []string{"a"}},
		{Name: "c", Latency: 5 * time.Second, After: []string{"a"}},
		{Name: "e", Latency: 7 * time.Second},
	}
	floor, path, err := CriticalPath(steps)
	if err != nil {
		t.Fatal(err)
	}
	if floor != 8*time.Second || !slices.Equal(path, []string{"a", "c", "d"}) {
		t.Errorf("floor %s along %v, want 8s along [a c d]", floor, path)
	}
}

func TestCriticalPathRejectsCyclesAndUnknownSteps(t *testing.T) {
	for name, steps := range map[string][]Step{
		"cycle":     {{Name: "a", After: []string{"b"}}, {Name: "b", After: []string{"a"}}},
		"unknown":   {{Name: "a", After: []string{"nowhere"}}},
		"duplicate": {{Name: "a"}, {Name: "a"}},
	} {
		if _, _, err := CriticalPath(steps); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

// TestFullStackFloorsFromTheSimulatorSettings computes the example's floors
// by hand from the bench's default latencies (pending P = 0.5 s, claim
// 3 s, release 2 s, storage S = 1 s, cancel 2 s):
//   - apply: max(key 0 + claim P+3, storage P+1) + attach P+1 + jobs 0
//     = 3.5 + 1.5 = 5 s, through the cluster;
//   - destroy: cancel 2 + detach P+1 + max(release P+2 → key 0, delete P+1)
//     = 2 + 1.5 + 2.5 = 6 s, through the cluster.
//
// With a slow storage (S = 4 s) the volume is on the apply's path instead:
// max(3.5, 4.5) + 4.5 = 9 s, and the destroy's: 2 + 4.5 + max(2.5, 4.5) = 11 s.
func TestFullStackFloorsFromTheSimulatorSettings(t *testing.T) {
	lat := FullConfig().FullStackLatency
	for _, tc := range []struct {
		name                 string
		storage              time.Duration
		apply, destroy       time.Duration
		applyVia, destroyVia string
	}{
		{"default latencies", lat.Storage, 5 * time.Second, 6 * time.Second, fsCluster, fsCluster},
		{"slow storage", 4 * time.Second, 9 * time.Second, 11 * time.Second, fsStorage, fsStorage},
	} {
		l := lat
		l.Storage = tc.storage
		o := l.simOptions(2 * time.Second)
		apply, applyPath, err := CriticalPath(FullStackApplyGraph(o))
		if err != nil {
			t.Fatal(err)
		}
		destroy, destroyPath, err := CriticalPath(FullStackDestroyGraph(o))
		if err != nil {
			t.Fatal(err)
		}
		if apply != tc.apply || !slices.Contains(applyPath, tc.applyVia) || applyPath[len(applyPath)-1] != fsAttachment {
			t.Errorf("%s: apply floor %s along %v, want %s through %s and the attachment", tc.name, apply, applyPath, tc.apply, tc.applyVia)
		}
		if destroy != tc.destroy || !slices.Contains(destroyPath, tc.destroyVia) || destroyPath[1] != fsAttachment {
			t.Errorf("%s: destroy floor %s along %v, want %s through the attachment and %s", tc.name, destroy, destroyPath, tc.destroy, tc.destroyVia)
		}
	}
}

// TestFullStackGraphsHaveTheExampleResources: every resource block of the
// example is a step of both graphs, so that a resource added to the example
// without a floor for it fails here.
func TestFullStackGraphsHaveTheExampleResources(t *testing.T) {
	src := readExampleMain(t)
	var want []string
	for _, line := range strings.Split(src, "\n") {
		var typ, name string
		if f := strings.Fields(line); len(f) >= 3 && f[0] == "resource" {
			typ, name = strings.Trim(f[1], `"`), strings.Trim(f[2], `"`)
			want = append(want, typ+"."+name)
		}
	}
	slices.Sort(want)
	for gname, g := range map[string][]Step{"apply": FullStackApplyGraph(sim.Options{}), "destroy": FullStackDestroyGraph(sim.Options{})} {
		var got []string
		for _, s := range g {
			got = append(got, s.Name)
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("the %s graph has %v, the example %v", gname, got, want)
		}
	}
}

// TestFullStackMetricsCheckWallAgainstFloorPlusMargin: a run 1.9 s above
// its floor meets the target, one 2.1 s above misses it.
func TestFullStackMetricsCheckWallAgainstFloorPlusMargin(t *testing.T) {
	cfg := FullConfig()
	r := &Report{GroupNotes: map[string][]string{}, FullStack: []FullStackResult{{
		Apply:   FullStackPhase{WallSeconds: 6.9, FloorSeconds: 5},
		Destroy: FullStackPhase{WallSeconds: 8.1, FloorSeconds: 6},
	}}}
	buildFullStackMetrics(r, cfg)
	if len(r.Metrics) != 4 {
		t.Fatalf("%d metrics, want 4", len(r.Metrics))
	}
	for _, m := range r.Metrics {
		want := strings.HasPrefix(m.Name, "apply")
		if m.Met == nil || *m.Met != want || m.Target.Text != "≤ floor + 2 s" {
			t.Errorf("%s: met %v, target %+v; want met %t", m.Name, m.Met, m.Target, want)
		}
	}
}

func readExampleMain(t *testing.T) string {
	t.Helper()
	root, err := tfharness.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(root, FullStackExample, "main.tf"))
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}
