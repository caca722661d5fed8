//go:build windows

package client

import (
	"errors"
	"syscall"
)

// wsaeConnRefused is Winsock's "connection refused" (WSAECONNREFUSED), which
// the syscall package does not name.
const wsaeConnRefused = syscall.Errno(10061)

// isConnRefused is a connection the engine's host refused: nothing listens
// on that port.
func isConnRefused(err error) bool {
	return errors.Is(err, wsaeConnRefused) || errors.Is(err, syscall.ECONNREFUSED)
}
