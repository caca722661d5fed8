package bench

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// GroupFloor holds the plugin-floor targets.
const GroupFloor = "Plugin floor: targets (medians of interleaved runs)"

// floorVariantOrder is the column order of the plugin-floor table.
var floorVariantOrder = []string{VariantOurs, VariantOursSDKLogs, VariantBare, VariantBareJob, VariantTimeStatic, VariantTFData}

var floorOpOrder = []string{OpPlan, OpApply, OpDestroy}

// SortFloorRuns orders runs by operation, N, then variant column.
func SortFloorRuns(runs []FloorRun) {
	slices.SortStableFunc(runs, func(a, b FloorRun) int {
		return cmp.Or(cmp.Compare(slices.Index(floorOpOrder, a.Op), slices.Index(floorOpOrder, b.Op)), cmp.Compare(a.Jobs, b.Jobs),
			cmp.Compare(slices.Index(floorVariantOrder, a.Variant), slices.Index(floorVariantOrder, b.Variant)))
	})
}

// floorMedian finds the median sample of a variant's operation at n.
func floorMedian(runs []FloorRun, variant, op string, n int) (FloorSample, bool) {
	for _, r := range runs {
		if r.Variant == variant && r.Op == op && r.Jobs == n && len(r.Samples) > 0 {
			return r.Median(), true
		}
	}
	return FloorSample{}, false
}

// floorFigure is one row kind of the plugin-floor table.
type floorFigure struct {
	name string
	unit string
	// providerOnly figures do not exist for terraform_data; engineOnly ones
	// only for ours.
	providerOnly, engineOnly bool
	value                    func(FloorSample) float64
}

var floorFigures = []floorFigure{
	{name: "wall", unit: "s", value: func(s FloorSample) float64 { return s.WallSeconds }},
	{name: "CPU (Terraform + provider)", unit: "s", value: func(s FloorSample) float64 { return s.CPUSeconds }},
	{name: "provider CPU (sampled)", unit: "s", providerOnly: true, value: func(s FloorSample) float64 { return s.ProviderCPUSeconds }},
	{name: "provider peak RSS", unit: "MiB", providerOnly: true, value: func(s FloorSample) float64 { return s.PeakRSSMiB }},
	{name: "connections to the engine", unit: "", engineOnly: true, value: func(s FloorSample) float64 { return float64(s.Connections) }},
	{name: "requests to the engine", unit: "", engineOnly: true, value: func(s FloorSample) float64 { return float64(s.Requests) }},
}

// floorCell is a figure of a variant's median, nil where it does not apply.
func floorCell(runs []FloorRun, variant, op string, n int, f floorFigure) *float64 {
	m, ok := floorMedian(runs, variant, op, n)
	isOurs := variant == VariantOurs || variant == VariantOursSDKLogs
	if !ok || (f.providerOnly && variant == VariantTFData) || (f.engineOnly && !isOurs) {
		return nil
	}
	return f64(f.value(m))
}

// floorRow is an operation at a job count: a block of the table.
type floorRow struct {
	op   string
	jobs int
}

// floorRows lists the (op, N) pairs measured, in table order.
func floorRows(runs []FloorRun) []floorRow {
	var rows []floorRow
	for _, r := range runs {
		row := floorRow{r.Op, r.Jobs}
		if !slices.Contains(rows, row) {
			rows = append(rows, row)
		}
	}
	return rows
}

// writeFloorTable writes the plugin-floor table: one row per operation, N
// and figure, one column per variant, then ours over the bare provider and
// over terraform_data.
func writeFloorTable(b *strings.Builder, runs []FloorRun) {
	if len(runs) == 0 {
		return
	}
	b.WriteString("\n### Plugin floor: ours next to a bare framework provider, time_static and terraform_data\n\n")
	b.WriteString("| Command, N | Figure | Ours | Ours, all SDK logs (before) | Bare provider | Bare, job schema | time_static | terraform_data | " +
		"Ours / bare | Bare job schema / bare | Ours / bare job schema | Ours / terraform_data |\n")
	b.WriteString("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, row := range floorRows(runs) {
		op, n := row.op, row.jobs
		for _, f := range floorFigures {
			cells := make([]string, 0, len(floorVariantOrder))
			measured := false
			for _, v := range floorVariantOrder {
				c := floorCell(runs, v, op, n, f)
				measured = measured || c != nil
				cells = append(cells, formatFloorValue(c, f.unit))
			}
			if !measured {
				continue
			}
			ratio := func(v, of string) string {
				a, b := floorCell(runs, v, op, n, f), floorCell(runs, of, op, n, f)
				if a == nil || b == nil || f.engineOnly {
					return "—"
				}
				return FormatRatio(Ratio(*a, *b))
			}
			fmt.Fprintf(b, "| %s, N = %d | %s | %s | %s | %s | %s | %s |\n", op, n, f.name, strings.Join(cells, " | "),
				ratio(VariantOurs, VariantBare), ratio(VariantBareJob, VariantBare), ratio(VariantOurs, VariantBareJob), ratio(VariantOurs, VariantTFData))
		}
	}
	b.WriteString("\n- Each figure is the median of the runs (nearest rank, each figure on its own); the variants took turns in a rotating " +
		"order, so that the machine's load fell on all of them alike. Plans are `terraform plan -refresh=true`; the apply starts from an " +
		"empty state and the destroy follows it; the engine answers at once (cancel latency 0).\n")
	b.WriteString("- CPU is the user + system time of terraform and of the provider processes it waited for (rusage at exit); provider " +
		"CPU is sampled every 50 ms from /proc (a lower bound). \"Ours, all SDK logs\" is ours with TF_LOG_SDK, TF_LOG_SDK_PROTO, " +
		"TF_LOG_SDK_FRAMEWORK and TF_LOG_PROVIDER_TENSORPOOL at TRACE: what every run cost before the provider matched those levels to " +
		"Terraform's (nothing is shown to the user either way, TF_LOG being unset).\n")
	b.WriteString("- The bare provider (internal/testing/bench/bareprovider) is a framework provider with one resource, one computed `id` and no " +
		"logic, built with this module's framework version: the cost of any framework provider. \"Bare, job schema\" is its bare_job " +
		"resource: tensorpool_job's schema (the same attributes, types, defaults, descriptions and timeouts block) without custom types, " +
		"validators, plan modifiers, ModifyPlan or engine, its computed attributes filled at create with values shaped like the " +
		"simulator's; it shows what the schema alone costs, and ours over it what our code and the engine requests cost. time_static is " +
		"terraform-provider-time " + timeVersion + ". Connections are the TCP connections the engine accepted during the command.\n")
}

func formatFloorValue(v *float64, unit string) string {
	if unit == "" {
		if v == nil {
			return "—"
		}
		return fmt.Sprintf("%.0f", *v)
	}
	return FormatValue(v, unit)
}

// buildFloorMetrics adds the plugin-floor targets at FloorApplyJobs.
func buildFloorMetrics(r *Report, cfg Config) {
	if len(r.Floor) == 0 {
		return
	}
	n := cfg.FloorApplyJobs
	bareLabel, tfLabel := "bare provider", "terraform_data"
	ratioToBare := RatioAtMost(cfg.FloorRatioTarget, fmt.Sprintf("≤ %.1f× bare", cfg.FloorRatioTarget))
	get := func(variant, op string, f func(FloorSample) float64) *float64 {
		m, ok := floorMedian(r.Floor, variant, op, n)
		if !ok {
			return nil
		}
		return f64(f(m))
	}
	wall := func(s FloorSample) float64 { return s.WallSeconds }
	cpu := func(s FloorSample) float64 { return s.CPUSeconds }
	rss := func(s FloorSample) float64 { return s.PeakRSSMiB }
	for _, op := range floorOpOrder {
		for _, fig := range []struct {
			name string
			f    func(FloorSample) float64
		}{{"wall time", wall}, {"CPU", cpu}} {
			r.Add(Metric{Group: GroupFloor, Name: fmt.Sprintf("%s %s, N = %d", op, fig.name, n), Unit: "s",
				Ours: get(VariantOurs, op, fig.f), Baseline: get(VariantBare, op, fig.f), BaselineLabel: bareLabel, Target: ratioToBare})
		}
	}
	for _, fig := range []struct {
		name string
		f    func(FloorSample) float64
	}{{"wall time", wall}, {"CPU", cpu}} {
		r.Add(Metric{Group: GroupFloor, Name: fmt.Sprintf("plan %s against terraform_data, N = %d", fig.name, n), Unit: "s",
			Ours: get(VariantOurs, OpPlan, fig.f), Baseline: get(VariantTFData, OpPlan, fig.f), BaselineLabel: tfLabel,
			Target: RatioAtMost(cfg.FloorTFDataRatioTarget, fmt.Sprintf("≤ %.0f× terraform_data", cfg.FloorTFDataRatioTarget))})
	}
	for _, op := range []string{OpPlan, OpApply} {
		m := Metric{Group: GroupFloor, Name: fmt.Sprintf("provider peak RSS during %s, N = %d", op, n), Unit: "MiB",
			Ours: get(VariantOurs, op, rss), Baseline: get(VariantBare, op, rss), BaselineLabel: bareLabel}
		if m.Baseline != nil {
			m.Target = AtMost(*m.Baseline+cfg.FloorRSSMarginMiB, fmt.Sprintf("≤ bare + %.0f MiB", cfg.FloorRSSMarginMiB))
		}
		r.Add(m)
	}
	for _, jobs := range cfg.FloorJobs {
		m, ok := floorMedian(r.Floor, VariantOurs, OpPlan, jobs)
		if !ok {
			continue
		}
		r.Add(Metric{Group: GroupFloor, Name: fmt.Sprintf("connections opened per plan, N = %d", jobs), Unit: "conns",
			Ours: f64(float64(m.Connections)), Target: AtMost(float64(cfg.Parallelism), fmt.Sprintf("≤ parallelism (%d)", cfg.Parallelism))})
	}
	r.Add(Metric{Group: GroupFloor, Name: fmt.Sprintf("plan CPU with every SDK log line on (before), N = %d", n), Unit: "s",
		Ours: get(VariantOursSDKLogs, OpPlan, cpu), Baseline: get(VariantOurs, OpPlan, cpu), BaselineLabel: "ours",
		Note: "informational: the cost of the trace logs the provider no longer produces when Terraform would drop them"})
	for _, op := range floorOpOrder {
		r.Add(Metric{Group: GroupFloor, Name: fmt.Sprintf("bare provider with the job's schema, %s CPU, N = %d", op, n), Unit: "s",
			Ours: get(VariantBareJob, op, cpu), Baseline: get(VariantBare, op, cpu), BaselineLabel: bareLabel,
			Note: "informational: what tensorpool_job's schema alone costs, with no logic and no engine"})
		r.Add(Metric{Group: GroupFloor, Name: fmt.Sprintf("%s CPU against the bare provider with the job's schema, N = %d", op, n), Unit: "s",
			Ours: get(VariantOurs, op, cpu), Baseline: get(VariantBareJob, op, cpu), BaselineLabel: "bare, job schema",
			Note: "informational: what our own code and the engine requests cost on top of the schema"})
	}
	r.Add(Metric{Group: GroupFloor, Name: fmt.Sprintf("time_static plan CPU, N = %d", n), Unit: "s",
		Ours: get(VariantTimeStatic, OpPlan, cpu), Baseline: get(VariantBare, OpPlan, cpu), BaselineLabel: bareLabel,
		Note: "informational: another framework provider with a schema as wide as ours, against the bare provider"})
}
