// Package installcheck is test machinery, not provider code: it serves a
// snapshot release through a loopback provider registry that speaks the
// registry protocol Terraform and OpenTofu use in `init`, so that a check can
// install the provider exactly as a registry user does and watch the CLIs
// reject a tampered archive and bad signatures.
package installcheck

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Source is the provider the registry serves, as configurations name it.
const Source = "tensorpool/tensorpool"

// Modes, each served under its own path prefix, so that one registry serves
// every case and a CLI picks one through its services URL.
const (
	// Genuine serves the release as goreleaser packed it, signed.
	Genuine = "genuine"
	// TamperedZip changes one byte of the zip; SHA256SUMS, the shasum and the
	// signature stay as released.
	TamperedZip = "tampered-zip"
	// ForgedSums serves the tampered zip with SHA256SUMS (and shasum)
	// rewritten to match, under the released signature: what an attacker
	// without the signing key can serve.
	ForgedSums = "forged-sums"
	// ForeignSignature serves the genuine files with SHA256SUMS signed by a
	// key other than the one listed in signing_keys.
	ForeignSignature = "foreign-signature"
)

// Modes lists every mode, Genuine first.
var Modes = []string{Genuine, TamperedZip, ForgedSums, ForeignSignature}

type variant struct{ zip, sums, signature []byte }

// Registry serves one release in every mode.
type Registry struct {
	rel *Release
	key *SigningKey
	// decoys are versions the versions endpoint lists but cannot deliver
	// (404): a CLI that ignored the version constraint fails.
	decoys   []string
	variants map[string]variant

	mu        sync.Mutex
	downloads map[string]int
}

// NewRegistry signs the release's SHA256SUMS with key (foreign signs
// ForeignSignature's) and prepares every mode.
func NewRegistry(rel *Release, key, foreign *SigningKey, decoys ...string) (*Registry, error) {
	sig, err := key.DetachSign(rel.Sums)
	if err != nil {
		return nil, err
	}
	foreignSig, err := foreign.DetachSign(rel.Sums)
	if err != nil {
		return nil, err
	}
	digest, ok := SumFor(rel.Sums, rel.ZipName)
	if !ok || digest != sha256Hex(rel.Zip) {
		return nil, fmt.Errorf("%s does not list %s with its digest", rel.SumsName, rel.ZipName)
	}
	tampered := bytes.Clone(rel.Zip)
	tampered[len(tampered)/2] ^= 0x01
	forged := bytes.ReplaceAll(rel.Sums, []byte(digest), []byte(sha256Hex(tampered)))
	return &Registry{rel: rel, key: key, decoys: decoys, downloads: map[string]int{}, variants: map[string]variant{
		Genuine:          {rel.Zip, rel.Sums, sig},
		TamperedZip:      {tampered, rel.Sums, sig},
		ForgedSums:       {tampered, forged, sig},
		ForeignSignature: {rel.Zip, rel.Sums, foreignSig},
	}}, nil
}

// ServedZip is the zip served in a mode.
func (r *Registry) ServedZip(mode string) []byte { return r.variants[mode].zip }

// Downloads counts the zip downloads served in a mode.
func (r *Registry) Downloads(mode string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.downloads[mode]
}

// Handler serves the providers.v1 protocol under /MODE/v1/providers/ and the
// release files under /MODE/files/.
func (r *Registry) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{mode}/v1/providers/"+Source+"/versions", r.versions)
	mux.HandleFunc("GET /{mode}/v1/providers/"+Source+"/{version}/download/{os}/{arch}", r.download)
	mux.HandleFunc("GET /{mode}/files/{name}", r.file)
	return mux
}

// Serve listens with TLS on a free loopback port and returns the base URL.
func (r *Registry) Serve(ctx context.Context, cert tls.Certificate) (baseURL string, stop func(), err error) {
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: r.Handler(), ReadHeaderTimeout: 10 * time.Second,
		TLSConfig: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}}
	go func() { _ = srv.ServeTLS(ln, "", "") }()
	return "https://" + ln.Addr().String(), func() { _ = srv.Close() }, nil
}

func (r *Registry) versions(w http.ResponseWriter, _ *http.Request) {
	var list []map[string]any
	for _, v := range append([]string{r.rel.Version}, r.decoys...) {
		platforms := []map[string]string{{"os": r.rel.OS, "arch": r.rel.Arch}}
		list = append(list, map[string]any{"version": v, "protocols": r.rel.Protocols, "platforms": platforms})
	}
	writeJSON(w, map[string]any{"versions": list})
}

func (r *Registry) download(w http.ResponseWriter, req *http.Request) {
	mode := req.PathValue("mode")
	v, ok := r.variants[mode]
	if !ok || req.PathValue("version") != r.rel.Version || req.PathValue("os") != r.rel.OS || req.PathValue("arch") != r.rel.Arch {
		http.NotFound(w, req)
		return
	}
	// As the public registry does, the shasum is SHA256SUMS's.
	shasum, _ := SumFor(v.sums, r.rel.ZipName)
	files := "https://" + req.Host + "/" + mode + "/files/"
	writeJSON(w, map[string]any{
		"protocols": r.rel.Protocols, "os": r.rel.OS, "arch": r.rel.Arch,
		"filename": r.rel.ZipName, "download_url": files + r.rel.ZipName, "shasum": shasum,
		"shasums_url": files + r.rel.SumsName, "shasums_signature_url": files + r.rel.SumsName + ".sig",
		"signing_keys": map[string]any{"gpg_public_keys": []map[string]string{
			{"key_id": r.key.KeyID, "ascii_armor": r.key.ArmoredPublic},
		}},
	})
}

func (r *Registry) file(w http.ResponseWriter, req *http.Request) {
	mode, v := req.PathValue("mode"), r.variants[req.PathValue("mode")]
	body := map[string][]byte{r.rel.ZipName: v.zip, r.rel.SumsName: v.sums, r.rel.SumsName + ".sig": v.signature}[req.PathValue("name")]
	if body == nil {
		http.NotFound(w, req)
		return
	}
	if req.PathValue("name") == r.rel.ZipName {
		r.mu.Lock()
		r.downloads[mode]++
		r.mu.Unlock()
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	_, _ = w.Write(body)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// SumFor returns the hex digest that sums (a SHA256SUMS file) lists for name.
func SumFor(sums []byte, name string) (string, bool) {
	sc := bufio.NewScanner(bytes.NewReader(sums))
	for sc.Scan() {
		if digest, file, ok := strings.Cut(sc.Text(), "  "); ok && file == name {
			return digest, true
		}
	}
	return "", false
}
