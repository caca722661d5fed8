package installcheck

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// SigningKey is a throwaway OpenPGP key made for one run, standing in for the
// release key whose fingerprint goreleaser's `signs` step is given.
type SigningKey struct {
	entity *openpgp.Entity
	// KeyID is the id the CLIs print after an install ("key ID …").
	KeyID string
	// ArmoredPublic is what the registry serves in gpg_public_keys.
	ArmoredPublic string
}

// NewSigningKey makes an RSA key: Terraform 1.5.7 verifies with the frozen
// golang.org/x/crypto/openpgp, which knows no newer key types.
func NewSigningKey(name string) (*SigningKey, error) {
	cfg := &packet.Config{Algorithm: packet.PubKeyAlgoRSA, RSABits: 2048, DefaultHash: crypto.SHA256}
	e, err := openpgp.NewEntity(name, "install check, throwaway", "", cfg)
	if err != nil {
		return nil, fmt.Errorf("generating the OpenPGP key: %w", err)
	}
	var buf bytes.Buffer
	w, err := armor.Encode(&buf, openpgp.PublicKeyType, nil)
	if err == nil {
		err = e.Serialize(w)
	}
	if err == nil {
		err = w.Close()
	}
	return &SigningKey{entity: e, KeyID: e.PrimaryKey.KeyIdString(), ArmoredPublic: buf.String()}, err
}

// DetachSign returns a binary detached signature of doc, as `gpg
// --detach-sign` writes it in a release (.goreleaser.yml's signs step).
func (k *SigningKey) DetachSign(doc []byte) ([]byte, error) {
	var sig bytes.Buffer
	err := openpgp.DetachSign(&sig, k.entity, bytes.NewReader(doc), &packet.Config{DefaultHash: crypto.SHA256})
	return sig.Bytes(), err
}

// NewLoopbackTLS makes a throwaway CA certificate for 127.0.0.1, valid for a
// day, that the registry also serves as its own: the CLIs trust it, and
// nothing else, through SSL_CERT_FILE (caPEM), which replaces the system
// roots.
func NewLoopbackTLS() (cert tls.Certificate, caPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return cert, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "install-check throwaway CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
		KeyUsage:    x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return cert, nil, err
	}
	cert = tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
	return cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), nil
}
