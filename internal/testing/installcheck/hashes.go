package installcheck

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
)

// HashZH is the lock file's "zh:" hash of an archive: the SHA-256 of the zip
// file itself, as SHA256SUMS lists it.
func HashZH(zipBytes []byte) string { return "zh:" + sha256Hex(zipBytes) }

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// HashH1 is the lock file's "h1:" hash of an archive, computed here from the
// zip rather than taken from a CLI: Go's dirhash Hash1 of the files it holds,
// a SHA-256 over the sorted "<sha256 hex>  <name>\n" lines, in base64.
func HashH1(zipBytes []byte) (string, error) {
	zr, err := zip.NewReader(bytes.NewReader(zipBytes), int64(len(zipBytes)))
	if err != nil {
		return "", err
	}
	files := slices.DeleteFunc(slices.Clone(zr.File), func(f *zip.File) bool { return f.FileInfo().IsDir() })
	slices.SortFunc(files, func(a, b *zip.File) int { return strings.Compare(a.Name, b.Name) })
	summary := sha256.New()
	for _, f := range files {
		rc, err := f.Open()
		if err != nil {
			return "", err
		}
		h := sha256.New()
		_, err = io.Copy(h, rc) //nolint:gosec // G110: our own release archive
		_ = rc.Close()
		if err != nil {
			return "", fmt.Errorf("%s: %w", f.Name, err)
		}
		fmt.Fprintf(summary, "%x  %s\n", h.Sum(nil), f.Name)
	}
	return "h1:" + base64.StdEncoding.EncodeToString(summary.Sum(nil)), nil
}

var (
	lockProvider = regexp.MustCompile(`(?m)^provider "([^"]+)" \{`)
	lockVersion  = regexp.MustCompile(`(?m)^\s*version\s*=\s*"([^"]+)"`)
	lockHash     = regexp.MustCompile(`"([a-z][a-z0-9]*:[^"\s]+)"`)
)

// ParseLockFile reads a .terraform.lock.hcl that pins at most one provider:
// its address ("" when none), version and hashes.
func ParseLockFile(src []byte) (address, version string, hashes []string) {
	if m := lockProvider.FindSubmatch(src); m != nil {
		address = string(m[1])
	}
	if m := lockVersion.FindSubmatch(src); m != nil {
		version = string(m[1])
	}
	for _, m := range lockHash.FindAllSubmatch(src, -1) {
		hashes = append(hashes, string(m[1]))
	}
	return address, version, hashes
}
