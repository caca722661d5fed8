package client

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/testing/sim"
)

// A create whose answer is lost is reconciled by its kind's list: the ids
// listed before it was sent against those listed after (policy.go,
// createChange).

// TestALostCreateIsAdoptedFromTheList: against the simulator, a cluster
// claim and a volume create whose answer is a 500 after the work, a
// dropped connection after the work, or a timeout after the work, answer
// with the one object the engine made, sent once: no duplicate.
func TestALostCreateIsAdoptedFromTheList(t *testing.T) {
	ctx := context.Background()
	for name, fault := range map[string]sim.Faults{
		"500 after the change":          {FailAfterChange: 1},
		"connection dropped after send": {DropAfterChange: 1},
		"timeout":                       {LateAnswers: 1, LateBy: 2 * time.Second, LateChanges: true},
	} {
		t.Run(name, func(t *testing.T) {
			srv, _ := startSim(t, sim.Options{})
			e := srv.Engine
			c, err := New(Config{BaseURL: srv.URL, APIKey: testKey, RetryPolicy: fastPolicy, RequestTimeout: 300 * time.Millisecond})
			if err != nil {
				t.Fatal(err)
			}
			// What was there before is not taken for the create's.
			old, _ := e.AddCluster(testKey, sim.ClusterSpec{Name: "old"})
			if _, err := e.AddStorage(testKey, sim.StorageSpec{SizeGB: 10}); err != nil {
				t.Fatal(err)
			}
			e.SetFaults(fault)
			cluster, err := c.CreateCluster(ctx, ClusterSpec{InstanceType: "1xH100", Name: ptr("train")})
			if err != nil || !cluster.Adopted || cluster.ClusterID == old || cluster.RequestID != "" {
				t.Fatalf("cluster: %+v %v", cluster, err)
			}
			e.SetFaults(fault)
			volume, err := c.CreateStorage(ctx, StorageSpec{SizeGB: 10, Name: ptr("data")})
			if err != nil || !volume.Adopted {
				t.Fatalf("volume: %+v %v", volume, err)
			}
			clusters, volumes := e.Clusters(), e.Storage()
			if n := countOwned(clusters, func(c sim.ClusterSnapshot) bool { return c.ClusterID == cluster.ClusterID }); n != 1 || len(clusters) != 3 {
				t.Errorf("the engine has %d clusters (want the shared one, the old one and the claim's), %s among them %d times", len(clusters), cluster.ClusterID, n)
			}
			if len(volumes) != 2 || (volumes[0].StorageID != volume.StorageID && volumes[1].StorageID != volume.StorageID) {
				t.Errorf("the engine has %d volumes, want 2 with %s: %+v", len(volumes), volume.StorageID, volumes)
			}
			if n := e.Stats()["POST /cluster/create"] + e.Stats()["POST /storage/create"]; n != 2 {
				t.Errorf("%d creates sent, want one of each", n)
			}
		})
	}
}

func countOwned[T any](items []T, match func(T) bool) (n int) {
	for _, item := range items {
		if match(item) {
			n++
		}
	}
	return n
}

// TestALostCreateWithSeveralNewObjectsAdoptsNone: when two clusters
// appeared (another create raced this one), or the one new cluster is not
// what was asked, nothing is adopted and nothing sent again: the error
// names each candidate and the command that releases it.
func TestALostCreateWithSeveralNewObjectsAdoptsNone(t *testing.T) {
	ctx := context.Background()
	info := func(body string) []func(http.ResponseWriter) {
		return []func(http.ResponseWriter){jsonReply(http.StatusOK, body)}
	}
	for _, tc := range []struct {
		name   string
		routes map[string][]func(http.ResponseWriter)
		create func(c *Client) error
		route  string
		want   []string
	}{
		{"two new clusters", map[string][]func(http.ResponseWriter){
			"GET /cluster/list": {jsonReply(http.StatusOK, `{"message":"c-old RUNNING"}`), jsonReply(http.StatusOK, `{"message":"c-old RUNNING\nc-a PENDING\nc-b PENDING"}`)},
		}, func(c *Client) error {
			_, err := c.CreateCluster(ctx, ClusterSpec{InstanceType: "1xH100"})
			return err
		}, "POST /cluster/create", []string{"2 new clusters appeared", "c-a, c-b", "`tp cluster destroy c-a` or `tp cluster destroy c-b`", "find it with `tp cluster list`"}},
		{"a new cluster of another type", map[string][]func(http.ResponseWriter){
			"GET /cluster/list":     {jsonReply(http.StatusOK, `{"message":"No clusters"}`), jsonReply(http.StatusOK, `{"message":"c-a PENDING"}`)},
			"GET /cluster/info/c-a": info(`{"cluster_info":{"instance_type":"8xB200","tp_cluster_name":"train"}}`),
		}, func(c *Client) error {
			_, err := c.CreateCluster(ctx, ClusterSpec{InstanceType: "1xH100", Name: ptr("train")})
			return err
		}, "POST /cluster/create", []string{"one new cluster appeared", "c-a", "instance_type 1xH100 asked, 8xB200 reported", "`tp cluster destroy c-a`"}},
		{"a new volume of another size", map[string][]func(http.ResponseWriter){
			"GET /storage/list":     {jsonReply(http.StatusOK, `{"message":""}`), jsonReply(http.StatusOK, `{"message":"s-9"}`)},
			"GET /storage/info/s-9": info(`{"storage_info":{"size_gb":500,"tp_storage_name":"other"}}`),
		}, func(c *Client) error {
			_, err := c.CreateStorage(ctx, StorageSpec{SizeGB: 10, Name: ptr("data")})
			return err
		}, "POST /storage/create", []string{"s-9", `size 10 asked, 500 reported; name "data" asked, "other" reported`, "`tp storage destroy s-9`"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.routes[tc.route] = []func(http.ResponseWriter){internalError, accepted}
			c, srv := newRouteClient(t, Config{}, tc.routes)
			err := tc.create(c)
			var unconfirmed *UnconfirmedError
			if !errors.As(err, &unconfirmed) || IsOutage(err) || len(unconfirmed.Candidates) == 0 {
				t.Fatalf("want an *UnconfirmedError naming candidates, got %v", err)
			}
			for _, want := range tc.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("the error does not say %q: %v", want, err)
				}
			}
			if n := srv.served[tc.route]; n != 1 {
				t.Errorf("sent %d times, want once", n)
			}
		})
	}
}

// TestACreateWhoseListCannotBeRead: a list that is not an outage but
// cannot be read (an engine without the route) does not stop the create,
// which is answered as usual; lost, it is unconfirmed, saying why. A list
// that stays unavailable until the deadline stops the create before it is
// sent, as an outage (here: without a deadline, for the two minutes a
// change rides outages out).
func TestACreateWhoseListCannotBeRead(t *testing.T) {
	ctx := context.Background()
	noList := jsonReply(http.StatusNotFound, `{"detail":"Not Found"}`)
	c, srv := newRouteClient(t, Config{}, map[string][]func(http.ResponseWriter){"GET /cluster/list": {noList}, "POST /cluster/create": {accepted}})
	if created, err := c.CreateCluster(ctx, ClusterSpec{InstanceType: "1xH100"}); err != nil || created.ClusterID != "c-1" || srv.served["POST /cluster/create"] != 1 {
		t.Fatalf("answered: %+v %v, sent %d times", created, err, srv.served["POST /cluster/create"])
	}
	c, srv = newRouteClient(t, Config{}, map[string][]func(http.ResponseWriter){"GET /cluster/list": {noList}, "POST /cluster/create": {internalError, accepted}})
	_, err := c.CreateCluster(ctx, ClusterSpec{InstanceType: "1xH100"})
	if !IsUnconfirmed(err) || !strings.Contains(err.Error(), "list read before the create was sent failed") || srv.served["POST /cluster/create"] != 1 {
		t.Fatalf("lost: %v, sent %d times", err, srv.served["POST /cluster/create"])
	}
	c, srv = newRouteClient(t, Config{Clock: runningClock(t)}, map[string][]func(http.ResponseWriter){"GET /cluster/list": {unavailable}, "POST /cluster/create": {accepted}})
	_, err = c.CreateCluster(ctx, ClusterSpec{InstanceType: "1xH100"})
	if !IsOutage(err) || srv.served["POST /cluster/create"] != 0 || !strings.Contains(err.Error(), "which was not sent") {
		t.Fatalf("list unavailable: %v, create sent %d times", err, srv.served["POST /cluster/create"])
	}
}
