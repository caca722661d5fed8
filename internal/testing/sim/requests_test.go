package sim

import (
	"strings"
	"testing"
	"time"
)

func TestRequestMovesOnTheClockWithRetryAfter(t *testing.T) {
	srv, fc := start(t, func(o *Options) {
		o.RequestPendingLatency = time.Second
		o.ClusterProvisionLatency = 3 * time.Second
		o.RequestRetryAfter = 1500 * time.Millisecond // rounded up to 2
	})
	cid, rid := createCluster(t, srv, `{"instance_type":"8xB200","num_nodes":2}`)
	if !strings.HasPrefix(cid, "c-") || len(cid) != 14 {
		t.Errorf("cluster id %q, want c- and 12 hex digits", cid)
	}

	st, r := requestStatus(t, srv, rid)
	m := r.object(t)
	if st != RequestPending || m["request_type"] != RequestClusterClaim || m["object_id"] != cid || m["created_at"] != "2026-01-02T03:04:05Z" {
		t.Errorf("new claim %s", r.body)
	}
	if got := r.header.Get("Retry-After"); got != "2" {
		t.Errorf("Retry-After %q on a PENDING request, want 2", got)
	}
	if c := mustCluster(t, srv.Engine, cid); c.Status != ClusterPending || c.Billing {
		t.Errorf("cluster while PENDING: %+v", c)
	}

	fc.Advance(time.Second)
	if st, r = requestStatus(t, srv, rid); st != RequestProcessing || r.header.Get("Retry-After") != "2" {
		t.Errorf("after 1s: %s %q, want PROCESSING with Retry-After", st, r.header.Get("Retry-After"))
	}
	c := mustCluster(t, srv.Engine, cid)
	if c.Status != ClusterPending || !c.Billing || c.BillingStartedAt == nil || !c.BillingStartedAt.Equal(at(time.Second)) {
		t.Errorf("cluster while PROCESSING: status %s billing %v from %v", c.Status, c.Billing, c.BillingStartedAt)
	}
	if got := clusterInfoOf(t, srv, cid)["status"]; got != ClusterPending {
		t.Errorf("info status %v while provisioning, want PENDING", got)
	}

	fc.Advance(3*time.Second - 1)
	if st, _ = requestStatus(t, srv, rid); st != RequestProcessing {
		t.Errorf("1ns before the end: %s", st)
	}
	fc.Advance(1)
	st, r = requestStatus(t, srv, rid)
	if st != RequestCompleted || r.header.Get("Retry-After") != "" {
		t.Errorf("at the end: %s, Retry-After %q; want COMPLETED without Retry-After", st, r.header.Get("Retry-After"))
	}
	if got := clusterInfoOf(t, srv, cid)["status"]; got != ClusterRunning {
		t.Errorf("info status %v after the claim, want RUNNING", got)
	}
	wantStatuses(t, srv.Engine, rid, RequestPending, RequestProcessing, RequestCompleted)
	snap, _ := srv.Engine.Request(rid)
	if snap.TerminalAt == nil || !snap.TerminalAt.Equal(at(4*time.Second)) || snap.ObservedTerminalAt == nil || !snap.ObservedTerminalAt.Equal(at(4*time.Second)) {
		t.Errorf("terminal %v observed %v, want both at +4s", snap.TerminalAt, snap.ObservedTerminalAt)
	}
}

func TestZeroLatencyRequestsCompleteAtOnceWithoutRetryAfter(t *testing.T) {
	srv, _ := start(t, instant)
	cid, rid := createCluster(t, srv, `{"instance_type":"1xH100"}`)
	st, r := requestStatus(t, srv, rid)
	if st != RequestCompleted || r.header.Get("Retry-After") != "" {
		t.Errorf("instant claim: %s, Retry-After %q", st, r.header.Get("Retry-After"))
	}
	if m := r.object(t); m["external_message"] != nil {
		t.Errorf("external_message %v on a plain completion, want null", m["external_message"])
	}
	// Still observable as PROCESSING, for 0 s.
	wantStatuses(t, srv.Engine, rid, RequestPending, RequestProcessing, RequestCompleted)
	if c := mustCluster(t, srv.Engine, cid); c.Status != ClusterRunning || !c.Billing {
		t.Errorf("instant claim left the cluster %s billing=%v", c.Status, c.Billing)
	}
}

func TestRequestInfoUnknownAndOthers(t *testing.T) {
	srv, _ := start(t, instant)
	_, rid := createCluster(t, srv, `{"instance_type":"1xH100"}`)
	do(t, "GET", srv.URL+"/request/info/req-000000000000", key1, "").expect(t, 404, nil)
	do(t, "GET", srv.URL+"/request/info/"+rid, key2, "").expect(t, 403, nil)
	do(t, "GET", srv.URL+"/request/info/"+rid, "", "").expect(t, 401, nil)
	if got := srv.Engine.RequestsFor(rid)["GET /request/info"]; got != 2 {
		t.Errorf("RequestsFor(%s) counts %d polls, want 2 (403 and 401 included)", rid, got)
	}
}

func TestCapacityShortageRetriesThenCompletes(t *testing.T) {
	srv, fc := start(t, func(o *Options) {
		o.ClusterProvisionLatency = 2 * time.Second
		o.RequestRetryAfter = time.Second
	})
	srv.Engine.SetFaults(Faults{CapacityShortage: 12 * time.Second})
	cid, rid := createCluster(t, srv, `{"instance_type":"8xB200","num_nodes":2}`)

	st, r := requestStatus(t, srv, rid)
	first, _ := r.object(t)["external_message"].(string)
	if st != RequestRetrying || !strings.Contains(first, "8xB200") || !strings.Contains(first, "attempt 1") || r.header.Get("Retry-After") != "1" {
		t.Errorf("claim during shortage: %s %q Retry-After %q", st, first, r.header.Get("Retry-After"))
	}
	fc.Advance(5 * time.Second)
	_, r = requestStatus(t, srv, rid)
	if msg, _ := r.object(t)["external_message"].(string); !strings.Contains(msg, "attempt 2") {
		t.Errorf("5 s later the message is %q, want attempt 2", msg)
	}
	if c := mustCluster(t, srv.Engine, cid); c.Billing || c.Status != ClusterPending {
		t.Errorf("a cluster waiting for capacity bills or is %s", c.Status)
	}
	// The switch is read when the claim is accepted: turning it off changes
	// nothing for this claim.
	srv.Engine.SetFaults(Faults{})
	fc.Advance(7 * time.Second) // +12s: capacity found
	if st, _ = requestStatus(t, srv, rid); st != RequestProcessing {
		t.Errorf("after the shortage: %s, want PROCESSING", st)
	}
	if c := mustCluster(t, srv.Engine, cid); !c.Billing || !c.BillingStartedAt.Equal(at(12*time.Second)) {
		t.Errorf("billing %v from %v, want from +12s", c.Billing, c.BillingStartedAt)
	}
	fc.Advance(2 * time.Second)
	if st, _ = requestStatus(t, srv, rid); st != RequestCompleted {
		t.Errorf("after provisioning: %s", st)
	}
	wantStatuses(t, srv.Engine, rid, RequestPending, RequestProcessing, RequestRetrying, RequestProcessing, RequestCompleted)
	if c := mustCluster(t, srv.Engine, cid); c.Status != ClusterRunning {
		t.Errorf("cluster %s after the claim", c.Status)
	}
	// A claim accepted with the switch off is not delayed.
	_, rid2 := createCluster(t, srv, `{"instance_type":"1xH100"}`)
	if st, _ = requestStatus(t, srv, rid2); st != RequestProcessing {
		t.Errorf("claim without shortage: %s", st)
	}
}

func TestCapacityShortageFails(t *testing.T) {
	srv, fc := start(t, instant)
	srv.Engine.SetFaults(Faults{CapacityShortage: 10 * time.Second, CapacityOutcome: CapacityFailed})
	cid, rid := createCluster(t, srv, `{"instance_type":"8xH100"}`)
	fc.Advance(10 * time.Second)
	st, r := requestStatus(t, srv, rid)
	msg, _ := r.object(t)["external_message"].(string)
	if st != RequestFailed || !strings.Contains(msg, "8xH100") || !strings.Contains(msg, "nothing is running") {
		t.Errorf("failed claim: %s %q", st, msg)
	}
	c := mustCluster(t, srv.Engine, cid)
	if c.Status != ClusterFailed || c.Billing || c.Billed != 0 {
		t.Errorf("failed claim's cluster: %s billing=%v billed=%s", c.Status, c.Billing, c.Billed)
	}
	if got := clusterInfoOf(t, srv, cid)["status"]; got != ClusterFailed {
		t.Errorf("info status %v, want FAILED", got)
	}
	if err := srv.Engine.CheckNothingBilling("user-1"); err != nil {
		t.Errorf("a failed claim counts as live: %v", err)
	}
	do(t, "DELETE", srv.URL+"/cluster/"+cid, key1, "").expect(t, 400, nil)
}

func TestFailedClaimThatLeavesTheClusterRunning(t *testing.T) {
	srv, fc := start(t, instant)
	srv.Engine.SetFaults(Faults{CapacityOutcome: CapacityFailedRunning})
	cid, rid := createCluster(t, srv, `{"instance_type":"8xH100"}`)
	if st, _ := requestStatus(t, srv, rid); st != RequestFailed {
		t.Fatalf("claim %s, want FAILED", st)
	}
	fc.Advance(time.Minute)
	c := mustCluster(t, srv.Engine, cid)
	if c.Status != ClusterRunning || !c.Billing || c.Billed != time.Minute {
		t.Errorf("cluster after a failed-running claim: %s billing=%v billed=%s", c.Status, c.Billing, c.Billed)
	}
	if err := srv.Engine.CheckNothingBilling("user-1"); err == nil || !strings.Contains(err.Error(), cid) {
		t.Errorf("CheckNothingBilling = %v, want %s reported", err, cid)
	}
	// It can and must be released.
	rel := do(t, "DELETE", srv.URL+"/cluster/"+cid, key1, "").expect(t, 202, nil)
	if st, _ := requestStatus(t, srv, str(t, rel, "request_id")); st != RequestCompleted {
		t.Errorf("release %s", st)
	}
	if err := srv.Engine.CheckNothingBilling("user-1"); err != nil {
		t.Errorf("after the release: %v", err)
	}
}

func TestReleaseDuringAClaimCancelsIt(t *testing.T) {
	srv, fc := start(t, func(o *Options) { o.ClusterReleaseLatency = 2 * time.Second })
	srv.Engine.SetFaults(Faults{CapacityShortage: time.Hour})
	cid, claim := createCluster(t, srv, `{"instance_type":"8xB200"}`)
	fc.Advance(30 * time.Second)
	rel := str(t, do(t, "DELETE", srv.URL+"/cluster/"+cid, key1, "").expect(t, 202, nil), "request_id")
	st, r := requestStatus(t, srv, claim)
	if msg, _ := r.object(t)["external_message"].(string); st != RequestFailed || !strings.Contains(msg, "released") {
		t.Errorf("claim after a release: %s %q", st, msg)
	}
	if got := clusterInfoOf(t, srv, cid)["status"]; got != ClusterDestroying {
		t.Errorf("status %v during the release", got)
	}
	fc.Advance(2 * time.Second)
	if st, _ := requestStatus(t, srv, rel); st != RequestCompleted {
		t.Errorf("release %s", st)
	}
	// An hour later the canceled claim has not come back to life.
	fc.Advance(time.Hour)
	c := mustCluster(t, srv.Engine, cid)
	if c.Status != ClusterDestroyed || c.Billed != 0 {
		t.Errorf("cluster %s billed %s, want DESTROYED and never billed", c.Status, c.Billed)
	}
}
