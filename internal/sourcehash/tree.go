// Package sourcehash computes a deterministic hash of the files a TensorPool
// job uploads from its source directory, so that a plan can tell when the
// code changed since the job was submitted.
package sourcehash

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// Result is the hash of a tree and what went into it.
type Result struct {
	// Hash is "sha256:" and 64 hex digits.
	Hash string
	// Files counts the regular files and symlinks hashed (not directories).
	Files int
	// Bytes is the total size of the regular files hashed.
	Bytes int64
	// Skipped is the files TreeSkipping left out of Hash because their
	// content is the one it was asked to skip ('/'-separated, sorted).
	Skipped []string
	// WithSkipped is the hash of the tree with those files counted, as Tree
	// computes it: equal to Hash when nothing was skipped.
	WithSkipped string
}

// formatVersion starts the hashed stream, so that a change to what goes into
// a record changes every hash rather than colliding with an older one.
const formatVersion = "tensorpool-sourcehash-v1\x00"

// chunkSize is each worker's read buffer: large enough to amortise the read
// calls, small enough that cancellation is checked every few hundred µs.
const chunkSize = 256 << 10

// readBuffers keeps the workers' read buffers between calls. A plan hashes
// the source directory once per job, hundreds of times for a counted
// resource: a fresh buffer per worker per call was a quarter of the bytes a
// 500-job plan allocated, and the garbage collections they caused.
var readBuffers = sync.Pool{New: func() any { return new([chunkSize]byte) }}

const (
	kindDir     = 'd'
	kindFile    = 'f'
	kindSymlink = 'l'
)

type entry struct {
	rel  string // relative to the root, '/'-separated
	kind byte
	exec bool // owner's executable bit, regular files only (as git records it)
	size int64
	sum  [sha256.Size]byte // of the content, or of a symlink's target text
}

// Tree hashes every directory, regular file and symlink under dir except
// those the ignore patterns exclude (rsync --exclude syntax, see pattern; an
// excluded directory excludes its subtree). Each entry contributes, in byte
// order of its relative path: the path, its kind, the executable bit, its
// size and the sha256 of its content. Content, renames, added or removed
// files and directories, and chmod +x change the hash; modification times,
// ownership and other permission bits do not. Symlinks are not followed: the
// hash covers their target text, as rsync -a copies the link itself. Sockets,
// FIFOs and devices are skipped. Files are read through an os.Root, so
// nothing outside dir is read even if the tree changes during the walk.
//
// Tree stops soon after ctx is done and returns an error wrapping ctx.Err().
func Tree(ctx context.Context, dir string, ignore []string) (Result, error) {
	return TreeSkipping(ctx, dir, ignore, nil)
}

// TreeSkipping is Tree, except that regular files whose content is exactly
// skip (when skip is not nil) are left out of Hash and listed in Skipped;
// WithSkipped is what Tree would return. A job's own config file sits in the
// folder it uploads, and its text is compared on its own (as parsed TOML):
// counting it here too would turn a comment in it into a changed source.
// Content, not a name, picks it out, so it is found whatever it is called,
// and the comparison costs no read beyond the hashing (size, then sha256).
func TreeSkipping(ctx context.Context, dir string, ignore []string, skip []byte) (Result, error) {
	patterns := make([]pattern, 0, len(ignore))
	for _, raw := range ignore {
		if p, ok := compilePattern(raw); ok {
			patterns = append(patterns, p)
		}
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return Result{}, fmt.Errorf("hashing the source directory: %w", err)
	}
	defer root.Close()
	entries, err := listTree(ctx, root, patterns)
	if err == nil {
		err = hashContents(ctx, root, entries)
	}
	if err != nil {
		return Result{}, fmt.Errorf("hashing the source directory %s: %w", dir, err)
	}
	all := digest(entries)
	if skip == nil {
		all.WithSkipped = all.Hash
		return all, nil
	}
	skipSize, skipSum := int64(len(skip)), sha256.Sum256(skip)
	var kept []entry
	var skipped []string
	for _, e := range entries {
		if e.kind == kindFile && e.size == skipSize && e.sum == skipSum {
			skipped = append(skipped, e.rel)
			continue
		}
		kept = append(kept, e)
	}
	if len(skipped) == 0 {
		all.WithSkipped = all.Hash
		return all, nil
	}
	res := digest(kept)
	res.Skipped, res.WithSkipped = skipped, all.Hash
	return res, nil
}

func excluded(patterns []pattern, rel string, isDir bool) bool {
	return slices.ContainsFunc(patterns, func(p pattern) bool { return p.matches(rel, isDir) })
}

// listTree walks the tree in the calling goroutine: the walk is cheap next to
// the hashing, and directory order needs no coordination.
func listTree(ctx context.Context, root *os.Root, patterns []pattern) ([]entry, error) {
	var entries []entry
	err := fs.WalkDir(root.FS(), ".", func(rel string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if rel == "." {
			return nil
		}
		if excluded(patterns, rel, d.IsDir()) {
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		switch mode := d.Type(); {
		case mode.IsDir():
			entries = append(entries, entry{rel: rel, kind: kindDir})
		case mode.IsRegular():
			info, err := d.Info()
			if err != nil {
				return err
			}
			entries = append(entries, entry{rel: rel, kind: kindFile, exec: info.Mode()&0o100 != 0})
		case mode&fs.ModeSymlink != 0:
			target, err := root.Readlink(filepath.FromSlash(rel))
			if err != nil {
				return err
			}
			entries = append(entries, entry{rel: rel, kind: kindSymlink,
				size: int64(len(target)), sum: sha256.Sum256([]byte(target))})
		}
		return nil
	})
	return entries, err
}

// errStopped ends the other workers' files once one worker has failed.
var errStopped = errors.New("stopped after another file's error")

// hashContents hashes the regular files' contents on up to
// runtime.GOMAXPROCS workers (no more than there are files), each with one
// pooled buffer and one hasher. The workers poll ctx itself (not a derived
// context), so the caller's cancellation is seen between any two chunks.
func hashContents(ctx context.Context, root *os.Root, entries []entry) error {
	files := 0
	for i := range entries {
		if entries[i].kind == kindFile {
			files++
		}
	}
	var (
		mu       sync.Mutex
		firstErr error
		failed   atomic.Bool
		wg       sync.WaitGroup
	)
	stopped := func() error {
		if failed.Load() {
			return errStopped
		}
		return ctx.Err()
	}
	jobs := make(chan *entry)
	for range min(runtime.GOMAXPROCS(0), files) {
		wg.Go(func() {
			buf, _ := readBuffers.Get().(*[chunkSize]byte) // the pool holds nothing else
			defer readBuffers.Put(buf)
			h := sha256.New()
			for e := range jobs {
				if err := hashFile(stopped, root, e, h, buf[:]); err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
						failed.Store(true)
					}
					mu.Unlock()
				}
			}
		})
	}
feed:
	for i := range entries {
		if entries[i].kind != kindFile {
			continue
		}
		if failed.Load() {
			break
		}
		select {
		case jobs <- &entries[i]:
		case <-ctx.Done():
			break feed
		}
	}
	close(jobs)
	wg.Wait()
	if firstErr != nil {
		return firstErr
	}
	return ctx.Err()
}

// hashFile streams one file through h, calling stopped before every chunk so
// that a cancel does not wait for a large file to finish.
func hashFile(stopped func() error, root *os.Root, e *entry, h hash.Hash, buf []byte) error {
	if err := stopped(); err != nil {
		return err
	}
	f, err := root.Open(filepath.FromSlash(e.rel))
	if err != nil {
		return err
	}
	defer f.Close()
	h.Reset()
	var size int64
	for {
		n, err := f.Read(buf)
		h.Write(buf[:n])
		size += int64(n)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		if err := stopped(); err != nil {
			return err
		}
	}
	e.size = size // what was hashed, even if the file changed since the walk
	h.Sum(e.sum[:0])
	return nil
}

// digest hashes the entries' records in path order. Each record is
// length-prefixed, so no choice of names can make two trees' streams equal.
func digest(entries []entry) Result {
	slices.SortFunc(entries, func(a, b entry) int { return strings.Compare(a.rel, b.rel) })
	h := sha256.New()
	h.Write([]byte(formatVersion))
	var res Result
	var record []byte
	for _, e := range entries {
		record = binary.AppendUvarint(record[:0], uint64(len(e.rel)))
		record = append(record, e.rel...)
		record = append(record, e.kind, 0)
		if e.exec {
			record[len(record)-1] = 1
		}
		record = binary.AppendVarint(record, e.size)
		record = append(record, e.sum[:]...)
		h.Write(record)
		if e.kind != kindDir {
			res.Files++
		}
		if e.kind == kindFile {
			res.Bytes += e.size
		}
	}
	res.Hash = "sha256:" + hex.EncodeToString(h.Sum(nil))
	return res
}
