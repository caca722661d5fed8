package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/clock"
)

// Cluster and request routes, in the engine's stats keys.
const (
	routeClusterCreate  = "POST /cluster/create"
	routeClusterRelease = "DELETE /cluster"
	routeClusterInfo    = "GET /cluster/info"
	routeRequestInfo    = "GET /request/info"
)

// RefRequestPoller claims and releases clusters the way the official
// TensorPool CLI does with --wait (`tp cluster create` / `tp cluster
// destroy`, helpers.py of github.com/tensorpool/tensorpool):
// POST /cluster/create (or DELETE /cluster/{id}), which must answer 202
// with a request_id, then `_poll_request_until_terminal`: GET
// /request/info/{id} at once and again after each non-terminal answer,
// sleeping max(1 s, Retry-After) when the header is an integer and 2 s
// otherwise, with no overall timeout; COMPLETED ends it, FAILED or any
// answer other than 200 is a failure (the CLI does not retry a 429 or a
// 5xx). It uses plain net/http with no retries and counts every request it
// sends, by route, in the engine's stats keys. It leaves out the CLI's
// POST /health version check, which flatters it by one request.
type RefRequestPoller struct {
	BaseURL string
	APIKey  string
	// InstanceType is the instance_type of the clusters it creates; ""
	// means 1xH100.
	InstanceType string
	// Clock times the sleeps; nil means the real clock. Tests share a fake
	// one with the simulator.
	Clock clock.Clock
	// HTTP is the client; nil means one with keep-alive for many clusters.
	HTTP *http.Client
}

// RefClusterResult is what the reference poller did for a set of clusters
// in one phase (create or destroy).
type RefClusterResult struct {
	Clusters int `json:"clusters"`
	// ClusterIDs are the clusters created (create) or released (destroy);
	// RequestIDs the request each one waited for, in the same order ("" when
	// it got none).
	ClusterIDs []string `json:"cluster_ids"`
	RequestIDs []string `json:"request_ids"`
	// Requests counts requests by route ("POST /cluster/create", "GET
	// /request/info", "DELETE /cluster").
	Requests           map[string]int `json:"requests"`
	RequestsPerCluster float64        `json:"requests_per_cluster"`
	// WallSeconds is how long the slowest cluster took, first request to
	// terminal.
	WallSeconds float64 `json:"wall_s"`
	// Lag is filled in by the caller from the engine's snapshots.
	Lag Summary `json:"lag"`
	// Errors are per-cluster failures.
	Errors []string `json:"errors,omitempty"`
}

// cliRequestPollDelay is the CLI's sleep after a non-terminal GET
// /request/info answer with this Retry-After header value:
// `max(1, int(retry_after)) if retry_after else 2`, and 2 when int() raises
// (Python's int accepts surrounding spaces and a sign, nothing else).
func cliRequestPollDelay(header string) time.Duration {
	if header == "" {
		return 2 * time.Second
	}
	secs, err := strconv.Atoi(strings.TrimSpace(header))
	if err != nil {
		return 2 * time.Second
	}
	return time.Duration(max(1, secs)) * time.Second
}

// Create claims n clusters concurrently, as n `tp cluster create --wait`
// run at once, and waits for each claim.
func (p *RefRequestPoller) Create(ctx context.Context, n int) *RefClusterResult {
	typ := p.InstanceType
	if typ == "" {
		typ = "1xH100"
	}
	body, err := json.Marshal(map[string]any{"instance_type": typ, "num_nodes": 1, "deletion_protection": false})
	if err != nil {
		return &RefClusterResult{Clusters: n, Errors: []string{err.Error()}}
	}
	return p.each(ctx, make([]string, n), func(ctx context.Context, s *refSession, _ string) (string, string, error) {
		var created struct {
			ClusterID string `json:"cluster_id"`
			RequestID string `json:"request_id"`
		}
		if err := s.accepted(ctx, http.MethodPost, "/cluster/create", routeClusterCreate, body, &created); err != nil {
			return "", "", err
		}
		if created.ClusterID == "" {
			return "", created.RequestID, fmt.Errorf("the create answer named no cluster_id")
		}
		return created.ClusterID, created.RequestID, nil
	})
}

// Destroy releases the clusters concurrently, as `tp cluster destroy
// --wait` for each at once, and waits for each release.
func (p *RefRequestPoller) Destroy(ctx context.Context, ids []string) *RefClusterResult {
	return p.each(ctx, ids, func(ctx context.Context, s *refSession, id string) (string, string, error) {
		var released struct {
			RequestID string `json:"request_id"`
		}
		err := s.accepted(ctx, http.MethodDelete, "/cluster/"+url.PathEscape(id), routeClusterRelease, nil, &released)
		return id, released.RequestID, err
	})
}

// refSession is one phase's HTTP client and counters.
type refSession struct {
	p   *RefRequestPoller
	hc  *http.Client
	clk clock.Clock
	mu  sync.Mutex
	res *RefClusterResult
}

// start sends the phase's mutation for one cluster: it returns the
// cluster id and the request id to follow.
type startFunc func(ctx context.Context, s *refSession, id string) (clusterID, requestID string, err error)

// each runs start then the request poll for every slot concurrently.
func (p *RefRequestPoller) each(ctx context.Context, ids []string, start startFunc) *RefClusterResult {
	hc := p.HTTP
	if hc == nil {
		hc = &http.Client{
			Timeout:   30 * time.Second, // the CLI's per-request timeout
			Transport: &http.Transport{MaxIdleConnsPerHost: max(2, len(ids)), IdleConnTimeout: 90 * time.Second},
		}
		defer hc.CloseIdleConnections()
	}
	res := &RefClusterResult{
		Clusters: len(ids), ClusterIDs: make([]string, len(ids)), RequestIDs: make([]string, len(ids)), Requests: map[string]int{},
	}
	s := &refSession{p: p, hc: hc, clk: clock.OrReal(p.Clock), res: res}
	began := s.clk.Now()
	var wg sync.WaitGroup
	for i, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			clusterID, requestID, err := start(ctx, s, id)
			s.mu.Lock()
			res.ClusterIDs[i], res.RequestIDs[i] = clusterID, requestID
			s.mu.Unlock()
			if err == nil && requestID == "" {
				err = fmt.Errorf("the answer named no request_id")
			}
			if err == nil {
				err = s.pollUntilTerminal(ctx, requestID)
			}
			if err != nil {
				s.mu.Lock()
				res.Errors = append(res.Errors, fmt.Sprintf("cluster %q: %v", clusterID, err))
				s.mu.Unlock()
			}
		}()
	}
	wg.Wait()
	res.WallSeconds = s.clk.Now().Sub(began).Seconds()
	res.RequestsPerCluster = PerJob(SumCounts(res.Requests), len(ids))
	return res
}

// pollUntilTerminal is the CLI's `_poll_request_until_terminal`.
func (s *refSession) pollUntilTerminal(ctx context.Context, requestID string) error {
	path := "/request/info/" + url.PathEscape(requestID)
	for {
		ans, err := s.send(ctx, http.MethodGet, path, routeRequestInfo, nil)
		if err != nil {
			return fmt.Errorf("request %s: %w", requestID, err)
		}
		if ans.code != http.StatusOK {
			return fmt.Errorf("request %s: GET %s answered %d: %s", requestID, path, ans.code, bytes.TrimSpace(ans.body))
		}
		var info struct {
			Status          string  `json:"status"`
			ExternalMessage *string `json:"external_message"`
		}
		if err := json.Unmarshal(ans.body, &info); err != nil {
			return fmt.Errorf("request %s: %w", requestID, err)
		}
		switch strings.ToUpper(info.Status) {
		case "COMPLETED":
			return nil
		case "FAILED":
			msg := "(no message)"
			if info.ExternalMessage != nil {
				msg = *info.ExternalMessage
			}
			return fmt.Errorf("request %s FAILED: %s", requestID, msg)
		}
		t := s.clk.NewTimer(cliRequestPollDelay(ans.header.Get("Retry-After")))
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C():
		}
	}
}

// accepted sends a mutation that must answer 202, decoding its body into out.
func (s *refSession) accepted(ctx context.Context, method, path, route string, body []byte, out any) error {
	ans, err := s.send(ctx, method, path, route, body)
	if err != nil {
		return err
	}
	if ans.code != http.StatusAccepted {
		return fmt.Errorf("%s %s answered %d: %s", method, path, ans.code, bytes.TrimSpace(ans.body))
	}
	if err := json.Unmarshal(ans.body, out); err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	return nil
}

// refReply is an answer, read whole.
type refReply struct {
	code   int
	header http.Header
	body   []byte
}

// send sends one request, counted under route, and reads its answer.
func (s *refSession) send(ctx context.Context, method, path, route string, body []byte) (refReply, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(s.p.BaseURL, "/")+path, rd)
	if err != nil {
		return refReply{}, err
	}
	req.Header.Set("Authorization", "Bearer "+s.p.APIKey)
	req.Header.Set("X-Client-Type", "cli")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	s.mu.Lock()
	s.res.Requests[route]++
	s.mu.Unlock()
	resp, err := s.hc.Do(req)
	if err != nil {
		return refReply{}, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return refReply{code: resp.StatusCode, header: resp.Header, body: data}, err
}
