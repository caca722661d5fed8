package client

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
)

// This file reads ids out of the engine's list answers. The list routes
// (GET /cluster/list, /storage/list, /job/list, each with an optional
// include_org=true) answer with a pre-rendered `message` [CLI]; a
// structured list is [UNK]. So a structured list (`clusters`, `storage`,
// `jobs`: arrays of objects with an id field, or of ids) is used when the
// answer has one; otherwise the ids are read out of the text: a cluster id
// by its documented `c-…` form [DOC]; a volume or job id, whose form is
// [UNK], by asking the kind's info route about each word of the text that
// could be one: a 200 proves an id, a 400, 404 or 422 that the word is
// not one [INF].

// listing is one of the engine's list routes.
type listing struct {
	// kind names the objects in errors ("cluster").
	kind string
	path string
	// arrayKeys are the names a structured list may go by, the documented
	// guess first; idKeys the names of an entry's id.
	arrayKeys, idKeys []string
	// idForm, when set, is the documented form of an id: a word of the
	// text in that form is an id, with no read. Nil when the form is [UNK].
	idForm *regexp.Regexp
	// infoPath is the kind's info route for a word of the text, an error
	// for a word that cannot be an id (it is never sent).
	infoPath func(word string) (string, error)
}

// clusterIDForm is a cluster id as documented, `c-…` [DOC].
var clusterIDForm = regexp.MustCompile(`^c-[A-Za-z0-9][A-Za-z0-9_-]*$`)

// listWord is one word of a list's text that could be an id: a run of the
// characters ids are made of, as ValidateJobID and ValidateObjectID accept
// them (letters, digits, '-', '_', '.'), starting with a letter or digit.
var listWord = regexp.MustCompile(`[A-Za-z0-9][A-Za-z0-9_.-]*`)

func clusterListing() listing {
	return listing{
		kind: "cluster", path: "/cluster/list",
		arrayKeys: []string{"clusters", "cluster_list", "cluster_infos"},
		idKeys:    []string{"cluster_id", "id"},
		idForm:    clusterIDForm,
	}
}

func storageListing() listing {
	return listing{
		kind: "storage volume", path: "/storage/list",
		arrayKeys: []string{"storage", "storage_list", "storage_volumes", "volumes"},
		idKeys:    []string{"storage_id", "id"},
		infoPath:  func(word string) (string, error) { return objectPath("storage volume", "/storage/info/", word) },
	}
}

func jobListing() listing {
	return listing{
		kind: "job", path: "/job/list",
		arrayKeys: []string{"jobs", "job_list"},
		idKeys:    []string{"job_id", "id"},
		infoPath:  func(word string) (string, error) { return jobPath("info", word) },
	}
}

// ListClusterIDs lists the ids of the caller's clusters (includeOrg: the
// organisation's instead [DOC]), in the order listed.
func (c *Client) ListClusterIDs(ctx context.Context, includeOrg bool) ([]string, error) {
	return c.listIDs(ctx, clusterListing(), includeOrg)
}

// ListStorageIDs lists the ids of the caller's storage volumes (includeOrg:
// the organisation's instead [DOC]), in the order listed. Read out of a
// message-only answer, every word that could be a volume id costs one
// GET /storage/info.
func (c *Client) ListStorageIDs(ctx context.Context, includeOrg bool) ([]string, error) {
	return c.listIDs(ctx, storageListing(), includeOrg)
}

// ListJobIDs lists the ids of the caller's jobs (includeOrg: the
// organisation's instead [CLI]), in the order listed. Read out of a
// message-only answer, every word that could be a job id costs one
// GET /job/info.
func (c *Client) ListJobIDs(ctx context.Context, includeOrg bool) ([]string, error) {
	return c.listIDs(ctx, jobListing(), includeOrg)
}

// listed is what one list answer names: ids it proves (a structured list,
// or words in the documented id form) and, from a message-only answer of a
// kind whose id form is [UNK], the words that may be ids, still to confirm.
type listed struct {
	ids, words []string
}

// all is every id and word, for telling what is new in a later answer.
func (l listed) all() []string { return append(slices.Clone(l.ids), l.words...) }

func (c *Client) listIDs(ctx context.Context, l listing, includeOrg bool) ([]string, error) {
	answer, err := c.readList(ctx, l, includeOrg)
	if err != nil {
		return nil, err
	}
	confirmed, err := c.confirmIDs(ctx, l, answer.words)
	if err != nil {
		return nil, err
	}
	return append(append([]string{}, answer.ids...), confirmed...), nil
}

// readList reads l's list route once, under the read policy.
func (c *Client) readList(ctx context.Context, l listing, includeOrg bool) (listed, error) {
	req := request{method: http.MethodGet, path: l.path, kind: callRead}
	if includeOrg {
		req.query = url.Values{"include_org": []string{"true"}}
	}
	resp, err := c.do(ctx, req)
	if err != nil {
		return listed{}, err
	}
	answer, err := decodeList(resp.Body, l)
	if err != nil {
		return listed{}, &DecodeError{Method: http.MethodGet, Path: l.path, StatusCode: resp.StatusCode, Reason: err.Error(), Snippet: snippet(resp.Body)}
	}
	return answer, nil
}

// decodeList reads a list answer: its structured list when it has one
// (entries without an id skipped), else its `message` text.
func decodeList(body []byte, l listing) (listed, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(body, &fields); err != nil || fields == nil {
		return listed{}, errListNotObject
	}
	if ids := idList(fields, l.idKeys, l.arrayKeys...); ids != nil {
		return listed{ids: uniqueStrings(ids)}, nil
	}
	raw, ok := field(fields, "message")
	if !ok {
		return listed{}, errListNoMessage
	}
	var answer listed
	for _, word := range uniqueStrings(listWord.FindAllString(textOf(raw), -1)) {
		switch {
		case l.idForm != nil:
			if l.idForm.MatchString(word) {
				answer.ids = append(answer.ids, word)
			}
		default:
			if _, err := l.infoPath(word); err == nil {
				answer.words = append(answer.words, word)
			}
		}
	}
	return answer, nil
}

// decodeList's refusals, as DecodeError reasons.
var (
	errListNotObject = listError("the body is not a JSON object")
	errListNoMessage = listError("the answer has neither a list nor a `message`")
)

type listError string

func (e listError) Error() string { return string(e) }

// confirmIDs asks l's info route about each word, in order, and keeps
// those it knows: a 200 proves an id, whatever its body; a 400, 404 or 422
// says the word is not one [INF]. Any other failure (after the read
// policy's retries) ends the list.
func (c *Client) confirmIDs(ctx context.Context, l listing, words []string) ([]string, error) {
	var ids []string
	for _, word := range words {
		path, err := l.infoPath(word)
		if err != nil {
			continue
		}
		_, err = c.do(ctx, request{method: http.MethodGet, path: path, kind: callRead})
		switch {
		case err == nil:
			ids = append(ids, word)
		case IsNotFound(err) || IsBadRequest(err) || hasStatus(err, http.StatusUnprocessableEntity):
		default:
			return nil, err
		}
	}
	return ids, nil
}

// uniqueStrings drops repeats and blanks, keeping the first of each.
func uniqueStrings(values []string) []string {
	seen := map[string]bool{}
	out := []string{}
	for _, v := range values {
		if v = strings.TrimSpace(v); v != "" && !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}
