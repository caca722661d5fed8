package bench

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"time"
)

// Target is a goal a figure is steered by.
type Target struct {
	// On is what the target bounds: "ours" (the figure itself) or "ratio"
	// (the figure divided by its baseline).
	On string `json:"on"`
	// Op is "<=" or "==".
	Op    string  `json:"op"`
	Value float64 `json:"value"`
	// Text is how the table shows it, e.g. "≤ 0.5 s" or "≤ reference".
	Text string `json:"text"`
}

// Target kinds.
const (
	OnOurs  = "ours"
	OnRatio = "ratio"
	// OnExcess bounds the figure minus its baseline.
	OnExcess = "excess"
)

// AtMost is a target "ours ≤ v".
func AtMost(v float64, text string) *Target {
	return &Target{On: OnOurs, Op: "<=", Value: v, Text: text}
}

// RatioAtMost is a target "ours / baseline ≤ v".
func RatioAtMost(v float64, text string) *Target {
	return &Target{On: OnRatio, Op: "<=", Value: v, Text: text}
}

// ExcessAtMost is a target "ours − baseline ≤ v".
func ExcessAtMost(v float64, text string) *Target {
	return &Target{On: OnExcess, Op: "<=", Value: v, Text: text}
}

// Exactly is a target "ours == v".
func Exactly(v float64, text string) *Target {
	return &Target{On: OnOurs, Op: "==", Value: v, Text: text}
}

// Check says whether the value meets the target; false for a missing value.
func (t Target) Check(ours, ratio *float64) bool {
	v := ours
	if t.On == OnRatio {
		v = ratio
	}
	if v == nil || math.IsNaN(*v) {
		return false
	}
	switch t.Op {
	case "==":
		return *v == t.Value
	default:
		return *v <= t.Value
	}
}

// Metric is one figure of the report.
type Metric struct {
	Group string `json:"group"`
	Name  string `json:"name"`
	// Unit is "s", "req/job", "jobs/s" or "MiB".
	Unit string `json:"unit"`
	// Ours is nil when the scenario failed.
	Ours *float64 `json:"ours"`
	// Baseline is what Ours is compared with, named by BaselineLabel: the
	// reference poller, the destroy floor, the terraform_data plan.
	Baseline      *float64 `json:"baseline,omitempty"`
	BaselineLabel string   `json:"baseline_label,omitempty"`
	// Ratio is Ours / Baseline.
	Ratio  *float64 `json:"ratio,omitempty"`
	Target *Target  `json:"target,omitempty"`
	// Met is set when there is a target and a value.
	Met *bool `json:"met,omitempty"`
	// Extra is a condition beyond the target's number (such as "no request
	// but GET /job/info"); when false the target is not met, and Note says
	// why.
	Extra *bool  `json:"-"`
	Note  string `json:"note,omitempty"`
}

// finish computes Ratio and Met from the other fields.
func (m *Metric) finish() {
	if m.Ours != nil && m.Baseline != nil && m.Ratio == nil {
		m.Ratio = Ratio(*m.Ours, *m.Baseline)
	}
	m.Met = nil
	if m.Target != nil && m.Ours != nil {
		ok := m.Target.Check(m.Ours, m.Ratio)
		if m.Target.On == OnExcess {
			ok = m.Baseline != nil && m.Target.Check(f64(*m.Ours-*m.Baseline), nil)
		}
		if m.Extra != nil && !*m.Extra {
			ok = false
		}
		m.Met = &ok
	}
}

// Machine describes where the figures were measured.
type Machine struct {
	Cores            int    `json:"cores"`
	OS               string `json:"os"`
	Arch             string `json:"arch"`
	CPUModel         string `json:"cpu_model,omitempty"`
	GoVersion        string `json:"go_version"`
	TerraformVersion string `json:"terraform_version"`
	// LoadStart and LoadEnd are the 1-minute load averages when the run
	// began and ended: anything else running skews the times.
	LoadStart string `json:"load_average_start,omitempty"`
	LoadEnd   string `json:"load_average_end,omitempty"`
}

// Report is the result of a benchmark run.
type Report struct {
	Mode      string    `json:"mode"`
	StartedAt time.Time `json:"started_at"`
	// ElapsedSeconds is the wall time of the whole run.
	ElapsedSeconds float64 `json:"elapsed_s"`
	Machine        Machine `json:"machine"`
	Parallelism    int     `json:"parallelism"`
	// Only and Env are set when the run was limited or had an extra
	// environment: its figures are then not the standard ones.
	Only    []string `json:"only,omitempty"`
	Env     []string `json:"env,omitempty"`
	Metrics []Metric `json:"metrics"`
	// GroupNotes explain a group's figures; they follow its table.
	GroupNotes map[string][]string `json:"group_notes,omitempty"`
	Destroys   []DestroyResult     `json:"destroys,omitempty"`
	Refreshes  []RefreshResult     `json:"refreshes,omitempty"`
	Applies    []ApplyResult       `json:"applies,omitempty"`
	// WaitFors are the wait_for notice-lag runs.
	WaitFors []WaitForResult `json:"wait_fors,omitempty"`
	// Floor are the plugin-floor runs: ours next to a bare provider,
	// time_static and terraform_data.
	Floor []FloorRun `json:"plugin_floor,omitempty"`
	// Clusters are the cluster create → destroy runs.
	Clusters []ClusterResult `json:"clusters,omitempty"`
	// FullStack are the examples/train-on-new-cluster apply → destroy runs.
	FullStack []FullStackResult `json:"full_stack,omitempty"`
	Errors    []string          `json:"errors,omitempty"`
}

// Add appends a metric, computing its ratio and whether it meets its target.
func (r *Report) Add(m Metric) {
	m.finish()
	r.Metrics = append(r.Metrics, m)
}

// Fail records a scenario error; the run goes on with the other scenarios.
func (r *Report) Fail(scenario string, err error) {
	r.Errors = append(r.Errors, fmt.Sprintf("%s: %v", scenario, err))
}

// Score counts the figures with a target, and those that meet it.
func (r *Report) Score() (met, total int) {
	for _, m := range r.Metrics {
		if m.Target == nil {
			continue
		}
		total++
		if m.Met != nil && *m.Met {
			met++
		}
	}
	return met, total
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// FormatValue formats a figure in its unit; "—" when missing.
func FormatValue(v *float64, unit string) string {
	if v == nil || math.IsNaN(*v) {
		return "—"
	}
	x := *v
	switch unit {
	case "s":
		switch {
		case x != 0 && math.Abs(x) < 0.1:
			return fmt.Sprintf("%.3f s", x)
		case math.Abs(x) < 100:
			return fmt.Sprintf("%.2f s", x)
		default:
			return fmt.Sprintf("%.1f s", x)
		}
	case "req/job", unitReqPerCluster:
		return fmt.Sprintf("%.2f", x)
	case "jobs/s", "MiB":
		return fmt.Sprintf("%.1f %s", x, unit)
	default:
		return strings.TrimSpace(fmt.Sprintf("%.3g %s", x, unit))
	}
}

// FormatRatio formats a ratio as "1.23×"; "—" when missing.
func FormatRatio(r *float64) string {
	if r == nil || math.IsNaN(*r) {
		return "—"
	}
	return fmt.Sprintf("%.2f×", *r)
}

func formatMet(m Metric) string {
	switch {
	case m.Target == nil:
		return "—"
	case m.Met == nil:
		return "NOT MEASURED"
	case *m.Met:
		return "met"
	default:
		return "**NOT MET**"
	}
}

// escapeCell keeps a table cell on one line and its pipes literal.
func escapeCell(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	return strings.ReplaceAll(s, "|", `\|`)
}

// groupOrder returns the groups in order of first appearance.
func (r *Report) groupOrder() []string {
	var groups []string
	for _, m := range r.Metrics {
		if !slices.Contains(groups, m.Group) {
			groups = append(groups, m.Group)
		}
	}
	return groups
}

// WriteMarkdown writes the report: the machine, then one table per group
// with the columns figure, ours, reference (baseline), ratio, target, met?,
// then the notes, the request breakdowns and any errors.
func (r *Report) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "## TensorPool provider benchmarks (%s run)\n\n", r.Mode)
	fmt.Fprintf(&b, "- Machine: %d CPU cores, %s/%s", r.Machine.Cores, r.Machine.OS, r.Machine.Arch)
	if r.Machine.CPUModel != "" {
		fmt.Fprintf(&b, ", %s", r.Machine.CPUModel)
	}
	fmt.Fprintf(&b, "\n- Terraform %s, %s, `-parallelism=%d`\n", r.Machine.TerraformVersion, r.Machine.GoVersion, r.Parallelism)
	fmt.Fprintf(&b, "- Started %s, took %s", r.StartedAt.UTC().Format(time.RFC3339), (time.Duration(r.ElapsedSeconds * float64(time.Second))).Round(time.Second))
	if r.Machine.LoadStart != "" {
		fmt.Fprintf(&b, "; load average %s at the start, %s at the end", r.Machine.LoadStart, r.Machine.LoadEnd)
	}
	b.WriteString("\n")
	if len(r.Only) > 0 {
		fmt.Fprintf(&b, "- Phases run: %s only\n", strings.Join(r.Only, ", "))
	}
	if len(r.Env) > 0 {
		fmt.Fprintf(&b, "- Extra environment for Terraform and the provider: `%s`\n", strings.Join(r.Env, " "))
	}
	met, total := r.Score()
	fmt.Fprintf(&b, "- Targets met: %d of %d\n", met, total)
	writeFloorTable(&b, r.Floor)

	for _, g := range r.groupOrder() {
		fmt.Fprintf(&b, "\n### %s\n\n", g)
		b.WriteString("| Figure | Ours | Reference | Ratio | Target | Met? |\n|---|---:|---:|---:|---|---|\n")
		var notes []string
		for _, m := range r.Metrics {
			if m.Group != g {
				continue
			}
			ref := FormatValue(m.Baseline, m.Unit)
			if m.Baseline != nil && m.BaselineLabel != "" {
				ref += " (" + m.BaselineLabel + ")"
			}
			target := "—"
			if m.Target != nil {
				target = m.Target.Text
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", escapeCell(m.Name), FormatValue(m.Ours, m.Unit),
				escapeCell(ref), FormatRatio(m.Ratio), escapeCell(target), formatMet(m))
			if m.Note != "" {
				notes = append(notes, fmt.Sprintf("- %s: %s", m.Name, m.Note))
			}
		}
		for _, n := range r.GroupNotes[g] {
			notes = append(notes, "- "+n)
		}
		if len(notes) > 0 {
			b.WriteString("\n" + strings.Join(notes, "\n") + "\n")
		}
	}

	if len(r.Destroys) > 0 {
		b.WriteString("\n### Requests by route during each destroy\n\n")
		b.WriteString("| Destroy | Jobs | Ours | Ours per job without Terraform's refresh | Reference poller |\n|---|---:|---|---:|---|\n")
		for _, d := range r.Destroys {
			ref := "—"
			if d.Reference != nil {
				ref = FormatCounts(d.Reference.Requests)
			}
			fmt.Fprintf(&b, "| %s | %d | %s | %s | %s |\n", escapeCell(d.Name), d.Jobs, escapeCell(FormatCounts(d.Requests)),
				FormatValue(f64(d.RequestsPerJobNoRefresh), "req/job"), escapeCell(ref))
		}
	}
	writeClusterRequestTable(&b, r.Clusters)
	if len(r.Errors) > 0 {
		b.WriteString("\n### Errors\n\n")
		for _, e := range r.Errors {
			fmt.Fprintf(&b, "- %s\n", escapeCell(e))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// FormatCounts formats per-route request counts as "GET /job/info 20, POST
// /job/cancel 10", routes sorted; "none" when empty.
func FormatCounts(m map[string]int) string {
	if len(m) == 0 {
		return "none"
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s %d", k, m[k])
	}
	return strings.Join(parts, ", ")
}
