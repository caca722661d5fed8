package sim

import (
	"fmt"
	"strings"
)

// The job's own output, as /job/listen streams it. [CLI] The official CLI's
// `tp job listen` prints every message of the stream, which is how users
// see their job's output; [INF] the engine therefore sends the output lines
// of the job's commands as messages, `{"message": <line>, "status":
// "running"}`, replays them from the start to a client that connects
// late, and then ends with the final success/error message. The lines
// themselves are made up: each command echoed, a little training progress,
// and for a job that ends `error` a Python traceback, so that a client's
// handling of a failing job's output can be tested.

// outputProgressLines is how many progress lines a running job prints per
// command: enough that a client keeping only the end of the output must
// drop some.
const outputProgressLines = 60

// jobOutput is the output a job has printed by the time it has status.
func jobOutput(tpConfig, status string) []string {
	status = strings.ToLower(status)
	if status == StatusPending || status == "" {
		return nil
	}
	commands := []string{"python train.py"}
	if cfg, err := parseJobConfig(tpConfig); err == nil {
		commands = cfg.commands
	}
	var lines []string
	for i, cmd := range commands {
		lines = append(lines, "$ "+cmd)
		for step := 1; step <= outputProgressLines; step++ {
			lines = append(lines, fmt.Sprintf("[command %d] step %d/%d loss=%.4f", i+1, step, outputProgressLines, 1/float64(step+1)))
		}
	}
	switch status {
	case StatusCompleted:
		lines = append(lines, "Training finished; checkpoints written.")
	case StatusError:
		lines = append(lines,
			"Traceback (most recent call last):",
			`  File "train.py", line 42, in <module>`,
			"    loss.backward()",
			"RuntimeError: CUDA out of memory (simulated)",
		)
	case StatusFailed:
		lines = append(lines, "The node running this job was lost (simulated infrastructure failure).")
	case StatusCanceled:
		lines = append(lines, "Received a cancellation request; stopping.")
	}
	return lines
}
