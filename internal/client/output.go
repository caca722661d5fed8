package client

import (
	"context"
	"errors"
	"strings"
	"sync"
	"unicode"
)

// OutputTail returns the last lines of a job's output, read from its
// /job/listen stream, which sends the output as messages and, for a job
// that has ended, replays it from the start [INF]. At most maxLines lines
// and maxBytes bytes are kept, the latest ones; control characters (terminal
// escapes included) are removed and the API key, should the job have
// printed it, is masked. The stream's final message is not part of the
// output. A stream that breaks off returns what was read, with the error.
func (c *Client) OutputTail(ctx context.Context, id string, maxLines, maxBytes int) ([]string, error) {
	listener, err := c.ListenJob(ctx, id)
	if err != nil {
		return nil, err
	}
	defer func() { _ = listener.Close() }()
	out := c.NewOutputCollector(maxLines, maxBytes)
	for {
		ev, err := listener.Next(ctx)
		switch {
		case errors.Is(err, ErrStreamClosed):
			return out.tail.lines, nil
		case err != nil:
			return out.tail.lines, err
		}
		if out.Add(ev) {
			return out.tail.lines, nil
		}
	}
}

// OutputCollector keeps the end of a job's output from the messages of its
// /job/listen stream as someone else reads them (a wait that follows the
// stream): what OutputTail returns, without opening a second stream. It is
// safe for concurrent use.
type OutputCollector struct {
	mu       sync.Mutex
	tail     lineTail
	complete bool
}

// NewOutputCollector keeps at most maxLines lines and maxBytes bytes, as
// OutputTail does, the API key masked.
func (c *Client) NewOutputCollector(maxLines, maxBytes int) *OutputCollector {
	return &OutputCollector{tail: lineTail{maxLines: maxLines, maxBytes: maxBytes, secret: c.apiKey}}
}

// Add takes one message of the stream; it reports whether it was the last.
func (o *OutputCollector) Add(ev ListenEvent) (last bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if ev.Final {
		o.complete = true
		return true
	}
	for _, line := range strings.Split(ev.Message, "\n") {
		o.tail.add(line)
	}
	return false
}

// Lines returns the end of the output so far, and whether the stream's last
// message has been seen (the output is then whole, for a stream followed
// from the job's start). A nil collector has seen nothing.
func (o *OutputCollector) Lines() (lines []string, complete bool) {
	if o == nil {
		return nil, false
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	return append([]string(nil), o.tail.lines...), o.complete
}

// lineTail keeps the last lines added, within maxLines and maxBytes.
type lineTail struct {
	maxLines, maxBytes int
	secret             string
	lines              []string
	bytes              int
}

func (t *lineTail) add(line string) {
	line = strings.TrimRightFunc(cleanLine(line), unicode.IsSpace)
	if t.secret != "" {
		line = strings.ReplaceAll(line, t.secret, "***")
	}
	if len(line) > t.maxBytes {
		line = line[len(line)-t.maxBytes:]
	}
	t.lines = append(t.lines, line)
	t.bytes += len(line)
	for len(t.lines) > t.maxLines || t.bytes > t.maxBytes {
		t.bytes -= len(t.lines[0])
		t.lines = t.lines[1:]
	}
}

// cleanLine drops control characters and ANSI escape sequences, which would
// garble a Terraform diagnostic.
func cleanLine(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if ch == 0x1b { // ESC [ … final byte
			if i+1 < len(s) && s[i+1] == '[' {
				i += 2
				for i < len(s) && (s[i] < 0x40 || s[i] > 0x7e) {
					i++
				}
			}
			continue
		}
		if ch < 0x20 && ch != '\t' || ch == 0x7f {
			continue
		}
		b.WriteByte(ch)
	}
	return b.String()
}
