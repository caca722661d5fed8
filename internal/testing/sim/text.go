package sim

import (
	"fmt"
	"strings"
	"text/tabwriter"
)

// Pre-rendered texts. [CLI] The CLI prints the "message" of each answer as
// is; the exact wording of the real engine is unknown [INF], so these texts
// are only meant for humans and a client must not parse them.

// initTemplate is the configuration GET /job/init returns; a push accepts it
// as it is.
const initTemplate = `# TensorPool job configuration (.tp.toml)
# Docs: https://docs.tensorpool.dev

# Shell commands run in order, in a fresh virtualenv on the cluster.
commands = [
    "pip install -r requirements.txt",
    "python main.py",
]

# Files, directories or globs kept after the job finishes (fetch them with
# "tp job pull").
outputs = [
    "checkpoints/",
    "results.json",
]

# Paths or globs that are not uploaded with the job.
ignore = [
    ".venv",
    "__pycache__",
    ".git",
]
`

// publicMessage is job_info.message, the engine's one-line explanation.
func publicMessage(status, cluster string) string {
	switch strings.ToLower(status) {
	case StatusPending:
		return fmt.Sprintf("Job is pending: launching on %s", cluster)
	case StatusRunning:
		return fmt.Sprintf("Job is running on %s", cluster)
	case StatusCanceling:
		return "Job cancellation in progress"
	case StatusCompleted:
		return "Job completed successfully"
	case StatusError:
		return "Job failed: a command exited with code 1"
	case StatusFailed:
		return "Job failed due to an infrastructure error on TensorPool's side"
	case StatusCanceled:
		return "Job was canceled"
	}
	return fmt.Sprintf("Job is %s", status)
}

// renderInfo is the multi-line "message" of GET /job/info.
func renderInfo(s JobSnapshot) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Job %s\n", s.JobID)
	fmt.Fprintf(&b, "  Status:        %s\n", s.Status)
	fmt.Fprintf(&b, "  Cluster:       %s\n", s.ClusterID)
	fmt.Fprintf(&b, "  Instance type: %s\n", instanceType)
	if s.ExitCode != nil {
		fmt.Fprintf(&b, "  Exit code:     %d\n", *s.ExitCode)
	}
	fmt.Fprintf(&b, "  Created:       %s\n", apiTime(s.CreatedAt))
	fmt.Fprintf(&b, "  Updated:       %s\n", apiTime(s.UpdatedAt))
	fmt.Fprintf(&b, "  %s", publicMessage(s.Status, s.ClusterID))
	return b.String()
}

// renderList is the table of GET /job/list.
func renderList(jobs []JobSnapshot) string {
	if len(jobs) == 0 {
		return "No jobs found"
	}
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 3, ' ', 0)
	fmt.Fprintln(tw, "JOB ID\tSTATUS\tCLUSTER\tINSTANCE\tCREATED")
	for _, s := range jobs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", s.JobID, s.Status, s.ClusterID, instanceType, apiTime(s.CreatedAt))
	}
	_ = tw.Flush()
	return strings.TrimRight(b.String(), "\n")
}

// renderUserInfo is the "message" of GET /user/info. It names the user,
// never the key.
func renderUserInfo(user string, jobs int) string {
	return fmt.Sprintf("User %s\n  Organization: org-%s\n  Jobs:         %d\n  Balance:      $0.00 (simulated)", user, user, jobs)
}
