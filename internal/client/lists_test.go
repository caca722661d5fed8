package client

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/testing/sim"
)

// TestListIDsAgainstTheSimulator: the simulator's lists are message-only
// [CLI]: cluster ids are read by their c-… form, volume and job ids are
// the words of the text that their info route knows; another user's
// objects are not listed, and an empty list is no ids.
func TestListIDsAgainstTheSimulator(t *testing.T) {
	srv, c := startSim(t, sim.Options{})
	ctx := context.Background()
	e := srv.Engine
	for name, list := range map[string]func(context.Context, bool) ([]string, error){
		"clusters": c.ListClusterIDs, "volumes": c.ListStorageIDs, "jobs": c.ListJobIDs,
	} {
		// c-local is the simulator's shared cluster, which every user sees.
		want := map[string][]string{"clusters": {"c-local"}}[name]
		if ids, err := list(ctx, false); err != nil || ids == nil || !slices.Equal(ids, want) && len(want)+len(ids) > 0 {
			t.Errorf("%s, none yet: %q %v", name, ids, err)
		}
	}
	c1, _ := e.AddCluster(testKey, sim.ClusterSpec{Name: "alpha"})
	c2, _ := e.AddCluster(testKey, sim.ClusterSpec{InstanceType: "8xH100", NumNodes: 2})
	if _, err := e.AddCluster(otherKey, sim.ClusterSpec{Name: "theirs"}); err != nil {
		t.Fatal(err)
	}
	s1, _ := e.AddStorage(testKey, sim.StorageSpec{SizeGB: 10, Name: "data"})
	s2, _ := e.AddStorage(testKey, sim.StorageSpec{SizeGB: 20})
	if _, err := e.AddStorage(otherKey, sim.StorageSpec{SizeGB: 30}); err != nil {
		t.Fatal(err)
	}
	j1, err := e.AddJob(testKey, c1)
	if err != nil {
		t.Fatal(err)
	}
	j2, _ := e.AddJob(testKey, c1)
	for name, tc := range map[string]struct {
		list func(context.Context, bool) ([]string, error)
		want []string
	}{
		"clusters": {c.ListClusterIDs, []string{"c-local", c1, c2}},
		"volumes":  {c.ListStorageIDs, []string{s1, s2}},
		"jobs":     {c.ListJobIDs, []string{j1, j2}},
	} {
		for _, org := range []bool{false, true} {
			ids, err := tc.list(ctx, org)
			if err != nil {
				t.Fatalf("%s (include_org %t): %v", name, org, err)
			}
			// The job list's order is the simulator's; the objects' is creation order.
			if name == "jobs" {
				slices.Sort(ids)
				slices.Sort(tc.want)
			}
			if !slices.Equal(ids, tc.want) {
				t.Errorf("%s (include_org %t): %q, want %q", name, org, ids, tc.want)
			}
		}
	}
}

// listServer answers GET path with body, and each info route with 200 for
// the ids in known, 404 for anything else; hits counts the requests by
// path (with the query).
func listServer(t *testing.T, path, body string, known ...string) (c *Client, hits func(string) int) {
	t.Helper()
	var mu sync.Mutex
	count := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		count[r.URL.RequestURI()]++
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.URL.Path == path:
			_, _ = io.WriteString(w, body)
		case slices.Contains(known, r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:]):
			_, _ = io.WriteString(w, `{"message":"known"}`)
		default:
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, `{"detail":"Not found"}`)
		}
	}))
	t.Cleanup(srv.Close)
	c, err := New(Config{BaseURL: srv.URL, APIKey: testKey, RetryPolicy: fastPolicy})
	if err != nil {
		t.Fatal(err)
	}
	return c, func(uri string) int {
		mu.Lock()
		defer mu.Unlock()
		return count[uri]
	}
}

// TestListIDsReadsAStructuredListWhenThereIsOne: an answer with a list of
// objects (or of ids) is taken as it is, with no info read, entries
// without an id skipped and repeats dropped.
func TestListIDsReadsAStructuredListWhenThereIsOne(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name, path, body string
		list             func(c *Client) ([]string, error)
		want             []string
	}{
		{"clusters", "/cluster/list", `{"clusters":[{"cluster_id":"c-1"},{"id":"c-2"},{"name":"no id"},{"cluster_id":"c-1"}],"message":"c-9 is only text"}`,
			func(c *Client) ([]string, error) { return c.ListClusterIDs(ctx, false) }, []string{"c-1", "c-2"}},
		{"volumes", "/storage/list", `{"storage":[{"storage_id":"vol-a"},"vol-b"],"message":"vol-z"}`,
			func(c *Client) ([]string, error) { return c.ListStorageIDs(ctx, false) }, []string{"vol-a", "vol-b"}},
		{"jobs", "/job/list", `{"jobs":[{"job_id":"j1"},{"job_id":"j2"}]}`,
			func(c *Client) ([]string, error) { return c.ListJobIDs(ctx, false) }, []string{"j1", "j2"}},
		{"empty", "/storage/list", `{"storage":[],"message":"No storage volumes"}`,
			func(c *Client) ([]string, error) { return c.ListStorageIDs(ctx, false) }, []string{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, hits := listServer(t, tc.path, tc.body, "vol-z")
			ids, err := tc.list(c)
			if err != nil || !slices.Equal(ids, tc.want) || ids == nil {
				t.Fatalf("%q %v, want %q", ids, err, tc.want)
			}
			if hits("/storage/info/vol-z") != 0 {
				t.Error("the text was read although the answer has a list")
			}
		})
	}
}

// TestListIDsReadsAMessageOnlyAnswer: from text alone, cluster ids are the
// words in the c-… form, with no read; volume and job ids are the words
// their info route answers 200 for, each word asked about once.
func TestListIDsReadsAMessageOnlyAnswer(t *testing.T) {
	ctx := context.Background()
	t.Run("clusters", func(t *testing.T) {
		c, hits := listServer(t, "/cluster/list", `{"message":"c-1a2b  RUNNING  1 × 1xH100  alpha\nc-3c4d  PENDING  2 × 8xH100  c-3c4d"}`)
		ids, err := c.ListClusterIDs(ctx, false)
		if err != nil || !slices.Equal(ids, []string{"c-1a2b", "c-3c4d"}) {
			t.Fatalf("%q %v", ids, err)
		}
		if n := hits("/cluster/info/c-1a2b"); n != 0 {
			t.Errorf("%d info reads for a cluster id in its documented form", n)
		}
	})
	t.Run("volumes", func(t *testing.T) {
		c, hits := listServer(t, "/storage/list", `{"message":"s-01  AVAILABLE  10 GB  data\ns-02  AVAILABLE  20 GB  s-01-backup"}`, "s-01", "s-02")
		ids, err := c.ListStorageIDs(ctx, false)
		if err != nil || !slices.Equal(ids, []string{"s-01", "s-02"}) {
			t.Fatalf("%q %v", ids, err)
		}
		for _, word := range []string{"s-01", "AVAILABLE", "10", "GB", "data", "s-01-backup"} {
			if n := hits("/storage/info/" + word); n != 1 {
				t.Errorf("%q was asked about %d times, want once", word, n)
			}
		}
	})
	t.Run("jobs", func(t *testing.T) {
		c, _ := listServer(t, "/job/list", `{"message":"JOB ID  STATUS   CLUSTER\njob-7   running  c-1\njob-8   pending  c-1"}`, "job-7", "job-8")
		ids, err := c.ListJobIDs(ctx, false)
		if err != nil || !slices.Equal(ids, []string{"job-7", "job-8"}) {
			t.Fatalf("%q %v", ids, err)
		}
	})
}

// TestListIDsOfAnEmptyList: "No clusters" (and its kin) names no id: no
// cluster id in it, and no word of it that an info route knows.
func TestListIDsOfAnEmptyList(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		path, body string
		list       func(c *Client) ([]string, error)
	}{
		{"/cluster/list", `{"message":"No clusters"}`, func(c *Client) ([]string, error) { return c.ListClusterIDs(ctx, false) }},
		{"/storage/list", `{"message":"No storage volumes"}`, func(c *Client) ([]string, error) { return c.ListStorageIDs(ctx, false) }},
		{"/job/list", `{"message":"No jobs found"}`, func(c *Client) ([]string, error) { return c.ListJobIDs(ctx, false) }},
	} {
		c, hits := listServer(t, tc.path, tc.body)
		ids, err := tc.list(c)
		if err != nil || ids == nil || len(ids) != 0 {
			t.Errorf("%s: %q %v, want no ids", tc.path, ids, err)
		}
		if hits(tc.path) != 1 {
			t.Errorf("%s was read %d times", tc.path, hits(tc.path))
		}
	}
}

// TestListIDsIncludeOrg: include_org=true is sent as the query, and only
// then.
func TestListIDsIncludeOrg(t *testing.T) {
	ctx := context.Background()
	c, hits := listServer(t, "/cluster/list", `{"message":"c-1"}`)
	if _, err := c.ListClusterIDs(ctx, true); err != nil {
		t.Fatal(err)
	}
	if _, err := c.ListClusterIDs(ctx, false); err != nil {
		t.Fatal(err)
	}
	if hits("/cluster/list?include_org=true") != 1 || hits("/cluster/list") != 1 {
		t.Errorf("with include_org %d, without %d; want one of each", hits("/cluster/list?include_org=true"), hits("/cluster/list"))
	}
}

// TestListIDsFailures: a list that cannot be read, is not an object, or
// has neither a list nor a message is an error; so is an info read that
// fails otherwise than by saying the word is not an id. A 400 or 422 says
// it is not one, like a 404.
func TestListIDsFailures(t *testing.T) {
	ctx := context.Background()
	c, _ := newTestClient(t, jsonReply(http.StatusOK, `[1,2]`))
	if _, err := c.ListClusterIDs(ctx, false); !isDecodeError(err) {
		t.Errorf("a list that is not an object: %v", err)
	}
	c, _ = newTestClient(t, jsonReply(http.StatusOK, `{"detail":"x"}`))
	if _, err := c.ListClusterIDs(ctx, false); !isDecodeError(err) {
		t.Errorf("an answer with neither a list nor a message: %v", err)
	}
	c, rec := newTestClient(t, jsonReply(http.StatusInternalServerError, `{}`))
	if _, err := c.ListClusterIDs(ctx, false); !IsOutage(err) || rec.count() != DefaultMaxRetries+1 {
		t.Errorf("a list that keeps failing: %v after %d requests (a read rides out 5xx)", err, rec.count())
	}
	c, _ = newTestClient(t, jsonReply(http.StatusOK, `{"message":"s-1 s-2 s-3"}`),
		jsonReply(http.StatusBadRequest, `{"message":"bad id"}`), jsonReply(http.StatusUnprocessableEntity, `{"detail":[]}`),
		jsonReply(http.StatusOK, `{"storage_info":{"storage_id":"s-3"}}`))
	if ids, err := c.ListStorageIDs(ctx, false); err != nil || !slices.Equal(ids, []string{"s-3"}) {
		t.Errorf("400 and 422 are not ids: %q %v", ids, err)
	}
	c, _ = newTestClient(t, jsonReply(http.StatusOK, `{"message":"s-1"}`), jsonReply(http.StatusForbidden, `{"message":"no"}`))
	if _, err := c.ListStorageIDs(ctx, false); !hasStatus(err, http.StatusForbidden) {
		t.Errorf("a 403 on an info read: %v", err)
	}
}

func isDecodeError(err error) bool {
	var decode *DecodeError
	return errors.As(err, &decode)
}
