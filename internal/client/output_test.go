package client

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/testing/sim"
)

func TestLineTailKeepsTheLastLinesWithinBothLimits(t *testing.T) {
	tail := &lineTail{maxLines: 3, maxBytes: 1000, secret: "tp-secret"}
	for i := 1; i <= 5; i++ {
		tail.add(fmt.Sprintf("line %d", i))
	}
	if want := []string{"line 3", "line 4", "line 5"}; !slices.Equal(tail.lines, want) {
		t.Errorf("lines %q, want %q", tail.lines, want)
	}
	tail = &lineTail{maxLines: 100, maxBytes: 10, secret: "tp-secret"}
	for _, l := range []string{"aaaa", "bbbb", "cccc"} {
		tail.add(l)
	}
	if want := []string{"bbbb", "cccc"}; !slices.Equal(tail.lines, want) {
		t.Errorf("lines %q, want %q (10 bytes)", tail.lines, want)
	}
	tail = &lineTail{maxLines: 10, maxBytes: 1000, secret: "tp-secret"}
	tail.add("\x1b[31mkey=tp-secret\x1b[0m\r\x07done  ")
	if want := "key=***done"; tail.lines[0] != want {
		t.Errorf("cleaned line %q, want %q", tail.lines[0], want)
	}
}

// TestOutputTailOfAFailedJob reads the end of a failed job's output from the
// simulator, which replays it on /job/listen.
func TestOutputTailOfAFailedJob(t *testing.T) {
	srv, err := sim.Start(sim.Options{APIKeys: []string{"k-output"}, RunDuration: 50 * time.Millisecond, Outcome: "error"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Close)
	c, err := New(Config{BaseURL: srv.URL, APIKey: "k-output"})
	if err != nil {
		t.Fatal(err)
	}
	id, err := srv.Engine.AddJob("k-output", sim.DefaultCluster)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	for job, _ := c.GetJob(ctx, id); job == nil || !job.Status.IsTerminal(); job, _ = c.GetJob(ctx, id) {
		if ctx.Err() != nil {
			t.Fatal("the job never failed")
		}
	}
	lines, err := c.OutputTail(ctx, id, 5, 8192)
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 5 || lines[4] != "RuntimeError: CUDA out of memory (simulated)" || !strings.HasPrefix(lines[1], "Traceback") {
		t.Errorf("tail %q, want the last 5 lines ending with the traceback", lines)
	}
}
