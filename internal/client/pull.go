package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
)

// PulledFile is one entry of a job's download map.
type PulledFile struct {
	// Path is the file's path relative to the job's working directory.
	Path string
	// URL is where the file can be downloaded without credentials: a
	// presigned URL, so a secret. It is empty when the engine lists the
	// file without a URL (it sends null).
	URL string
}

// PullResult is the answer to GET /job/pull for a dry run.
type PullResult struct {
	// Message is the engine's text about the pull.
	Message string
	// Files are the download map's entries, sorted by path. The engine sends
	// them for a finished job.
	Files []PulledFile
	// Command is the shell command the official CLI would run to copy the
	// files (an rsync from the cluster); the engine sends one for a job that
	// is still running. Empty otherwise.
	Command string
}

// pullQuery asks for a dry run: list the files, move nothing. The download
// URLs do not depend on the system; it only shapes Command.
var pullQuery = url.Values{"system": {"linux"}, "dry_run": {"true"}}

// PullJob lists what `tp job pull` would fetch for a job. It never logs or
// reports the download URLs: their query strings are credentials. Errors are
// *APIError (403, 404, 422, …), *DecodeError for a body of the wrong shape,
// or a transport error; the request is retried like any GET.
func (c *Client) PullJob(ctx context.Context, id string) (*PullResult, error) {
	path, err := jobPath("pull", id)
	if err != nil {
		return nil, err
	}
	resp, err := c.do(ctx, request{method: http.MethodGet, path: path, query: pullQuery, kind: callRead})
	if err != nil {
		return nil, err
	}
	result, err := DecodePull(resp.Body)
	if err != nil {
		// No snippet: the body holds presigned URLs.
		return nil, &DecodeError{Method: http.MethodGet, Path: path, StatusCode: resp.StatusCode, Reason: err.Error()}
	}
	return result, nil
}

// DecodePull parses the body of GET /job/pull. Unknown fields are ignored
// and an absent or null `download_map` means no files; it refuses a body
// that is not a JSON object, a `download_map` that is not an object, and an
// entry that is neither a string nor null. Errors name paths, never URLs.
func DecodePull(body []byte) (*PullResult, error) {
	var envelope struct {
		Message     json.RawMessage `json:"message"`
		DownloadMap json.RawMessage `json:"download_map"`
		Command     json.RawMessage `json:"command"`
	}
	if err := json.Unmarshal(body, &envelope); err != nil {
		return nil, fmt.Errorf("the body is not a JSON object")
	}
	result := &PullResult{Message: textOf(envelope.Message), Files: []PulledFile{}}
	// A command of another type is ignored: the caller learns the job's
	// state from GET /job/info, not from here.
	result.Command, _ = optionalText(envelope.Command)
	raw := bytes.TrimSpace(envelope.DownloadMap)
	if len(raw) == 0 || string(raw) == "null" {
		return result, nil
	}
	var entries map[string]json.RawMessage
	if err := json.Unmarshal(raw, &entries); err != nil {
		return nil, fmt.Errorf("`download_map` is not a JSON object")
	}
	for path, value := range entries {
		link, ok := optionalText(value)
		if !ok {
			return nil, fmt.Errorf("the `download_map` entry for %q is neither a URL string nor null", path)
		}
		result.Files = append(result.Files, PulledFile{Path: path, URL: link})
	}
	sort.Slice(result.Files, func(i, j int) bool { return result.Files[i].Path < result.Files[j].Path })
	return result, nil
}

// optionalText reads a JSON string or null ("" for null or absent); ok is
// false for any other JSON value.
func optionalText(raw json.RawMessage) (string, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", true
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", false
	}
	return s, true
}
