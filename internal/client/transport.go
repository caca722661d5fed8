package client

import (
	"errors"
	"net"
	"net/http"
	"strings"
)

// maxIdleConnsPerHost keeps enough idle connections to the engine for a
// Terraform run at high -parallelism: net/http's default of 2 would open and
// close a TCP+TLS connection for most concurrent requests.
const maxIdleConnsPerHost = 64

// maxRedirects is net/http's own limit, kept.
const maxRedirects = 10

// newHTTPClient returns the http.Client the Client uses for REST calls and
// WebSocket handshakes alike. It never changes the caller's client: it
// works on a copy whose CheckRedirect refuses to leave the original origin.
func newHTTPClient(given *http.Client) *http.Client {
	var c http.Client
	if given != nil {
		c = *given
	} else {
		c.Transport = pooledTransport()
	}
	next := c.CheckRedirect
	c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if err := sameOrigin(req, via); err != nil {
			return err
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= maxRedirects {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
	return &c
}

// pooledTransport is net/http's default transport (proxy from the
// environment, HTTP/2, timeouts) with room for maxIdleConnsPerHost idle
// connections to the engine.
func pooledTransport() *http.Transport {
	var transport *http.Transport
	if def, ok := http.DefaultTransport.(*http.Transport); ok {
		transport = def.Clone()
	} else {
		transport = &http.Transport{Proxy: http.ProxyFromEnvironment, ForceAttemptHTTP2: true}
	}
	transport.MaxIdleConnsPerHost = maxIdleConnsPerHost
	transport.MaxIdleConns = max(transport.MaxIdleConns, maxIdleConnsPerHost)
	return transport
}

// sameOrigin refuses a redirect to another scheme or host (host:port) than
// the first request's. Go itself drops Authorization on a redirect to
// another domain, but keeps it on a same-host https→http one, and the
// WebSocket handshake sends the key in its first message, after any
// redirect: only the configured origin may be spoken to.
func sameOrigin(req *http.Request, via []*http.Request) error {
	if len(via) == 0 {
		return nil
	}
	from, to := via[0].URL, req.URL
	if from.Scheme != to.Scheme || !sameHostPort(from.Scheme, from.Host, to.Host) {
		return &RedirectError{From: originOf(from), To: originOf(to)}
	}
	return nil
}

// sameHostPort compares hosts case-insensitively, with the scheme's default
// port made explicit.
func sameHostPort(scheme, a, b string) bool {
	return canonicalHostPort(scheme, a) == canonicalHostPort(scheme, b)
}

func canonicalHostPort(scheme, hostport string) string {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		host, port = strings.Trim(hostport, "[]"), ""
	}
	if port == "" {
		switch scheme {
		case "https", "wss":
			port = "443"
		case "http", "ws":
			port = "80"
		}
	}
	return net.JoinHostPort(strings.ToLower(host), port)
}
