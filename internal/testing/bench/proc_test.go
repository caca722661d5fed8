package bench

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"
	"time"
)

func TestParseStatPPID(t *testing.T) {
	cases := []struct {
		stat string
		want int
		ok   bool
	}{
		{"1234 (terraform) S 99 1234 1234 0 -1", 99, true},
		{"1234 (a (weird) name) R 7 1 1", 7, true},
		{"1234 (x) S", 0, false},
		{"garbage", 0, false},
	}
	for _, c := range cases {
		got, ok := ParseStatPPID([]byte(c.stat))
		if got != c.want || ok != c.ok {
			t.Errorf("ParseStatPPID(%q) = %d, %v; want %d, %v", c.stat, got, ok, c.want, c.ok)
		}
	}
}

// fakeProc writes a /proc-like tree: pid → (ppid, comm, status).
func fakeProc(t *testing.T, procs map[int][3]string) string {
	t.Helper()
	root := t.TempDir()
	for pid, p := range procs {
		dir := filepath.Join(root, strconv.Itoa(pid))
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		stat := strconv.Itoa(pid) + " (" + p[1] + ") S " + p[0] + " 0 0"
		for name, body := range map[string]string{"stat": stat, "comm": p[1] + "\n", "status": p[2]} {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := os.MkdirAll(filepath.Join(root, "self"), 0o700); err != nil { // not a pid: ignored
		t.Fatal(err)
	}
	return root
}

func TestDescendantsAndSampler(t *testing.T) {
	status := func(hwm, rss string) string {
		return "Name:\tx\nVmPeak:\t 999999 kB\nVmHWM:\t " + hwm + " kB\nVmRSS:\t " + rss + " kB\n"
	}
	procs := fakeProc(t, map[int][3]string{
		10: {"1", "terraform", status("50000", "40000")},
		11: {"10", "terraform-provi", status("20480", "10240")}, // child provider: 20 MiB peak
		12: {"11", "sh", status("1000", "1000")},
		13: {"12", "terraform-provi", status("1024", "30720")}, // grandchild: 30 MiB now
		20: {"1", "terraform-provi", status("99999", "99999")}, // not below the root
	})
	got := Descendants(procs, 10)
	if len(got) != 3 {
		t.Fatalf("Descendants = %v, want 11, 12, 13", got)
	}
	s := &MemSampler{root: 10, name: ProviderBinary, pids: map[int]bool{}, procs: procs}
	s.sample()
	if s.peak != 30*1024*1024 || len(s.pids) != 2 {
		t.Errorf("peak %d bytes over %d processes, want 30 MiB over 2", s.peak, len(s.pids))
	}
}

func TestReadMemStatus(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "status")
	if err := os.WriteFile(p, []byte("Name:\tx\nVmHWM:\t    2048 kB\nVmRSS:\t    1024 kB\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	hwm, rss, err := ReadMemStatus(p)
	if err != nil || hwm != 2048*1024 || rss != 1024*1024 {
		t.Errorf("ReadMemStatus = %d, %d, %v", hwm, rss, err)
	}
	if err := os.WriteFile(p, []byte("Name:\tzombie\nState:\tZ\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ReadMemStatus(p); err == nil {
		t.Error("a status without memory lines must be an error")
	}
	if _, _, err := ReadMemStatus(filepath.Join(dir, "missing")); err == nil {
		t.Error("a missing file must be an error")
	}
}

// TestMemSamplerOnARealChild samples a real process tree: this test binary
// starts sh, which starts sleep.
func TestMemSamplerOnARealChild(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /proc")
	}
	cmd := exec.CommandContext(t.Context(), "sh", "-c", "sleep 2; true")
	if err := cmd.Start(); err != nil {
		t.Skip("no sh:", err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	s := StartMemSampler(os.Getpid(), "sleep", 10*time.Millisecond)
	deadline := time.Now().Add(1500 * time.Millisecond)
	for time.Now().Before(deadline) {
		s.mu.Lock()
		n := len(s.pids)
		s.mu.Unlock()
		if n > 0 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	peak, n := s.Stop()
	if n != 1 || peak <= 0 {
		t.Errorf("sampled %d sleep processes, peak %d bytes; want 1 and > 0", n, peak)
	}
}
