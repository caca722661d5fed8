package sim

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Routing and the cross-cutting rules (stats, latency, auth, faults) that
// apply before a handler runs.

// routeKind says which cross-cutting rules apply to a route.
type routeKind int

const (
	kindPublic routeKind = iota // /healthz: no auth, no faults, not counted
	kindREST                    // auth, faults, counted
	kindWS                      // counted, latency; auth happens inside the socket
	kindSim                     // /_sim/*: no auth, no faults, not counted
)

// call is what a handler gets besides the request.
type call struct {
	user  string // set for REST routes
	id    string // the route's {…} path segment, unescaped ("" when it has none)
	jobID string // id, for the routes whose parameter is {job_id}
}

type route struct {
	method  string
	pattern []string // path segments; a "{name}" segment matches one non-empty segment
	stat    string   // stats key: method + path without the id segment
	kind    routeKind
	handle  func(w http.ResponseWriter, r *http.Request, c *call)
}

// isParam reports whether a pattern segment is a path parameter ("{cluster_id}").
func isParam(seg string) bool { return strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") }

// statKey is the stats key of a route: the method (or "WS") and the path
// without its parameter segments, e.g. "DELETE /cluster" for
// DELETE /cluster/{cluster_id}.
func statKey(prefix, pattern string) string {
	var kept []string
	for _, seg := range strings.Split(pattern, "/") {
		if !isParam(seg) {
			kept = append(kept, seg)
		}
	}
	return prefix + " " + strings.Join(kept, "/")
}

// routeTable lists every route. Sources: /healthz, /job/info, /job/cancel,
// /job/pull [DOC]; /health, /user/info, /job/init, /job/list, /job/delete,
// /job/push, /job/listen [CLI]; /cluster/create, DELETE /cluster,
// /storage/*, /request/info [DOC]; /cluster/info, /cluster/list,
// /cluster/edit, /storage/list, /user/ssh-key/*, /ssh, /object-storage/*
// [CLI]; /user/organization/info [DOC]; /_sim/* belong to the
// simulator only. Requests that match no route (404/405) are not counted in
// the stats. Literal routes come before parameter routes of the same length
// (POST /cluster/create before DELETE /cluster/{cluster_id}); match prefers
// the method anyway.
func (e *Engine) routeTable() []route {
	r := func(method, pattern string, kind routeKind, h func(http.ResponseWriter, *http.Request, *call)) route {
		stat := statKey(method, pattern)
		if kind == kindWS {
			stat = statKey("WS", pattern)
		}
		return route{method: method, pattern: strings.Split(strings.Trim(pattern, "/"), "/"), stat: stat, kind: kind, handle: h}
	}
	return []route{
		r(http.MethodGet, "/healthz", kindPublic, e.handleHealthz),
		r(http.MethodPost, "/health", kindREST, e.handleHealth),
		r(http.MethodGet, "/user/info", kindREST, e.handleUserInfo),
		r(http.MethodGet, "/user/organization/info", kindREST, e.handleOrganizationInfo),
		r(http.MethodGet, "/job/init", kindREST, e.handleInit),
		r(http.MethodGet, "/job/info/{job_id}", kindREST, e.handleInfo),
		r(http.MethodGet, "/job/list", kindREST, e.handleList),
		r(http.MethodPost, "/job/cancel/{job_id}", kindREST, e.handleCancel),
		r(http.MethodDelete, "/job/delete/{job_id}", kindREST, e.handleDelete),
		r(http.MethodGet, "/job/pull/{job_id}", kindREST, e.handlePull),
		r(http.MethodGet, "/job/push", kindWS, e.handlePush),
		r(http.MethodGet, "/job/listen/{job_id}", kindWS, e.handleListen),
		r(http.MethodGet, "/request/info/{request_id}", kindREST, e.handleRequestInfo),
		r(http.MethodPost, "/cluster/create", kindREST, e.handleClusterCreate),
		r(http.MethodGet, "/cluster/list", kindREST, e.handleClusterList),
		r(http.MethodGet, "/cluster/info/{cluster_id}", kindREST, e.handleClusterInfo),
		r(http.MethodPatch, "/cluster/edit/{cluster_id}", kindREST, e.handleClusterEdit),
		r(http.MethodDelete, "/cluster/{cluster_id}", kindREST, e.handleClusterRelease),
		r(http.MethodPost, "/storage/create", kindREST, e.handleStorageCreate),
		r(http.MethodPost, "/storage/attach", kindREST, e.handleStorageAttach),
		r(http.MethodPost, "/storage/detach", kindREST, e.handleStorageDetach),
		r(http.MethodGet, "/storage/list", kindREST, e.handleStorageList),
		r(http.MethodGet, "/storage/info/{storage_id}", kindREST, e.handleStorageInfo),
		r(http.MethodPatch, "/storage/edit/{storage_id}", kindREST, e.handleStorageEdit),
		r(http.MethodDelete, "/storage/{storage_id}", kindREST, e.handleStorageDestroy),
		r(http.MethodPost, "/user/ssh-key/add", kindREST, e.handleSSHKeyAdd),
		r(http.MethodGet, "/user/ssh-key/list", kindREST, e.handleSSHKeyList),
		r(http.MethodDelete, "/user/ssh-key/remove/{key_id}", kindREST, e.handleSSHKeyRemove),
		r(http.MethodGet, "/ssh/{instance_id}", kindREST, e.handleSSH),
		r(http.MethodPost, "/object-storage/enable", kindREST, e.handleObjectStorageEnable),
		r(http.MethodDelete, "/object-storage/disable", kindREST, e.handleObjectStorageDisable),
		r(http.MethodGet, "/object-storage/credentials", kindREST, e.handleObjectStorageCredentials),
		r(http.MethodGet, "/object-storage/bucket/list", kindREST, e.handleBucketList),
		r(http.MethodPut, "/object-storage/bucket/create/{bucket_name}", kindREST, e.handleBucketCreate),
		r(http.MethodDelete, "/object-storage/bucket/delete/{bucket_name}", kindREST, e.handleBucketDelete),
		r(http.MethodGet, "/_sim/jobs", kindSim, e.handleSimJobs),
		r(http.MethodGet, "/_sim/clusters", kindSim, e.handleSimClusters),
		r(http.MethodGet, "/_sim/storage", kindSim, e.handleSimStorage),
		r(http.MethodGet, "/_sim/attachments", kindSim, e.handleSimAttachments),
		r(http.MethodGet, "/_sim/ssh-keys", kindSim, e.handleSimSSHKeys),
		r(http.MethodGet, "/_sim/requests", kindSim, e.handleSimRequests),
		r(http.MethodGet, "/_sim/object-storage", kindSim, e.handleSimObjectStorage),
		r(http.MethodGet, "/_sim/billing", kindSim, e.handleSimBilling),
		r(http.MethodGet, "/_sim/stats", kindSim, e.handleSimStats),
		r(http.MethodGet, "/_sim/faults", kindSim, e.handleSimFaults),
		r(http.MethodPost, "/_sim/faults", kindSim, e.handleSimSetFaults),
	}
}

// match returns the route for the path (segments already unescaped), and
// whether some route has that path with another method.
func (e *Engine) match(method string, segs []string) (*route, string, bool) {
	pathFound := false
	for i := range e.routes {
		rt := &e.routes[i]
		id, ok := matchPattern(rt.pattern, segs)
		if !ok {
			continue
		}
		if rt.method == method {
			return rt, id, true
		}
		pathFound = true
	}
	return nil, "", pathFound
}

func matchPattern(pattern, segs []string) (string, bool) {
	if len(pattern) != len(segs) {
		return "", false
	}
	id := ""
	for i, p := range pattern {
		switch {
		case isParam(p):
			if segs[i] == "" {
				return "", false
			}
			id = segs[i]
		case p != segs[i]:
			return "", false
		}
	}
	return id, true
}

// splitPath unescapes each segment separately, so that an id containing an
// encoded slash stays one (invalid) id instead of changing the route.
func splitPath(r *http.Request) ([]string, bool) {
	raw := strings.Split(strings.Trim(r.URL.EscapedPath(), "/"), "/")
	segs := make([]string, len(raw))
	for i, s := range raw {
		u, err := url.PathUnescape(s)
		if err != nil {
			return nil, false
		}
		segs[i] = u
	}
	return segs, true
}

// ServeHTTP routes a request and applies, in order: stats, latency, auth,
// rate limit and failure injection (REST), then the handler.
func (e *Engine) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := &recorder{ResponseWriter: w}
	start := time.Now()
	defer func() {
		if e.opts.Logf != nil {
			status := rec.status
			if status == 0 {
				status = http.StatusOK
			}
			note := ""
			if rec.wsClose != "" {
				note = " ws-close=" + rec.wsClose
			}
			// Path only: never the query, headers or body.
			e.opts.Logf("%s %s %d %s%s", r.Method, r.URL.Path, status, time.Since(start).Round(time.Microsecond), note)
		}
	}()

	segs, ok := splitPath(r)
	var rt *route
	var id string
	if ok {
		rt, id, ok = e.match(r.Method, segs)
	}
	if rt == nil {
		if ok {
			// FastAPI's answer to a known path with the wrong method.
			writeJSON(rec, http.StatusMethodNotAllowed, map[string]any{"detail": "Method Not Allowed"})
			return
		}
		writeJSON(rec, http.StatusNotFound, msg("Not Found"))
		return
	}
	c := &call{id: id}
	if slices.Contains(rt.pattern, "{job_id}") {
		c.jobID = id
	}
	// Requests move on the engine clock: apply what became due before this
	// request arrived, so that every handler, job routes included, sees it.
	e.settle()
	switch rt.kind {
	case kindREST:
		e.count(rt.stat, c.id)
		if !e.sleep(r.Context()) {
			return
		}
		user, ok := e.authenticate(r)
		if !ok {
			// [DOC] 401 bodies use "error", not "message".
			writeJSON(rec, http.StatusUnauthorized, map[string]any{"error": "Invalid or missing API key"})
			return
		}
		c.user = user
		if e.injectFault(rec, user) {
			return
		}
		if how := e.afterChange(r, rt.stat); how != afterChangeNone {
			loseAnswer(rec, how, func(w http.ResponseWriter) { rt.handle(w, r, c) })
			return
		}
		if late := e.lateAnswer(r); late > 0 {
			answerLate(rec, r, late, func(w http.ResponseWriter) { rt.handle(w, r, c) })
			return
		}
	case kindWS:
		e.count(rt.stat, c.id)
		if !e.sleep(r.Context()) || e.refuseHandshake(rec) {
			return
		}
	}
	rt.handle(rec, r, c)
}

// recorder remembers the status for the request log. Unwrap lets the
// WebSocket library reach the http.Hijacker underneath.
type recorder struct {
	http.ResponseWriter
	status  int
	wsClose string
}

func (r *recorder) WriteHeader(code int) {
	if r.status == 0 {
		r.status = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

// noteClose records a WebSocket close for the request log.
func noteClose(w http.ResponseWriter, code int, reason string) {
	if rec, ok := w.(*recorder); ok {
		rec.wsClose = fmt.Sprintf("%d %q", code, reason)
	}
}

// authenticate maps the bearer token to a user. [DOC] "Authorization: Bearer
// <key>"; the scheme is matched case-insensitively as RFC 7235 requires.
func (e *Engine) authenticate(r *http.Request) (string, bool) {
	scheme, key, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	return e.userForKey(strings.TrimSpace(key))
}

func (e *Engine) userForKey(key string) (string, bool) {
	if key == "" {
		return "", false
	}
	user, ok := e.users[key] // read-only after New
	return user, ok
}
