package client

import "strings"

// Status is a job's lifecycle state as the engine reports it. Values are
// compared case-insensitively (the docs write both `canceling` and
// `CANCELING`); a value outside the documented table is kept as-is and
// treated as not terminal, so that an engine change never ends a wait early.
type Status string

// The documented job states.
const (
	StatusPending   Status = "pending"
	StatusRunning   Status = "running"
	StatusCanceling Status = "canceling"
	StatusCompleted Status = "completed"
	StatusError     Status = "error"
	StatusFailed    Status = "failed"
	StatusCanceled  Status = "canceled"
)

// ParseStatus normalises a status string from the wire. Known values become
// their lowercase constant; unknown ones keep their original spelling.
func ParseStatus(s string) Status {
	trimmed := strings.TrimSpace(s)
	lower := Status(strings.ToLower(trimmed))
	switch lower {
	case StatusPending, StatusRunning, StatusCanceling, StatusCompleted, StatusError, StatusFailed, StatusCanceled:
		return lower
	}
	// The British spelling appears in some engines' text; accept it rather
	// than wait forever on a job that is really done.
	switch lower {
	case "cancelled":
		return StatusCanceled
	case "cancelling":
		return StatusCanceling
	}
	return Status(trimmed)
}

// Is reports whether s and other name the same state, ignoring case.
func (s Status) Is(other Status) bool { return strings.EqualFold(string(s), string(other)) }

// IsTerminal reports whether the job has stopped for good: completed, error,
// failed or canceled. Unknown and empty statuses are not terminal.
func (s Status) IsTerminal() bool {
	switch ParseStatus(string(s)) {
	case StatusCompleted, StatusError, StatusFailed, StatusCanceled:
		return true
	}
	return false
}

// IsKnown reports whether s is one of the documented states.
func (s Status) IsKnown() bool {
	switch ParseStatus(string(s)) {
	case StatusPending, StatusRunning, StatusCanceling, StatusCompleted, StatusError, StatusFailed, StatusCanceled:
		return true
	}
	return false
}

func (s Status) String() string { return string(s) }
