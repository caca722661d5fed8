// Command tensorpool-sim runs the local TensorPool engine simulator
// (package internal/testing/sim) as a process, for demos and for tests that drive the
// provider through a real Terraform binary.
//
//	tensorpool-sim -listen 127.0.0.1:0 -api-key KEY [-api-key KEY2 …] -cluster c-local \
//	    -pending 1s -run-duration 0 -outcome completed -cancel-latency 3s [-cancel-latency-jitter 2s -seed 42]
//
// The first line of stdout is TENSORPOOL_ENGINE=http://HOST:PORT, so a
// script can start it with port 0 and read where it listens. Requests are
// logged to stderr (method, path, status; never headers or keys). SIGINT or
// SIGTERM shuts it down gracefully with exit status 0.
//
// Clusters, storage and their async requests move on with -request-pending,
// -cluster-provision-latency, -cluster-release-latency, -cluster-edit-latency
// and -storage-latency; -request-retry-after is the Retry-After of request
// polls.
//
// The fault flags (-rate-limit, -rate-limit-retry-after, -fail-rate,
// -fail-next, -drop-after-change, -fail-after-change, -late-answers, -late-by, -late-changes, -lost-rate, -lost-routes, -latency, -garble, -drop-push, -refuse-handshakes, -listen-unavailable,
// -listen-hang, -capacity-shortage, -capacity-outcome, -info-message-only)
// set the initial sim.Faults; POST /_sim/faults replaces them while it runs.
// GET /_sim/jobs, /_sim/clusters, /_sim/storage, /_sim/attachments,
// /_sim/ssh-keys, /_sim/requests, /_sim/billing and /_sim/stats show the
// engine's state and the request counts.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/testing/sim"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// shutdownTimeout bounds the wait for requests in flight after a signal.
const shutdownTimeout = 5 * time.Second

// run is main without the process: it serves until ctx ends and returns the
// exit status.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "tensorpool-sim:", err)
		return 2
	}
	logger := log.New(stderr, "tensorpool-sim: ", log.LstdFlags|log.Lmicroseconds)
	cfg.opts.Logf = logger.Printf

	srv, err := sim.Listen(cfg.listen, cfg.opts)
	if err != nil {
		fmt.Fprintln(stderr, "tensorpool-sim:", err)
		return 1
	}
	// The first line of stdout, written unbuffered: scripts wait for it.
	if _, err := fmt.Fprintf(stdout, "TENSORPOOL_ENGINE=%s\n", srv.URL); err != nil {
		srv.Close()
		return 1
	}
	if f, ok := stdout.(interface{ Sync() error }); ok {
		_ = f.Sync()
	}
	o := cfg.opts
	logger.Printf("listening on %s: %d user(s) user-1…user-%d, clusters %s, pending %s, run %s, outcome %s, cancel latency %s%s, info Retry-After %s",
		srv.URL, countUnique(o.APIKeys), countUnique(o.APIKeys), strings.Join(o.Clusters, ","), o.PendingDelay,
		runDuration(o.RunDuration), o.Outcome, o.CancelLatency, jitterText(o), o.InfoRetryAfter)
	logger.Printf("requests: pending %s, cluster claim %s, release %s, edit %s, storage %s, request Retry-After %s",
		o.RequestPendingLatency, o.ClusterProvisionLatency, o.ClusterReleaseLatency, o.ClusterEditLatency,
		o.StorageLatency, o.RequestRetryAfter)

	<-ctx.Done()
	logger.Printf("shutting down")
	sctx, cancel := context.WithTimeout(context.Background(), shutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		logger.Printf("shutdown: %v", err)
	}
	return 0
}

type config struct {
	listen string
	opts   sim.Options
}

// listFlag accumulates a repeated string flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error {
	if strings.TrimSpace(v) == "" {
		return errors.New("must not be empty")
	}
	*l = append(*l, v)
	return nil
}

// maskedListFlag is a listFlag whose values never appear in help or errors:
// it holds API keys.
type maskedListFlag struct{ listFlag }

func (l *maskedListFlag) String() string { return "" }

func parseFlags(args []string, stderr io.Writer) (config, error) {
	d := sim.DefaultOptions()
	fs := flag.NewFlagSet("tensorpool-sim", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var keys maskedListFlag
	var clusters listFlag
	listen := fs.String("listen", "127.0.0.1:0", "address to listen on (loopback only unless -allow-remote)")
	allowRemote := fs.Bool("allow-remote", false, "allow a non-loopback -listen address")
	fs.Var(&keys, "api-key", "accepted API key, repeatable; each key is a user (default "+sim.DefaultAPIKey+")")
	fs.Var(&clusters, "cluster", "known cluster id, repeatable (default "+sim.DefaultCluster+")")
	pending := fs.Duration("pending", d.PendingDelay, "how long a new job stays pending")
	runFor := fs.Duration("run-duration", d.RunDuration, "how long a job runs before -outcome; 0 = until canceled")
	outcome := fs.String("outcome", d.Outcome, "status after -run-duration: completed, error or failed")
	cancelLatency := fs.Duration("cancel-latency", d.CancelLatency, "how long a canceled job stays canceling")
	cancelJitter := fs.Duration("cancel-latency-jitter", d.CancelLatencyJitter,
		"add to each cancel's latency a delay drawn uniformly in [0, this); 0 = every cancel takes exactly -cancel-latency")
	seed := fs.Int64("seed", d.Seed, "seed of the -cancel-latency-jitter draws (same seed, same draws in cancel order); 0 = random")
	infoRetry := fs.Duration("info-retry-after", d.InfoRetryAfter, "Retry-After on /job/info for live jobs; 0 = none")
	msgTimeout := fs.Duration("message-timeout", d.MessageTimeout, "how long a WebSocket waits for a client message")
	reqPending := fs.Duration("request-pending", d.RequestPendingLatency, "how long an async request (cluster, storage) stays PENDING")
	provision := fs.Duration("cluster-provision-latency", d.ClusterProvisionLatency, "how long a cluster claim stays PROCESSING")
	release := fs.Duration("cluster-release-latency", d.ClusterReleaseLatency, "how long a cluster release stays PROCESSING")
	clusterEdit := fs.Duration("cluster-edit-latency", d.ClusterEditLatency, "how long a cluster edit stays PROCESSING")
	storageLatency := fs.Duration("storage-latency", d.StorageLatency,
		"how long a storage create, destroy, attach, detach or edit stays PROCESSING")
	reqRetry := fs.Duration("request-retry-after", d.RequestRetryAfter, "Retry-After on /request/info for unfinished requests; 0 = none")
	shortage := fs.Duration("capacity-shortage", 0, "cluster claims wait this long for capacity (RETRYING) before -capacity-outcome")
	capOutcome := fs.String("capacity-outcome", "", `how a claim that waited for capacity ends: "completed", "failed" or "failed-running"`)
	messageOnly := fs.Bool("info-message-only", false, `cluster and storage info answer only {"message": ...}`)
	keyMessageOnly := fs.String("ssh-key-message-only", "", `SSH key routes answer only {"message": ...}: "add" (the add), "all" (the add and the list)`)
	rateLimit := fs.Float64("rate-limit", 0, "REST requests per second per key; 0 = unlimited")
	rateRetry := fs.Int("rate-limit-retry-after", sim.DefaultRateLimitRetryAfter, "Retry-After seconds of a 429")
	failRate := fs.Float64("fail-rate", 0, "fraction (0..1) of REST requests answered 500/503")
	failNext := fs.Int("fail-next", 0, "answer the next N REST requests 503")
	failStatus := fs.Int("fail-status", 0, "the status -fail-rate answers: 500 or 503; 0 = either at random")
	dropAfterChange := fs.Int("drop-after-change", 0, "make the next N changing REST requests (not GET), then drop the connection unanswered")
	failAfterChange := fs.Int("fail-after-change", 0, "make the next N changing REST requests (not GET), then answer 500")
	lateAnswers := fs.Int("late-answers", 0, "handle the next N REST requests at once but answer them only -late-by later")
	lateBy := fs.Duration("late-by", 0, "how late -late-answers answers")
	lateChanges := fs.Bool("late-changes", false, "-late-answers counts only changing REST requests (not GET)")
	lostRate := fs.Float64("lost-rate", 0, "fraction (0..1) of changing REST requests (not GET) made, then answered 500 or dropped unanswered")
	lostRoutes := fs.String("lost-routes", "", `limit -lost-rate to these routes, comma-separated ("POST /cluster/create,POST /storage/create")`)
	latency := fs.Duration("latency", 0, "delay added before each API response")
	garble := fs.String("garble", "", `corrupt /job/info answers: "not-json" or "wrong-shape"`)
	dropPush := fs.Bool("drop-push", false, "drop the /job/push connection after sending job_id (client sees 1006)")
	refuseHandshakes := fs.Int("refuse-handshakes", 0, "answer the next N WebSocket handshakes (/job/push, /job/listen) 429")
	listenUnavailable := fs.Bool("listen-unavailable", false, "answer /job/listen with HTTP 404")
	listenHang := fs.Bool("listen-hang", false, "accept /job/listen connections but never answer the handshake")
	needsIdentity := fs.Bool("upload-needs-ssh-identity", false,
		"a job's upload fails like ssh (Permission denied (publickey)) unless the SSH agent of the machine running it holds one of the cluster's keys")
	if err := fs.Parse(args); err != nil {
		return config{}, err
	}
	if fs.NArg() > 0 {
		return config{}, fmt.Errorf("unexpected arguments: %q", fs.Args())
	}
	if !*allowRemote {
		if err := checkLoopback(*listen); err != nil {
			return config{}, err
		}
	}
	o := sim.Options{
		APIKeys:             keys.listFlag,
		Clusters:            clusters,
		PendingDelay:        *pending,
		RunDuration:         *runFor,
		Outcome:             *outcome,
		CancelLatency:       *cancelLatency,
		CancelLatencyJitter: *cancelJitter,
		Seed:                *seed,
		InfoRetryAfter:      *infoRetry,
		MessageTimeout:      *msgTimeout,

		RequestPendingLatency:   *reqPending,
		ClusterProvisionLatency: *provision,
		ClusterReleaseLatency:   *release,
		ClusterEditLatency:      *clusterEdit,
		StorageLatency:          *storageLatency,
		RequestRetryAfter:       *reqRetry,
		Faults: sim.Faults{
			RateLimit: *rateLimit, RateLimitRetryAfter: *rateRetry, FailRate: *failRate, FailStatus: *failStatus, FailNext: *failNext,
			Latency: *latency, Garble: *garble, DropPushAfterJobID: *dropPush, ListenUnavailable: *listenUnavailable,
			ListenHang: *listenHang, RefuseHandshakes: *refuseHandshakes, CapacityShortage: *shortage, CapacityOutcome: *capOutcome, InfoMessageOnly: *messageOnly,
			SSHKeyMessageOnly: *keyMessageOnly,
			DropAfterChange:   *dropAfterChange, FailAfterChange: *failAfterChange, LateAnswers: *lateAnswers, LateBy: *lateBy,
			LateChanges: *lateChanges, LostRate: *lostRate, LostRoutes: *lostRoutes,
			UploadNeedsSSHIdentity: *needsIdentity,
		},
	}
	if len(o.APIKeys) == 0 {
		o.APIKeys = d.APIKeys
	}
	if len(o.Clusters) == 0 {
		o.Clusters = d.Clusters
	}
	if err := o.Validate(); err != nil {
		return config{}, err
	}
	return config{listen: *listen, opts: o}, nil
}

// checkLoopback refuses addresses reachable from other machines: the
// simulator hands out jobs to anyone holding a well-known demo key.
func checkLoopback(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("-listen %q: %w", addr, err)
	}
	if strings.EqualFold(host, "localhost") {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("-listen %q is not a loopback address; pass -allow-remote to listen there anyway", addr)
}

func countUnique(keys []string) int {
	seen := map[string]bool{}
	for _, k := range keys {
		seen[k] = true
	}
	return len(seen)
}

// jitterText describes the cancel-latency jitter for the start-up line.
func jitterText(o sim.Options) string {
	if o.CancelLatencyJitter == 0 {
		return ""
	}
	seed := "random seed"
	if o.Seed != 0 {
		seed = fmt.Sprintf("seed %d", o.Seed)
	}
	return fmt.Sprintf(" + [0, %s) jitter (%s)", o.CancelLatencyJitter, seed)
}

func runDuration(d time.Duration) string {
	if d == 0 {
		return "until canceled"
	}
	return d.String()
}
