// Package client talks to the TensorPool engine: REST calls with bounded,
// idempotent-only retries, and the WebSocket job submission. It knows nothing
// of Terraform.
package client

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/backoff"
	"github.com/tensorpool/terraform-provider-tensorpool/internal/clock"
)

// DefaultBaseURL is the public TensorPool engine.
const DefaultBaseURL = "https://engine.tensorpool.dev"

// Defaults for Config fields left at zero.
const (
	DefaultMaxRetries     = 4
	DefaultRequestTimeout = 30 * time.Second
	// DefaultMaxRetryWait caps every wait between retries, including one a
	// server asks for with Retry-After: a rate-limited plan must not hang.
	DefaultMaxRetryWait = 30 * time.Second
	maxBodyBytes        = 4 << 20
)

// Config configures a Client. Only APIKey is needed for real use.
type Config struct {
	BaseURL   string
	APIKey    string
	UserAgent string
	// MaxRetries is the number of retries after the first attempt of an
	// idempotent request. Negative disables retries; zero means the default.
	MaxRetries int
	// RetryPolicy is the backoff between retries; zero means 250ms doubling to
	// MaxRetryWait, with jitter.
	RetryPolicy backoff.Policy
	// RateLimit, when positive, spaces requests to at most this many per
	// second across the whole client (for plans over many jobs). Zero means
	// no limit until the engine answers 429: then the client slows all its
	// requests down and speeds up again gradually (see adaptiveLimiter).
	RateLimit float64
	// RequestTimeout bounds one HTTP attempt.
	RequestTimeout time.Duration
	// HTTPClient, when set, is copied (never changed) and the copy refuses
	// redirects to another scheme or host. Nil means a client with a
	// connection pool sized for many concurrent requests.
	HTTPClient *http.Client
	Clock      clock.Clock
	// Logger receives one line per request attempt. It never sees headers.
	Logger Logger
	// CommandRunner runs the engine's upload commands during PushJob; nil
	// means a local shell.
	CommandRunner CommandRunner
	// RequestPoll spaces WaitForRequest's reads; the zero value means
	// DefaultRequestPollSchedule.
	RequestPoll RequestPollSchedule
}

// Logger receives request logs. Fields never include credentials.
type Logger interface {
	Debug(ctx context.Context, msg string, fields map[string]any)
}

// Client is a TensorPool engine client. It is safe for concurrent use.
type Client struct {
	base       *url.URL
	apiKey     string
	userAgent  string
	maxRetries int
	policy     backoff.Policy
	limiter    *adaptiveLimiter
	timeout    time.Duration
	http       *http.Client
	clock      clock.Clock
	logger     Logger
	runner     CommandRunner
	// requestPoll is the schedule of WaitForRequest.
	requestPoll RequestPollSchedule
	// reached is set once a connection to the engine has opened: from then
	// on a refused connection is the engine restarting, an outage, not a
	// configuration problem (TransportError.Reached).
	reached atomic.Bool
}

// New validates cfg and returns a client. It refuses a plain-HTTP base URL
// unless the host is loopback, so that the key never crosses a network in
// clear text.
func New(cfg Config) (*Client, error) {
	raw := strings.TrimSpace(cfg.BaseURL)
	if raw == "" {
		raw = DefaultBaseURL
	}
	base, err := ParseBaseURL(raw)
	if err != nil {
		return nil, err
	}
	c := &Client{
		base:       base,
		apiKey:     cfg.APIKey,
		userAgent:  cfg.UserAgent,
		maxRetries: cfg.MaxRetries,
		policy:     cfg.RetryPolicy,
		timeout:    cfg.RequestTimeout,
		clock:      clock.OrReal(cfg.Clock),
		logger:     cfg.Logger,
		runner:     cfg.CommandRunner,
	}
	if c.userAgent == "" {
		c.userAgent = "terraform-provider-tensorpool/dev"
	}
	if c.maxRetries == 0 {
		c.maxRetries = DefaultMaxRetries
	} else if c.maxRetries < 0 {
		c.maxRetries = 0
	}
	if c.policy == (backoff.Policy{}) {
		c.policy = backoff.Policy{Initial: 250 * time.Millisecond, Max: DefaultMaxRetryWait, Multiplier: 2, Jitter: 0.2}
	}
	if c.timeout <= 0 {
		c.timeout = DefaultRequestTimeout
	}
	c.http = newHTTPClient(cfg.HTTPClient)
	c.limiter = newAdaptiveLimiter(c.clock, cfg.RateLimit)
	if c.runner == nil {
		c.runner = ShellRunner{}
	}
	c.requestPoll = cfg.RequestPoll
	if c.requestPoll == (RequestPollSchedule{}) {
		c.requestPoll = DefaultRequestPollSchedule
	}
	return c, nil
}

// ParseBaseURL checks an engine URL: http(s) only, no credentials, and
// plain HTTP only to a loopback host.
func ParseBaseURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimRight(raw, "/"))
	if err != nil {
		return nil, fmt.Errorf("engine URL %q is not a valid URL: %w", raw, err)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("engine URL %q has no host: write it as https://host", raw)
	}
	if u.User != nil {
		return nil, errors.New("engine URL must not contain credentials: set the API key separately")
	}
	switch u.Scheme {
	case "https":
	case "http":
		if !isLoopback(u.Hostname()) {
			return nil, fmt.Errorf("engine URL %q uses plain http to a non-loopback host, which would send the API key unencrypted: use https", raw)
		}
	default:
		return nil, fmt.Errorf("engine URL %q must start with https:// (or http:// for a loopback host)", raw)
	}
	u.RawQuery, u.Fragment = "", ""
	return u, nil
}

// isLoopback reports whether host is localhost or a loopback IP.
func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// BaseURL returns the engine URL in use.
func (c *Client) BaseURL() string { return c.base.String() }

// HasAPIKey reports whether a key was configured.
func (c *Client) HasAPIKey() bool { return c.apiKey != "" }

// ErrNoAPIKey is returned by every call that needs the key when none is set.
var ErrNoAPIKey = errors.New("no TensorPool API key is configured: set the provider's api_key or the TENSORPOOL_KEY environment variable")

var jobIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*$`)

// MaxJobIDLength bounds ids accepted by ValidateJobID.
const MaxJobIDLength = 128

// ValidateJobID refuses ids that cannot be a job id, before any request is
// sent: empty, too long, or holding characters such as `/`, `?` or spaces
// that would change the request path.
func ValidateJobID(id string) error {
	switch {
	case id == "":
		return &InvalidIDError{ID: id, Reason: "it is empty"}
	case len(id) > MaxJobIDLength:
		return &InvalidIDError{ID: id, Reason: fmt.Sprintf("it is longer than %d characters", MaxJobIDLength)}
	case !jobIDPattern.MatchString(id):
		return &InvalidIDError{ID: id, Reason: "a job id starts with a letter or digit and holds only letters, digits, '-', '_' and '.'"}
	}
	return nil
}

// response is a successful (2xx) answer.
type response struct {
	StatusCode int
	Header     http.Header
	Body       []byte
}

// request describes one logical call; do may send it several times.
type request struct {
	method string
	path   string // already escaped
	query  url.Values
	body   []byte
	// kind is what the call does, which decides what follows a failure
	// (policy.go); change is set for a callChange.
	kind   callKind
	change *change
}

// do sends req and, by what it does (policy.go), sends it again after a
// failure: a read on outages (429, 5xx except 501, timeouts, dropped
// connections) and, a few quick times within unreachableRetryWindow, on an
// unreachable engine; a change only when the engine provably did nothing,
// reconciling by reading after an ambiguous failure. A change that
// reconciling found in effect answers with no status and an empty body.
// Every request passes the shared rate limiter first. No wait runs past
// ctx's deadline or MaxRetryWait.
func (c *Client) do(ctx context.Context, req request) (*response, error) {
	var resp *response
	err := c.withRetries(ctx, req, func(attempt int) (int, error) {
		r, err := c.attempt(ctx, req, attempt)
		if err != nil {
			return 0, err
		}
		resp = r
		return r.StatusCode, nil
	})
	if errors.Is(err, errApplied) {
		return &response{Header: http.Header{}}, nil
	}
	return resp, err
}

// withRetries is do's loop around send, which makes one attempt of req and
// returns the engine's status code, or an error classified as do's are
// (*APIError for an answer that is not a success, *TransportError when the
// engine could not be reached). Every attempt passes the rate limiter, which
// then learns how the engine answered.
func (c *Client) withRetries(ctx context.Context, req request, send func(attempt int) (int, error)) error {
	if c.apiKey == "" {
		return ErrNoAPIKey
	}
	first := c.clock.Now()
	if req.change != nil && req.change.Before != nil {
		if err := c.readBeforeChange(ctx, first, req.change.Before); err != nil {
			return err
		}
	}
	var lastErr error
	state := retryState{first: first}
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			wait := c.policy.WithHint(attempt-1, RetryAfter(lastErr, c.clock.Now()))
			if IsUnreachable(lastErr) && c.clock.Now().Add(wait).Sub(first) > unreachableRetryWindow {
				return lastErr
			}
			if err := backoff.Sleep(ctx, c.clock, wait, nil); err != nil {
				return retryEnded(lastErr, err)
			}
		}
		round, err := c.limiter.wait(ctx, req)
		if err != nil {
			if lastErr != nil {
				return retryEnded(lastErr, err)
			}
			return c.limiterError(req, err)
		}
		status, err := send(attempt)
		c.observe(round, status, err)
		if err == nil {
			return nil
		}
		lastErr = err
		state.attempt = attempt
		again, end := c.nextStep(ctx, req, &state, err)
		if !again {
			return end
		}
	}
}

// retryEnded explains why no further retry of lastErr was sent.
func retryEnded(lastErr, waitErr error) error {
	var throttled *ThrottledError
	if errors.Is(waitErr, backoff.ErrDeadline) || errors.As(waitErr, &throttled) {
		return fmt.Errorf("%w (the next retry would start after the deadline)", lastErr)
	}
	return fmt.Errorf("%w (gave up retrying: %w)", lastErr, waitErr)
}

func (c *Client) limiterError(req request, err error) error {
	var throttled *ThrottledError
	if errors.As(err, &throttled) {
		return err
	}
	return fmt.Errorf("waiting to send %s %s: %w", req.method, req.path, err)
}

// observe tells the limiter how the engine answered: with status, or with
// the status err carries.
func (c *Client) observe(round uint64, status int, err error) {
	if err == nil {
		c.limiter.observe(round, status, 0)
		return
	}
	if code, ok := statusOf(err); ok {
		c.limiter.observe(round, code, c.capHint(RetryAfter(err, c.clock.Now())))
	}
}

// capHint caps a Retry-After like the retry policy caps every hint.
func (c *Client) capHint(hint time.Duration) time.Duration {
	limit := c.policy.MaxHint
	if limit <= 0 {
		limit = c.policy.Max
	}
	if limit > 0 && hint > limit {
		return limit
	}
	return hint
}

func (c *Client) attempt(ctx context.Context, req request, attempt int) (*response, error) {
	u := *c.base
	// req.path is already escaped; Path must hold its unescaped form, or
	// url.URL would find RawPath inconsistent and escape it a second time
	// ("%20" sent as "%2520").
	unescaped, err := url.PathUnescape(req.path)
	if err != nil {
		return nil, fmt.Errorf("building request %s %s: %w", req.method, req.path, err)
	}
	u.Path = strings.TrimRight(c.base.Path, "/") + unescaped
	u.RawPath = strings.TrimRight(c.base.EscapedPath(), "/") + req.path
	if len(req.query) > 0 {
		u.RawQuery = req.query.Encode()
	}
	attemptCtx, cancel := c.attemptContext(ctx, req)
	defer cancel()
	var body io.Reader
	if req.body != nil {
		body = bytes.NewReader(req.body)
	}
	httpReq, err := http.NewRequestWithContext(c.tracingReach(attemptCtx), req.method, u.String(), body)
	if err != nil {
		return nil, fmt.Errorf("building request %s %s: %w", req.method, req.path, err)
	}
	httpReq.Header.Set("Authorization", "Bearer "+c.apiKey)
	httpReq.Header.Set("User-Agent", c.userAgent)
	httpReq.Header.Set("Accept", "application/json")
	if req.body != nil {
		httpReq.Header.Set("Content-Type", "application/json")
	}
	start := c.clock.Now()
	httpResp, err := c.http.Do(httpReq)
	if err != nil {
		c.log(ctx, req, attempt, 0, start, err)
		return nil, c.transportError(req.method, req.path, c.explainTimeout(ctx, attemptCtx, scrubURLError(err)))
	}
	defer httpResp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(httpResp.Body, maxBodyBytes))
	if err != nil {
		c.log(ctx, req, attempt, httpResp.StatusCode, start, err)
		err = c.explainTimeout(ctx, attemptCtx, err)
		return nil, c.transportError(req.method, req.path, fmt.Errorf("reading the response body: %w", err))
	}
	c.log(ctx, req, attempt, httpResp.StatusCode, start, nil)
	if httpResp.StatusCode < 200 || httpResp.StatusCode > 299 {
		msg, details := ParseErrorBody(data)
		return nil, &APIError{
			StatusCode: httpResp.StatusCode, Method: req.method, Path: req.path,
			Message: msg, Details: details, RetryAfter: httpResp.Header.Get("Retry-After"),
		}
	}
	return &response{StatusCode: httpResp.StatusCode, Header: httpResp.Header, Body: data}, nil
}

// tracingReach notes, in c.reached, a connection to the engine opening
// for a request made with ctx.
func (c *Client) tracingReach(ctx context.Context) context.Context {
	return httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{GotConn: func(httptrace.GotConnInfo) { c.reached.Store(true) }})
}

// attemptContext bounds one attempt by the request timeout. A change on its
// way is not cut short by a cancellation (Ctrl-C) of ctx, only by ctx's
// deadline: its answer names what the engine made, and without it the
// object would bill outside the state.
func (c *Client) attemptContext(ctx context.Context, req request) (context.Context, context.CancelFunc) {
	if req.kind != callChange {
		return context.WithTimeout(ctx, c.timeout)
	}
	timeout := c.timeout
	if deadline, ok := ctx.Deadline(); ok {
		timeout = min(timeout, deadline.Sub(c.clock.Now()))
	}
	return context.WithTimeout(context.WithoutCancel(ctx), timeout)
}

// transportError is a request that got no answer, marked when a connection
// to the engine had opened before.
func (c *Client) transportError(method, path string, err error) *TransportError {
	return &TransportError{Method: method, Path: path, Err: err, Reached: c.reached.Load()}
}

// explainTimeout says so when the attempt's own RequestTimeout, not the
// caller's context, cut the request short.
func (c *Client) explainTimeout(ctx, attemptCtx context.Context, err error) error {
	if ctx.Err() == nil && errors.Is(attemptCtx.Err(), context.DeadlineExceeded) {
		return fmt.Errorf("no answer within the request timeout of %s: %w", c.timeout, err)
	}
	return err
}

func (c *Client) log(ctx context.Context, req request, attempt, status int, start time.Time, err error) {
	if c.logger == nil {
		return
	}
	fields := map[string]any{
		"method":      req.method,
		"path":        req.path,
		"attempt":     attempt + 1,
		"status_code": status,
		"duration_ms": c.clock.Now().Sub(start).Milliseconds(),
	}
	if err != nil {
		fields["error"] = err.Error()
	}
	c.logger.Debug(ctx, "TensorPool engine request", fields)
}

// scrubURLError drops the URL from a *url.Error: it repeats the path we
// already report and could carry a query string.
func scrubURLError(err error) error {
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		return urlErr.Err
	}
	return err
}

// maxRetryAfter bounds what ParseRetryAfter returns, so that absurd values
// can neither overflow nor mean "never"; callers cap it further.
const maxRetryAfter = 24 * time.Hour

// ParseRetryAfter reads a Retry-After value in either form (delay-seconds or
// an HTTP date) as a wait between zero and 24 hours. Invalid or past values
// yield zero.
func ParseRetryAfter(value string, now time.Time) time.Duration {
	value = strings.TrimSpace(value)
	if value == "" {
		return 0
	}
	if strings.Trim(value, "0123456789") == "" {
		seconds, err := strconv.ParseInt(value, 10, 64)
		if err != nil || seconds > int64(maxRetryAfter/time.Second) {
			return maxRetryAfter // only too many digits fail to parse
		}
		return time.Duration(seconds) * time.Second
	}
	if t, err := http.ParseTime(value); err == nil {
		return min(max(t.Sub(now), 0), maxRetryAfter)
	}
	return 0
}
