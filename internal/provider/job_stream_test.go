package provider

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/backoff"
	"github.com/tensorpool/terraform-provider-tensorpool/internal/client"
	"github.com/tensorpool/terraform-provider-tensorpool/internal/clock"
	"github.com/tensorpool/terraform-provider-tensorpool/internal/clock/clocktest"
	"github.com/tensorpool/terraform-provider-tensorpool/internal/testing/sim"
)

func TestStreamRefusalIsRememberedForAWhile(t *testing.T) {
	server, api, id := streamlessEngine(t)
	fake := clocktest.NewFake(time.Unix(0, 0))
	var avail streamAvailability
	listen := streamEvents(api, &avail, fake)
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
	events, err := listen(context.Background(), id)
	if err != nil {
		t.Fatalf("after the memory expired the stream must be tried again: %v", err)
	}
	if err := server.Engine.SetStatus(id, sim.StatusCanceled); err != nil {
		t.Fatal(err)
	}
	final := false
	for ev := range events {
		final = final || ev.Final
	}
	if !final {
		t.Error("the stream ended without its last message for the terminal state")
	}
}

func TestOnlyOneProbeWhileTheEngineIsUnknown(t *testing.T) {
	server, api, id := streamlessEngine(t)
	var avail streamAvailability
	listen := streamEvents(api, &avail, clock.Real{})
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

// hangingListenEngine is the simulator behind a proxy whose /job/listen
// handshakes never answer: each one is announced on arrived and held until
// the client gives up. It returns a client for the proxy.
func hangingListenEngine(t *testing.T) (*sim.Server, *client.Client, <-chan struct{}) {
	t.Helper()
	server, err := sim.Start(sim.Options{APIKeys: []string{accKey}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(server.Close)
	target, err := url.Parse(server.URL)
	if err != nil {
		t.Fatal(err)
	}
	forward := httputil.NewSingleHostReverseProxy(target)
	arrived := make(chan struct{}, 100)
	released := make(chan struct{})
	proxy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !strings.HasPrefix(r.URL.Path, "/job/listen/") {
			forward.ServeHTTP(w, r)
			return
		}
		arrived <- struct{}{}
		select {
		case <-r.Context().Done():
		case <-released:
		}
	}))
	t.Cleanup(proxy.Close)
	t.Cleanup(func() { close(released) }) // runs first: Close waits for every handler
	api, err := client.New(client.Config{BaseURL: proxy.URL, APIKey: accKey})
	if err != nil {
		t.Fatal(err)
	}
	return server, api, arrived
}

// A handshake that hangs neither holds up the polls nor serialises the
// waits, and is remembered like a refusal: 4 concurrent waits all see their
// job stop at their first poll after it, and the next 4 do not dial.
func TestWaitsPollWhileAHandshakeHangsAndTheHangIsRemembered(t *testing.T) {
	server, api, arrived := hangingListenEngine(t)
	fake := clocktest.NewFake(time.Unix(0, 0))
	var avail streamAvailability
	interval := 3 * time.Second // shorter than streamDialTimeout
	logged := make(chan string, 100)
	cfg := waitConfig{
		Policy: backoff.Policy{Initial: interval, Max: interval}, Clock: fake, Timeout: time.Hour,
		Listen: streamEvents(api, &avail, fake),
		Logf:   func(format string, args ...any) { logged <- fmt.Sprintf(format, args...) },
	}
	setAll := func(ids []string, status string) {
		for _, id := range ids {
			if err := server.Engine.SetStatus(id, status); err != nil {
				t.Fatal(err)
			}
		}
	}
	startWaits := func() ([]string, chan error) {
		var ids []string
		for range 4 {
			id, err := server.Engine.AddJob(accKey, sim.DefaultCluster)
			if err != nil {
				t.Fatal(err)
			}
			ids = append(ids, id)
		}
		setAll(ids, sim.StatusCanceling)
		done := make(chan error, len(ids))
		for _, id := range ids {
			go func() {
				_, err := waitForTerminal(context.Background(), api, id, nil, true, untilStopped, cfg)
				done <- err
			}()
		}
		return ids, done
	}
	allReturn := func(done chan error, n int) {
		for range n {
			select {
			case err := <-done:
				if err != nil {
					t.Fatal(err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("a wait did not return after its job stopped")
			}
		}
	}

	ids, done := startWaits()
	<-arrived                 // one wait probes for a stream, and its handshake hangs
	waitForTimers(t, fake, 5) // while all four poll: four poll timers and the handshake's
	fake.Advance(interval)    // the second reads, the handshake still hanging
	waitForTimers(t, fake, 5)
	fake.Advance(streamDialTimeout - interval) // the handshake times out
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if dial, _ := avail.mayDial(ctx, fake.Now); dial || ctx.Err() != nil {
		t.Fatal("a handshake that hung is not remembered")
	}
	setAll(ids, sim.StatusCanceled)
	fake.Advance(2*interval - streamDialTimeout) // the third reads
	allReturn(done, len(ids))
	// Each wait logged, before it returned, why it polled without a stream
	// (the three that waited for the probe may instead have ended first).
	var hung []string
	for len(logged) > 0 {
		if msg := <-logged; strings.Contains(msg, "did not answer the handshake in time") {
			hung = append(hung, msg)
		}
	}
	if len(hung) != 1 {
		t.Errorf("%d waits logged a hung handshake, want the one that probed", len(hung))
	}
	if fake.Now().Sub(time.Unix(0, 0)) != 2*interval {
		t.Errorf("the waits returned at %v, want at their first poll after the stop, %v", fake.Now().Sub(time.Unix(0, 0)), 2*interval)
	}

	ids, done = startWaits()
	waitForTimers(t, fake, 4)
	setAll(ids, sim.StatusCanceled)
	fake.Advance(interval)
	allReturn(done, len(ids))
	// Each wait has ended its stream's goroutine before returning: no
	// handshake can come later.
	select {
	case <-arrived:
		t.Error("the second batch dialed again after a hung handshake")
	default:
	}
}
