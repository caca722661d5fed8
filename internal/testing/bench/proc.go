package bench

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ProviderBinary is the provider's executable name; Linux keeps the first
// 15 bytes of it as the process's comm.
const ProviderBinary = "terraform-provider-tensorpool"

// MemSampler watches the processes of a given name below a root process
// (the provider plugins Terraform starts) and keeps the peak resident set
// size seen: the largest of VmHWM (the kernel's own high-water mark) and
// VmRSS over every sample of every matching process. Terraform starts the
// provider several times per command; the peak is over all of them.
type MemSampler struct {
	root     int
	name     string
	interval time.Duration

	mu   sync.Mutex
	peak int64 // bytes
	pids map[int]bool
	// ticks is the last CPU time (utime + stime, in clock ticks) seen per
	// process.
	ticks map[int]int64
	stop  chan struct{}
	done  chan struct{}
	procs string // /proc, replaceable in tests
}

// StartMemSampler samples every interval until Stop. Linux only: elsewhere
// the peak stays zero.
func StartMemSampler(root int, name string, interval time.Duration) *MemSampler {
	s := &MemSampler{root: root, name: name, interval: interval, pids: map[int]bool{}, ticks: map[int]int64{},
		stop: make(chan struct{}), done: make(chan struct{}), procs: "/proc"}
	go s.loop()
	return s
}

func (s *MemSampler) loop() {
	defer close(s.done)
	t := time.NewTicker(s.interval)
	defer t.Stop()
	for {
		s.sample()
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
	}
}

// Stop ends the sampling and returns the peak RSS in bytes and how many
// distinct matching processes were seen.
func (s *MemSampler) Stop() (peakBytes int64, processes int) {
	close(s.stop)
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peak, len(s.pids)
}

// sample takes one look at every process below root.
func (s *MemSampler) sample() {
	for _, pid := range Descendants(s.procs, s.root) {
		if !matchesName(s.procs, pid, s.name) {
			continue
		}
		hwm, rss, err := ReadMemStatus(filepath.Join(s.procs, strconv.Itoa(pid), "status"))
		if err != nil {
			continue // it exited between the listing and the read
		}
		stat, statErr := os.ReadFile(filepath.Join(s.procs, strconv.Itoa(pid), "stat"))
		s.mu.Lock()
		s.pids[pid] = true
		s.peak = max(s.peak, hwm, rss)
		if statErr == nil {
			if t, ok := ParseStatCPUTicks(stat); ok {
				s.ticks[pid] = max(s.ticks[pid], t)
			}
		}
		s.mu.Unlock()
	}
}

// CPUSeconds is the CPU time (user + system) of the matching processes, as
// last sampled: it misses what a process used after its last sample (up to
// one interval each). Call it after Stop.
func (s *MemSampler) CPUSeconds() float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	var total int64
	for _, t := range s.ticks {
		total += t
	}
	return float64(total) / clockTicksPerSecond
}

// clockTicksPerSecond is Linux's USER_HZ, the unit of /proc/<pid>/stat CPU
// times: 100 on every Linux architecture Go supports.
const clockTicksPerSecond = 100

// ParseStatCPUTicks reads utime + stime (fields 14 and 15, in clock ticks)
// from a /proc/<pid>/stat line, counting after the command's last ')'.
func ParseStatCPUTicks(stat []byte) (int64, bool) {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, false
	}
	fields := strings.Fields(string(stat[i+1:])) // state is field 3, so utime is index 11
	if len(fields) < 13 {
		return 0, false
	}
	utime, err1 := strconv.ParseInt(fields[11], 10, 64)
	stime, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, false
	}
	return utime + stime, true
}

// matchesName compares the process's comm with the first 15 bytes of name.
func matchesName(procs string, pid int, name string) bool {
	comm, err := os.ReadFile(filepath.Join(procs, strconv.Itoa(pid), "comm"))
	if err != nil {
		return false
	}
	want := name
	if len(want) > 15 {
		want = want[:15]
	}
	return strings.TrimSpace(string(comm)) == want
}

// Descendants lists every process below root (children, grandchildren, …)
// by the parent ids in <procs>/<pid>/stat.
func Descendants(procs string, root int) []int {
	entries, err := os.ReadDir(procs)
	if err != nil {
		return nil
	}
	children := map[int][]int{}
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		data, err := os.ReadFile(filepath.Join(procs, e.Name(), "stat"))
		if err != nil {
			continue
		}
		ppid, ok := ParseStatPPID(data)
		if ok {
			children[ppid] = append(children[ppid], pid)
		}
	}
	var out []int
	queue := []int{root}
	for len(queue) > 0 {
		p := queue[0]
		queue = queue[1:]
		for _, c := range children[p] {
			out = append(out, c)
			queue = append(queue, c)
		}
	}
	return out
}

// ParseStatPPID reads the parent pid from a /proc/<pid>/stat line. The
// command name in parentheses may hold spaces and parentheses, so the
// fields are counted from the last ')'.
func ParseStatPPID(stat []byte) (int, bool) {
	i := bytes.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, false
	}
	fields := strings.Fields(string(stat[i+1:]))
	if len(fields) < 2 { // state, ppid, …
		return 0, false
	}
	ppid, err := strconv.Atoi(fields[1])
	return ppid, err == nil
}

// ReadMemStatus returns VmHWM and VmRSS, in bytes, from a /proc/<pid>/status
// file.
func ReadMemStatus(path string) (hwm, rss int64, err error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	found := 0
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		key, val, ok := strings.Cut(sc.Text(), ":")
		if !ok || (key != "VmHWM" && key != "VmRSS") {
			continue
		}
		fields := strings.Fields(val) // "12345 kB"
		if len(fields) == 0 {
			continue
		}
		kb, perr := strconv.ParseInt(fields[0], 10, 64)
		if perr != nil {
			return 0, 0, fmt.Errorf("%s: %s: %w", path, key, perr)
		}
		if key == "VmHWM" {
			hwm = kb * 1024
		} else {
			rss = kb * 1024
		}
		found++
	}
	if err := sc.Err(); err != nil {
		return 0, 0, err
	}
	if found == 0 {
		return 0, 0, fmt.Errorf("%s: no VmHWM or VmRSS (a zombie?)", path)
	}
	return hwm, rss, nil
}
