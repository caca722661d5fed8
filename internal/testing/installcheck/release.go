package installcheck

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"

	"gopkg.in/yaml.v3"
)

// Release is the snapshot release for this machine's platform, as goreleaser
// packed it, with what the registry publishes beside it.
type Release struct {
	Version, OS, Arch string
	ZipName, SumsName string
	Zip, Sums         []byte
	// Protocols are the plugin protocol versions of
	// terraform-registry-manifest.json, which the registry serves.
	Protocols []string
}

// BuildRelease runs goreleaser's own release pipeline on the repository at
// repo (snapshot, unsigned, unpublished) for this machine's platform only,
// into dist, with the version given. Everything else comes from
// .goreleaser.yml unchanged, so the zip and the SHA256SUMS file are the ones
// a release would publish. Goreleaser's progress goes to logw.
func BuildRelease(ctx context.Context, goreleaser, repo, version, dist string, logw io.Writer) (*Release, error) {
	raw, err := os.ReadFile(filepath.Join(repo, ".goreleaser.yml"))
	if err != nil {
		return nil, err
	}
	var cfg map[string]any
	if err := yaml.Unmarshal(raw, &cfg); err != nil {
		return nil, fmt.Errorf(".goreleaser.yml: %w", err)
	}
	project, _ := cfg["project_name"].(string)
	builds, _ := cfg["builds"].([]any)
	if project == "" || len(builds) == 0 {
		return nil, errors.New(".goreleaser.yml: want project_name and builds")
	}
	// `release` has no --single-target (only `build` has): narrow each
	// build's goos/goarch lists to this platform, refusing a platform the
	// release itself would not build.
	for _, b := range builds {
		build, ok := b.(map[string]any)
		if !ok || !listed(build["goos"], runtime.GOOS) || !listed(build["goarch"], runtime.GOARCH) {
			return nil, fmt.Errorf(".goreleaser.yml does not build %s/%s", runtime.GOOS, runtime.GOARCH)
		}
		build["goos"], build["goarch"] = []string{runtime.GOOS}, []string{runtime.GOARCH}
	}
	cfg["dist"] = dist
	cfg["snapshot"] = map[string]any{"version_template": version}
	derived, err := yaml.Marshal(cfg)
	if err != nil {
		return nil, err
	}
	cfgPath := filepath.Join(filepath.Dir(dist), "goreleaser-this-platform.yml")
	if err := os.WriteFile(cfgPath, derived, 0o600); err != nil {
		return nil, err
	}
	// --skip=before: the hook runs `go mod tidy`, which must not rewrite the
	// checkout under test (make release-check runs the hook).
	cmd := exec.CommandContext(ctx, goreleaser, "release", "--config", cfgPath,
		"--snapshot", "--clean", "--skip=before,sign,publish")
	cmd.Dir, cmd.Stdout, cmd.Stderr = repo, logw, logw
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("goreleaser release: %w", err)
	}

	r := &Release{Version: version, OS: runtime.GOOS, Arch: runtime.GOARCH}
	r.ZipName = fmt.Sprintf("%s_%s_%s_%s.zip", project, version, r.OS, r.Arch)
	r.SumsName = fmt.Sprintf("%s_%s_SHA256SUMS", project, version)
	zips, _ := filepath.Glob(filepath.Join(dist, "*.zip"))
	if len(zips) != 1 || filepath.Base(zips[0]) != r.ZipName {
		return nil, fmt.Errorf("goreleaser packed %v, want only %s", zips, r.ZipName)
	}
	if r.Zip, err = os.ReadFile(zips[0]); err != nil {
		return nil, err
	}
	if r.Sums, err = os.ReadFile(filepath.Join(dist, r.SumsName)); err != nil {
		return nil, err
	}
	// The registry publishes the protocols of the release's manifest.
	var manifest struct {
		Metadata struct {
			ProtocolVersions []string `json:"protocol_versions"`
		} `json:"metadata"`
	}
	raw, err = os.ReadFile(filepath.Join(repo, "terraform-registry-manifest.json"))
	if err == nil {
		err = json.Unmarshal(raw, &manifest)
	}
	r.Protocols = manifest.Metadata.ProtocolVersions
	if err == nil && len(r.Protocols) == 0 {
		err = errors.New("terraform-registry-manifest.json lists no protocol_versions")
	}
	return r, err
}

func listed(list any, want string) bool {
	items, _ := list.([]any)
	return slices.Contains(items, any(want))
}
