package provider

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/client"
	"github.com/tensorpool/terraform-provider-tensorpool/internal/clock"
	"github.com/tensorpool/terraform-provider-tensorpool/internal/sim"
)

func TestStreamRefusalIsRememberedForAWhile(t *testing.T) {
	server, api, id := streamlessEngine(t)
	fake := clock.NewFake(time.Unix(0, 0))
	var avail streamAvailability
	listen := streamWakeups(api, &avail, fake)
	for i := 0; i < 3; i++ {
		if _, err := listen(context.Background(), id); !errors.Is(err, client.ErrListenUnavailable) {
			t.Fatalf("try %d: %v", i, err)
		}
	}
	if n := server.Engine.Stats()["WS /job/listen"]; n != 1 {
		t.Errorf("%d handshakes, want 1: a refusal must be remembered", n)
	}
	fake.Advance(streamRefusalMemory)
	server.Engine.SetFaults(sim.Faults{})
	wake, err := listen(context.Background(), id)
	if err != nil {
		t.Fatalf("after the memory expired the stream must be tried again: %v", err)
	}
	if err := server.Engine.SetStatus(id, sim.StatusCanceled); err != nil {
		t.Fatal(err)
	}
	if _, ok := <-wake; !ok {
		t.Error("the stream ended without a wake-up for the terminal state")
	}
}

func TestOnlyOneProbeWhileTheEngineIsUnknown(t *testing.T) {
	server, api, id := streamlessEngine(t)
	var avail streamAvailability
	listen := streamWakeups(api, &avail, clock.Real{})
	var wg sync.WaitGroup
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := listen(context.Background(), id); !errors.Is(err, client.ErrListenUnavailable) {
				t.Errorf("concurrent wait: %v", err)
			}
		}()
	}
	wg.Wait()
	if n := server.Engine.Stats()["WS /job/listen"]; n != 1 {
		t.Errorf("%d handshakes from 10 concurrent waits, want 1", n)
	}
}

// streamlessEngine is a simulator that refuses /job/listen, a client for it
// and one running job.
func streamlessEngine(t *testing.T) (*sim.Server, *client.Client, string) {
	t.Helper()
	server, err := sim.Start(sim.Options{APIKeys: []string{accKey}, Faults: sim.Faults{ListenUnavailable: true}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(server.Close)
	api, err := client.New(client.Config{BaseURL: server.URL, APIKey: accKey})
	if err != nil {
		t.Fatal(err)
	}
	id, err := server.Engine.AddJob(accKey, sim.DefaultCluster)
	if err != nil {
		t.Fatal(err)
	}
	return server, api, id
}
