package client

import (
	"context"
	"errors"
	"strings"
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
	tail := &lineTail{maxLines: maxLines, maxBytes: maxBytes, secret: c.apiKey}
	for {
		ev, err := listener.Next(ctx)
		switch {
		case errors.Is(err, ErrStreamClosed):
			return tail.lines, nil
		case err != nil:
			return tail.lines, err
		case ev.Final:
			return tail.lines, nil
		}
		for _, line := range strings.Split(ev.Message, "\n") {
			tail.add(line)
		}
	}
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
