//go:build unix

package client

import (
	"errors"
	"syscall"
)

// isConnRefused is a connection the engine's host refused: nothing listens
// on that port.
func isConnRefused(err error) bool {
	return errors.Is(err, syscall.ECONNREFUSED)
}
