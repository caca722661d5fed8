package sim

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync"
	"time"
)

// Server is an Engine listening on a TCP address.
type Server struct {
	// URL is the base URL, e.g. http://127.0.0.1:40123: the value for
	// TENSORPOOL_ENGINE.
	URL    string
	Engine *Engine

	// mu guards srv and done, which a Restart replaces, and closed.
	mu     sync.Mutex
	srv    *http.Server
	ln     net.Listener
	done   chan struct{}
	closed bool
}

// Start runs an engine on a free loopback port.
func Start(opts Options) (*Server, error) { return Listen("127.0.0.1:0", opts) }

// Listen runs an engine on addr. It does not restrict the address: the
// command refuses non-loopback addresses unless told otherwise.
func Listen(addr string, opts Options) (*Server, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	ln, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", addr)
	if err != nil {
		return nil, err
	}
	s := &Server{URL: "http://" + ln.Addr().String(), Engine: New(opts)}
	s.serve(ln)
	return s, nil
}

// serve starts an http.Server on ln; s.mu is held or s not yet shared.
func (s *Server) serve(ln net.Listener) {
	srv := &http.Server{Handler: s.Engine, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan struct{})
	s.srv, s.ln, s.done = srv, ln, done
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
}

// Restart is the engine going down and coming back: it stops listening at
// once, dropping every connection (new ones are refused), and listens again
// on the same address after down, with its state unchanged. It returns as
// soon as the engine is down. [INF] What clients see of a real restart
// (refused connections, connections reset) is any HTTP server's.
func (s *Server) Restart(down time.Duration) {
	s.mu.Lock()
	addr := s.ln.Addr().String()
	_ = s.srv.Close()
	done := s.done
	s.mu.Unlock()
	<-done
	go func() {
		time.Sleep(down)
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.closed {
			return
		}
		ln, err := (&net.ListenConfig{}).Listen(context.Background(), "tcp", addr)
		if err != nil {
			return // the port was taken meanwhile: the engine stays down
		}
		s.serve(ln)
	}()
}

// Shutdown ends open WebSocket streams and hanging handshakes (ListenHang),
// stops accepting requests and waits for REST requests in flight (bounded by
// ctx). The engine closes first because http.Server.Shutdown would wait for a
// hanging handshake until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	s.Engine.Close()
	s.mu.Lock()
	s.closed = true
	srv, done := s.srv, s.done
	s.mu.Unlock()
	err := srv.Shutdown(ctx)
	<-done
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// Close stops the server at once, dropping requests in flight. It suits
// t.Cleanup(srv.Close).
func (s *Server) Close() {
	s.mu.Lock()
	s.closed = true
	srv, done := s.srv, s.done
	s.mu.Unlock()
	_ = srv.Close()
	s.Engine.Close()
	<-done
}
