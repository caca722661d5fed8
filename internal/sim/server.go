package sim

import (
	"context"
	"errors"
	"net"
	"net/http"
	"time"
)

// Server is an Engine listening on a TCP address.
type Server struct {
	// URL is the base URL, e.g. http://127.0.0.1:40123: the value for
	// TENSORPOOL_ENGINE.
	URL    string
	Engine *Engine

	srv  *http.Server
	ln   net.Listener
	done chan struct{}
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
	e := New(opts)
	s := &Server{
		URL:    "http://" + ln.Addr().String(),
		Engine: e,
		srv:    &http.Server{Handler: e, ReadHeaderTimeout: 10 * time.Second},
		ln:     ln,
		done:   make(chan struct{}),
	}
	go func() {
		defer close(s.done)
		_ = s.srv.Serve(ln)
	}()
	return s, nil
}

// Shutdown ends open WebSocket streams and hanging handshakes (ListenHang),
// stops accepting requests and waits for REST requests in flight (bounded by
// ctx). The engine closes first because http.Server.Shutdown would wait for a
// hanging handshake until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	s.Engine.Close()
	err := s.srv.Shutdown(ctx)
	<-s.done
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// Close stops the server at once, dropping requests in flight. It suits
// t.Cleanup(srv.Close).
func (s *Server) Close() {
	_ = s.srv.Close()
	s.Engine.Close()
	<-s.done
}
