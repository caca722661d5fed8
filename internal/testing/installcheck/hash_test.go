package installcheck

import (
	"archive/zip"
	"bytes"
	"testing"
)

// Terraform's own test vector (internal/providercache/cached_provider_test.go
// in Terraform 1.5.7): a package holding only this file hashes to this h1.
const (
	placeholderName    = "terraform-provider-null"
	placeholderContent = "# This is just a placeholder file for discovery testing, not a real provider plugin.\n"
	placeholderH1      = "h1:qjsREM4DqEWECD43FcPqddZ9oxCG+IaMTxvWPciS05g="
)

func zipOf(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, content := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(content)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestHashH1MatchesTerraformsVector(t *testing.T) {
	got, err := HashH1(zipOf(t, map[string]string{placeholderName: placeholderContent}))
	if err != nil || got != placeholderH1 {
		t.Errorf("HashH1(zip) = %q, %v; want %q", got, err, placeholderH1)
	}
}
