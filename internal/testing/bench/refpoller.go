package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// RefPoller waits for a cancellation the way the official TensorPool CLI
// (`tp job cancel`, helpers.py) does: POST /job/cancel/{id}, then GET
// /job/info/{id} until the status is terminal, sleeping max(1 s,
// Retry-After) between looks, or 2 s when the engine sends no Retry-After.
// It uses plain net/http with no retries and counts every request it sends,
// by route, in the engine's stats keys. It does not send the CLI's POST
// /health version check, which flatters the reference by one request.
type RefPoller struct {
	BaseURL string
	APIKey  string
	// MinWait is the shortest sleep between looks (the CLI's 1 s); zero
	// means 1 s. Tests shorten it.
	MinWait time.Duration
	// DefaultWait is the sleep when there is no Retry-After (the CLI's 2 s);
	// zero means 2 s.
	DefaultWait time.Duration
	// HTTP is the client; nil means one with keep-alive for many jobs.
	HTTP *http.Client
}

// RefResult is what the reference poller did for a set of jobs.
type RefResult struct {
	Jobs int `json:"jobs"`
	// Requests counts requests by route ("POST /job/cancel", "GET /job/info").
	Requests       map[string]int `json:"requests"`
	RequestsPerJob float64        `json:"requests_per_job"`
	// Wall is how long the slowest job took, cancel to terminal.
	Wall time.Duration `json:"-"`
	// WallSeconds is Wall for JSON.
	WallSeconds float64 `json:"wall_s"`
	// Lag is filled in by the caller from the engine's snapshots.
	Lag Summary `json:"lag"`
	// Errors are per-job failures (the job is then left as it was).
	Errors []string `json:"errors,omitempty"`
}

// Cancel cancels every job concurrently and waits for each to be terminal.
// It returns when all are done, or ctx ends.
func (p *RefPoller) Cancel(ctx context.Context, ids []string) *RefResult {
	return p.each(ctx, ids, p.cancelOne)
}

// Await waits, concurrently, for every job to reach goal the way a 2-second
// poller waits for a job it has just pushed: GET /job/info at once, then
// every max(1 s, Retry-After) (2 s without it) until the job runs or has
// ended (goal "running") or has ended (goal "completed").
func (p *RefPoller) Await(ctx context.Context, ids []string, goal string) *RefResult {
	reached := isTerminal
	if goal == "running" {
		reached = func(status string) bool { return strings.EqualFold(status, "running") || isTerminal(status) }
	}
	return p.each(ctx, ids, func(ctx context.Context, hc *http.Client, id string, count func(string)) error {
		count("GET /job/info")
		a, err := p.call(ctx, hc, http.MethodGet, "/job/info/"+url.PathEscape(id), "job_info")
		if err != nil {
			return fmt.Errorf("info: %w", err)
		}
		return p.pollInfo(ctx, hc, id, a, reached, count)
	})
}

// each runs one per job, concurrently, counting requests by route.
func (p *RefPoller) each(ctx context.Context, ids []string, one func(ctx context.Context, hc *http.Client, id string, count func(string)) error) *RefResult {
	hc := p.HTTP
	if hc == nil {
		hc = &http.Client{
			Timeout:   30 * time.Second,
			Transport: &http.Transport{MaxIdleConnsPerHost: max(2, len(ids)), IdleConnTimeout: 90 * time.Second},
		}
		defer hc.CloseIdleConnections()
	}
	res := &RefResult{Jobs: len(ids), Requests: map[string]int{}}
	var mu sync.Mutex
	count := func(route string) {
		mu.Lock()
		res.Requests[route]++
		mu.Unlock()
	}
	fail := func(id string, err error) {
		mu.Lock()
		res.Errors = append(res.Errors, fmt.Sprintf("job %s: %v", id, err))
		mu.Unlock()
	}
	start := time.Now()
	var wg sync.WaitGroup
	for _, id := range ids {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := one(ctx, hc, id, count); err != nil {
				fail(id, err)
			}
		}()
	}
	wg.Wait()
	res.Wall = time.Since(start)
	res.WallSeconds = res.Wall.Seconds()
	res.RequestsPerJob = PerJob(SumCounts(res.Requests), len(ids))
	return res
}

func (p *RefPoller) waits() (minWait, defWait time.Duration) {
	minWait, defWait = p.MinWait, p.DefaultWait
	if minWait <= 0 {
		minWait = time.Second
	}
	if defWait <= 0 {
		defWait = 2 * time.Second
	}
	return minWait, defWait
}

// refAnswer is the part of a cancel or info answer the poller reads.
type refAnswer struct {
	status     string
	retryAfter time.Duration
	hasRA      bool
}

func (p *RefPoller) cancelOne(ctx context.Context, hc *http.Client, id string, count func(string)) error {
	count("POST /job/cancel")
	a, err := p.call(ctx, hc, http.MethodPost, "/job/cancel/"+url.PathEscape(id), "")
	if err != nil {
		return fmt.Errorf("cancel: %w", err)
	}
	return p.pollInfo(ctx, hc, id, a, isTerminal, count)
}

// pollInfo reads the job, after the answer a, until reached holds for its
// status.
func (p *RefPoller) pollInfo(ctx context.Context, hc *http.Client, id string, a refAnswer, reached func(string) bool, count func(string)) error {
	minWait, defWait := p.waits()
	next := func(a refAnswer) time.Duration {
		if !a.hasRA {
			return defWait
		}
		return max(minWait, a.retryAfter)
	}
	var err error
	for !reached(a.status) {
		t := time.NewTimer(next(a))
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		count("GET /job/info")
		a, err = p.call(ctx, hc, http.MethodGet, "/job/info/"+url.PathEscape(id), "job_info")
		if err != nil {
			return fmt.Errorf("info: %w", err)
		}
	}
	return nil
}

// call sends one request and reads the status from the body (at the top
// level for cancel, under job_info for info). A 429 or 5xx is not an error:
// the answer has no status, so the loop waits and looks again, as the CLI's
// poll loop does.
func (p *RefPoller) call(ctx context.Context, hc *http.Client, method, path, wrapper string) (refAnswer, error) {
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(p.BaseURL, "/")+path, nil)
	if err != nil {
		return refAnswer{}, err
	}
	req.Header.Set("Authorization", "Bearer "+p.APIKey)
	req.Header.Set("X-Client-Type", "cli")
	resp, err := hc.Do(req)
	if err != nil {
		return refAnswer{}, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return refAnswer{}, err
	}
	var a refAnswer
	if ra := resp.Header.Get("Retry-After"); ra != "" {
		if secs, err := strconv.Atoi(strings.TrimSpace(ra)); err == nil && secs >= 0 {
			a.retryAfter, a.hasRA = time.Duration(secs)*time.Second, true
		}
	}
	switch {
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return a, nil
	case resp.StatusCode >= 300:
		return a, fmt.Errorf("%s %s answered %d: %s", method, path, resp.StatusCode, strings.TrimSpace(string(body)))
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(body, &doc); err != nil {
		return a, fmt.Errorf("%s %s: %w", method, path, err)
	}
	raw := doc
	if wrapper != "" {
		raw = nil
		if err := json.Unmarshal(doc[wrapper], &raw); err != nil {
			return a, fmt.Errorf("%s %s: %s: %w", method, path, wrapper, err)
		}
	}
	if err := json.Unmarshal(raw["status"], &a.status); err != nil {
		return a, errors.New(method + " " + path + ": no status in the answer")
	}
	return a, nil
}

// isTerminal is the engine's terminal set, compared case-insensitively.
func isTerminal(status string) bool {
	switch strings.ToLower(status) {
	case "completed", "error", "failed", "canceled":
		return true
	}
	return false
}
