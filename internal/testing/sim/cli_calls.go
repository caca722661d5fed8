package sim

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"
)

// DeleteJobAsTheCLI sends what `tp job delete <id>` sends
// (DELETE /job/delete/{job_id} with the bearer key [CLI]) to the simulator
// at url, for tests that delete a finished job outside Terraform through the
// API rather than behind the engine's back. It fails unless the engine
// answers 200.
func DeleteJobAsTheCLI(url, apiKey, id string) error {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodDelete, url+"/job/delete/"+id, http.NoBody)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+apiKey)
	req.Header.Set("X-Client-Type", "cli")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("DELETE /job/delete/%s: %s: %s", id, resp.Status, body)
	}
	return nil
}
