package client

// A stand-in for engineer A's lists.go (the shared ids-from-list-answers
// piece, notes/lists-api.md), with the same API, so that the list resources
// build and run before it lands. It is deleted when wt-A is merged.

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

var pendingClusterID = regexp.MustCompile(`\bc-[A-Za-z0-9_-]+`)

func (c *Client) pendingListMessage(ctx context.Context, path string, includeOrg bool) (string, error) {
	req := request{method: http.MethodGet, path: path, kind: callRead}
	if includeOrg {
		req.query = url.Values{"include_org": {"true"}}
	}
	resp, err := c.do(ctx, req)
	if err != nil {
		return "", err
	}
	text, _ := messageOnly(resp.Body)
	return text, nil
}

// ListClusterIDs names the clusters a cluster list shows.
func (c *Client) ListClusterIDs(ctx context.Context, includeOrg bool) ([]string, error) {
	text, err := c.pendingListMessage(ctx, "/cluster/list", includeOrg)
	if err != nil {
		return nil, err
	}
	return uniqueStrings(pendingClusterID.FindAllString(text, -1)), nil
}

// ListStorageIDs names the volumes a storage list shows.
func (c *Client) ListStorageIDs(ctx context.Context, includeOrg bool) ([]string, error) {
	return c.pendingConfirmed(ctx, "/storage/list", includeOrg, func(ctx context.Context, id string) error {
		_, err := c.GetStorage(ctx, id)
		return err
	})
}

// ListJobIDs names the jobs a job list shows.
func (c *Client) ListJobIDs(ctx context.Context, includeOrg bool) ([]string, error) {
	return c.pendingConfirmed(ctx, "/job/list", includeOrg, func(ctx context.Context, id string) error {
		_, err := c.GetJob(ctx, id)
		return err
	})
}

func (c *Client) pendingConfirmed(ctx context.Context, path string, includeOrg bool, info func(context.Context, string) error) ([]string, error) {
	text, err := c.pendingListMessage(ctx, path, includeOrg)
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, line := range strings.Split(text, "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 || ValidateObjectID("object", fields[0]) != nil {
			continue
		}
		err := info(ctx, fields[0])
		if IsNotFound(err) || IsBadRequest(err) {
			continue
		}
		if err != nil {
			return nil, err
		}
		ids = append(ids, fields[0])
	}
	return uniqueStrings(ids), nil
}

func uniqueStrings(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}
