package sim

import (
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"path"
	"strings"
	"time"
)

// The files of a finished job, as GET /job/pull lists them. [DOC] The answer
// maps each path to a URL or null, and the URLs of a finished job are
// presigned. Everything else here is [INF]: the simulator runs no commands,
// so it takes a job's outputs to be what its config's `outputs` entries
// name:
//   - an entry without "*", "?" or "[" is a file the job wrote, listed under
//     that path (a leading "./" dropped);
//   - a glob entry matches, by path.Match on the whole relative path, the
//     files of the job's upload listing (files the job was given and kept);
//   - an entry ending in "/" is a directory: listed with a null URL, there
//     being no single file to download.
//
// Only a job that reached running has outputs: one that failed or was
// canceled while pending never ran a command.

// outputsHost is where the simulated presigned URLs point: a reserved
// .invalid name, so that nothing ever resolves it.
const outputsHost = "outputs.sim.tensorpool.invalid"

// outputsExpiry is the lifetime the URLs claim.
const outputsExpiry = time.Hour

// downloadMap returns the job's download map at now, or an empty map.
func (j *job) downloadMap(now time.Time) map[string]any {
	files := map[string]any{}
	if !IsTerminal(j.status(now)) || !j.ran(now) || j.tpConfig == "" {
		return files
	}
	cfg, err := parseJobConfig(j.tpConfig)
	if err != nil {
		return files
	}
	uploaded := j.uploadedPaths()
	for _, entry := range cfg.outputs {
		entry = strings.TrimPrefix(entry, "./")
		switch {
		case entry == "" || entry == "/":
		case strings.HasSuffix(entry, "/"):
			files[entry] = nil
		case strings.ContainsAny(entry, "*?["):
			for _, p := range uploaded {
				if ok, _ := path.Match(entry, p); ok {
					files[p] = j.presignedURL(p, now)
				}
			}
		default:
			files[entry] = j.presignedURL(entry, now)
		}
	}
	return files
}

// ran reports whether the job's schedule reached running by now.
func (j *job) ran(now time.Time) bool {
	for _, s := range j.steps[:j.current(now)+1] {
		if s.status == StatusRunning {
			return true
		}
	}
	return false
}

// uploadedPaths are the paths of the upload listing (its first line is the
// directory, not a path).
func (j *job) uploadedPaths() []string {
	lines := strings.Split(strings.TrimRight(j.uploadListing, "\n"), "\n")
	if len(lines) < 2 {
		return nil
	}
	return lines[1:]
}

// presignedURL imitates an S3 presigned GET: the signature in the query
// string is what makes the URL a credential.
func (j *job) presignedURL(file string, now time.Time) string {
	sum := sha256.Sum256([]byte(j.id + "\x00" + file + "\x00" + now.UTC().Format(time.RFC3339)))
	u := url.URL{Scheme: "https", Host: outputsHost, Path: "/" + j.id + "/" + file}
	u.RawQuery = url.Values{
		"X-Amz-Algorithm": {"AWS4-HMAC-SHA256"},
		"X-Amz-Date":      {now.UTC().Format("20060102T150405Z")},
		"X-Amz-Expires":   {(outputsExpiry / time.Second).String()},
		"X-Amz-Signature": {hex.EncodeToString(sum[:])},
	}.Encode()
	return u.String()
}
