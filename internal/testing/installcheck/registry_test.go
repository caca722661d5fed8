package installcheck

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	pgperrors "github.com/ProtonMail/go-crypto/openpgp/errors"
)

type downloadResponse struct {
	Protocols   []string `json:"protocols"`
	OS          string   `json:"os"`
	Arch        string   `json:"arch"`
	Filename    string   `json:"filename"`
	DownloadURL string   `json:"download_url"`
	SHASum      string   `json:"shasum"`
	SumsURL     string   `json:"shasums_url"`
	SigURL      string   `json:"shasums_signature_url"`
	SigningKeys struct {
		GPGPublicKeys []struct {
			KeyID      string `json:"key_id"`
			ASCIIArmor string `json:"ascii_armor"`
		} `json:"gpg_public_keys"`
	} `json:"signing_keys"`
}

func testRegistry(t *testing.T) (*Release, *SigningKey, *httptest.Server) {
	t.Helper()
	zip := zipOf(t, map[string]string{"terraform-provider-tensorpool_v0.99.0": "binary"})
	sum := sha256.Sum256(zip)
	rel := &Release{
		Version: "0.99.0", OS: "linux", Arch: "amd64", Protocols: []string{"6.0"},
		ZipName: "terraform-provider-tensorpool_0.99.0_linux_amd64.zip", Zip: zip,
		SumsName: "terraform-provider-tensorpool_0.99.0_SHA256SUMS",
	}
	rel.Sums = fmt.Appendf(nil, "%x  terraform-provider-tensorpool_0.99.0_manifest.json\n%s  %s\n",
		sha256.Sum256([]byte("{}")), hex.EncodeToString(sum[:]), rel.ZipName)
	key, err := NewSigningKey("test release key")
	if err != nil {
		t.Fatal(err)
	}
	foreign, err := NewSigningKey("test foreign key")
	if err != nil {
		t.Fatal(err)
	}
	reg, err := NewRegistry(rel, key, foreign, "1.0.0")
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(reg.Handler())
	t.Cleanup(srv.Close)
	return rel, key, srv
}

// get fetches a path, or the path of an absolute URL the registry returned.
func get(t *testing.T, srv *httptest.Server, path string) (int, []byte) {
	t.Helper()
	if u, err := url.Parse(path); err == nil && u.IsAbs() {
		path = u.Path
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body
}

func TestRegistryListsTheReleaseAndTheDecoy(t *testing.T) {
	_, _, srv := testRegistry(t)
	status, body := get(t, srv, "/genuine/v1/providers/tensorpool/tensorpool/versions")
	var got struct {
		Versions []struct {
			Version   string   `json:"version"`
			Protocols []string `json:"protocols"`
		} `json:"versions"`
	}
	if err := json.Unmarshal(body, &got); status != http.StatusOK || err != nil || len(got.Versions) != 2 ||
		got.Versions[0].Version != "0.99.0" || got.Versions[1].Version != "1.0.0" || got.Versions[0].Protocols[0] != "6.0" {
		t.Fatalf("versions: %d %s (%v)", status, body, err)
	}
	if status, _ := get(t, srv, "/genuine/v1/providers/tensorpool/tensorpool/1.0.0/download/linux/amd64"); status != http.StatusNotFound {
		t.Errorf("the decoy's download answered %d, want 404", status)
	}
	if status, _ := get(t, srv, "/genuine/v1/providers/tensorpool/tensorpool/0.99.0/download/linux/arm64"); status != http.StatusNotFound {
		t.Errorf("another platform's download answered %d, want 404", status)
	}
}

func TestRegistryModes(t *testing.T) {
	rel, key, srv := testRegistry(t)
	for _, tc := range []struct {
		mode      string
		zipIntact bool
		// sumsListServedZip: SHA256SUMS lists the digest of the zip served.
		sumsListServedZip bool
		// sigErr is what verifying SHA256SUMS with the served key gives.
		sigErr func(error) bool
	}{
		{Genuine, true, true, func(err error) bool { return err == nil }},
		{TamperedZip, false, false, func(err error) bool { return err == nil }},
		{ForgedSums, false, true, func(err error) bool { return err != nil && !errors.Is(err, pgperrors.ErrUnknownIssuer) }},
		{ForeignSignature, true, true, func(err error) bool { return errors.Is(err, pgperrors.ErrUnknownIssuer) }},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			status, body := get(t, srv, "/"+tc.mode+"/v1/providers/tensorpool/tensorpool/0.99.0/download/linux/amd64")
			var d downloadResponse
			if err := json.Unmarshal(body, &d); status != http.StatusOK || err != nil {
				t.Fatalf("download: %d %s (%v)", status, body, err)
			}
			if d.Filename != rel.ZipName || d.OS != "linux" || d.Arch != "amd64" || len(d.SigningKeys.GPGPublicKeys) != 1 ||
				d.SigningKeys.GPGPublicKeys[0].KeyID != key.KeyID || !strings.HasPrefix(d.DownloadURL, "https://") {
				t.Fatalf("download response: %s", body)
			}
			_, zip := get(t, srv, d.DownloadURL)
			_, sums := get(t, srv, d.SumsURL)
			_, sig := get(t, srv, d.SigURL)
			if intact := bytes.Equal(zip, rel.Zip); intact != tc.zipIntact {
				t.Errorf("served zip intact: %t, want %t", intact, tc.zipIntact)
			}
			if diff := differingBytes(zip, rel.Zip); !tc.zipIntact && diff != 1 {
				t.Errorf("tampered zip differs in %d bytes, want 1", diff)
			}
			listed, _ := SumFor(sums, rel.ZipName)
			if d.SHASum != listed {
				t.Errorf("shasum %s, SHA256SUMS lists %s", d.SHASum, listed)
			}
			if got := HashZH(zip) == "zh:"+listed; got != tc.sumsListServedZip {
				t.Errorf("SHA256SUMS lists the served zip's digest: %t, want %t", got, tc.sumsListServedZip)
			}
			keyring, err := openpgp.ReadArmoredKeyRing(strings.NewReader(d.SigningKeys.GPGPublicKeys[0].ASCIIArmor))
			if err != nil {
				t.Fatal(err)
			}
			_, err = openpgp.CheckDetachedSignature(keyring, bytes.NewReader(sums), bytes.NewReader(sig), nil)
			if !tc.sigErr(err) {
				t.Errorf("signature check: %v", err)
			}
		})
	}
}

func differingBytes(a, b []byte) int {
	if len(a) != len(b) {
		return -1
	}
	n := 0
	for i := range a {
		if a[i] != b[i] {
			n++
		}
	}
	return n
}
