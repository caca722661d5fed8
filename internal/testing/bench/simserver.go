package bench

import (
	"context"
	"net"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/testing/sim"
)

// countingListener counts the TCP connections it accepts: how many
// connections the provider opened to the engine (keep-alive reuse shows as
// fewer connections than requests).
type countingListener struct {
	net.Listener
	accepted atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.accepted.Add(1)
	}
	return c, err
}

// simEnv is an engine simulator served on a loopback port by the benchmark
// itself (not by sim.Start), so that it can count connections.
type simEnv struct {
	url    string
	eng    *sim.Engine
	srv    *http.Server
	ln     *countingListener
	done   chan struct{}
	jitter time.Duration
}

// startSim starts a simulator whose cancels take latency plus a delay drawn
// uniformly in [0, jitter) (a random seed per simulator).
func (s *Suite) startSim(latency, jitter time.Duration) (*simEnv, error) {
	return serveSim(sim.Options{
		APIKeys:             []string{benchKey},
		Clusters:            []string{benchCluster},
		PendingDelay:        0,
		CancelLatency:       latency,
		CancelLatencyJitter: jitter,
		InfoRetryAfter:      s.cfg.InfoRetryAfter,
	})
}

// serveSim serves a new engine the way sim.Start does, through a
// countingListener.
func serveSim(opts sim.Options) (*simEnv, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	ln, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	e := sim.New(opts)
	env := &simEnv{
		url:    "http://" + ln.Addr().String(),
		eng:    e,
		srv:    &http.Server{Handler: e, ReadHeaderTimeout: 10 * time.Second},
		ln:     &countingListener{Listener: ln},
		done:   make(chan struct{}),
		jitter: opts.CancelLatencyJitter,
	}
	go func() {
		defer close(env.done)
		_ = env.srv.Serve(env.ln)
	}()
	return env, nil
}

func (e *simEnv) engine() *sim.Engine { return e.eng }

// connections is the number of TCP connections accepted so far.
func (e *simEnv) connections() int64 { return e.ln.accepted.Load() }

// Close stops the server at once, then the engine (as sim.Server.Close).
func (e *simEnv) Close() {
	_ = e.srv.Close()
	e.eng.Close()
	<-e.done
}
