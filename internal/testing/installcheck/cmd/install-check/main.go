// Command install-check is test machinery, run by `make install-check`: it
// packs this repository's snapshot release for this machine with goreleaser,
// serves it through a loopback provider registry (TLS, signed SHA256SUMS)
// and, for each CLI named on the command line, installs it the way a
// registry user's `terraform init` does, with no dev_overrides, mirror or
// plugin cache: the lock file must hold the archive's own hashes, plan,
// apply and destroy must work against the engine simulator, and a tampered
// archive or a bad signature must make init fail.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/testing/installcheck"
	"github.com/tensorpool/terraform-provider-tensorpool/internal/testing/sim"
)

const (
	// The snapshot's version; the configuration constrains it as users do.
	releaseVersion = "0.99.0"
	constraint     = "~> 0.99.0"
	// A newer version the registry lists but cannot deliver: trying it
	// would mean the CLI ignored the constraint.
	decoyVersion = "1.0.0"
	apiKey       = "tp-install-check"
	cluster      = "c-install-check"
)

func main() {
	repo := flag.String("repo", ".", "repository to release")
	goreleaser := flag.String("goreleaser", "goreleaser", "goreleaser binary")
	keep := flag.Bool("keep", false, "keep the work directory")
	flag.Usage = func() { fmt.Fprintln(os.Stderr, "usage: install-check [flags] CLI..."); flag.PrintDefaults() }
	flag.Parse()
	if flag.NArg() == 0 {
		flag.Usage()
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, *repo, *goreleaser, flag.Args(), *keep)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "install-check: FAILED:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, repo, goreleaser string, clis []string, keep bool) error {
	start := time.Now()
	work, err := os.MkdirTemp("", "install-check-")
	if err != nil {
		return err
	}
	if keep {
		fmt.Println("install-check: work directory", work)
	} else {
		defer os.RemoveAll(work)
	}
	rel, err := installcheck.BuildRelease(ctx, goreleaser, repo, releaseVersion, filepath.Join(work, "dist"), os.Stderr)
	if err != nil {
		return err
	}
	fmt.Printf("install-check: goreleaser packed %s and %s in %s\n", rel.ZipName, rel.SumsName, since(start))

	key, err := installcheck.NewSigningKey("install-check release key")
	if err != nil {
		return err
	}
	foreign, err := installcheck.NewSigningKey("someone else")
	if err != nil {
		return err
	}
	reg, err := installcheck.NewRegistry(rel, key, foreign, decoyVersion)
	if err != nil {
		return err
	}
	cert, caPEM, err := installcheck.NewLoopbackTLS()
	if err != nil {
		return err
	}
	caFile := filepath.Join(work, "ca.pem")
	if err := os.WriteFile(caFile, caPEM, 0o600); err != nil {
		return err
	}
	base, stopRegistry, err := reg.Serve(ctx, cert)
	if err != nil {
		return err
	}
	defer stopRegistry()
	engine, err := sim.Start(sim.Options{APIKeys: []string{apiKey}, Clusters: []string{cluster}})
	if err != nil {
		return err
	}
	defer engine.Close()

	failed := 0
	for i, bin := range clis {
		if bin, err = filepath.Abs(bin); err != nil {
			return err
		}
		c := &check{bin: bin, work: filepath.Join(work, fmt.Sprint("cli", i)), registry: base, caFile: caFile,
			rel: rel, reg: reg, key: key, engine: engine}
		if err := c.identify(ctx); err != nil {
			return err
		}
		fmt.Printf("\n%s (%s): source %q, version %q\n", c.version, bin, installcheck.Source, constraint)
		failed += c.all(ctx)
	}
	if failed > 0 {
		return fmt.Errorf("%d check(s) failed (%s)", failed, since(start))
	}
	fmt.Printf("\ninstall-check: OK: %d CLI(s) installed %s %s from the loopback registry and refused every tampered variant (%s)\n",
		len(clis), installcheck.Source, releaseVersion, since(start))
	return nil
}

func since(t time.Time) string { return time.Since(t).Round(100 * time.Millisecond).String() }
