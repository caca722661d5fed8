package provider

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/diag"

	"github.com/tensorpool/terraform-provider-tensorpool/internal/backoff"
	"github.com/tensorpool/terraform-provider-tensorpool/internal/client"
)

// One release flow serves clusters and volumes: its messages must name the
// object's kind, and a refusal must carry the resource's own advice.
func TestReleaseErrorsNameTheKindAndKeepTheAdvice(t *testing.T) {
	destroying := "DESTROYING"
	timedOut := &releaseWaitError{Kind: storageKind, ID: "s-1", LastStatus: &destroying, Err: &backoff.TimeoutError{Waited: 2 * time.Second}}
	refused := &releaseRefusedError{Kind: storageKind, ID: "s-1", Status: "ATTACHED", Err: errors.New("400 still attached"),
		Advice: storageRefusalAdvice(errors.New("400 still attached"), &client.Storage{ClusterIDs: []string{"c-1"}})}
	for _, tc := range []struct {
		name          string
		err           error
		summary       string
		detailPhrases []string
	}{
		{"timeout", timedOut, "Timed out waiting for the TensorPool storage volume to be released",
			[]string{"Storage volume s-1 was asked to release", "still DESTROYING", "timeouts.delete = 2s", "The storage volume stays in the Terraform state"}},
		{"refused", refused, "The engine refused to release the TensorPool storage volume",
			[]string{"which is ATTACHED", "still attached (to c-1)", "Detach it first", "The storage volume stays in the Terraform state", "`tp storage info s-1`", "`tp cluster detach <cluster id> <storage id>`"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := releaseErrorSummary(storageKind, tc.err); got != tc.summary {
				t.Errorf("summary %q, want %q", got, tc.summary)
			}
			detail := releaseErrorDetail(storageKind, "s-1", 2*time.Second, tc.err)
			for _, want := range tc.detailPhrases {
				if !strings.Contains(detail, want) {
					t.Errorf("the detail does not say %q:\n%s", want, detail)
				}
			}
		})
	}
	if got := releaseErrorDetail(clusterKind, "c-9", time.Minute, errors.New("boom")); !strings.Contains(got, "`tp cluster info c-9`") {
		t.Errorf("a cluster's detail does not point at tp cluster info: %s", got)
	}
}

// A create whose wait timed out says the claim's last status, and that it
// may still finish, once each: the request tracker's error says both.
func TestCreateWaitDetailSaysTheStatusOnce(t *testing.T) {
	retrying := "Waiting for 1xH100 capacity"
	last := &client.Request{ID: "r-1", Type: "CLUSTER_CLAIM", Status: "PROCESSING", ExternalMessage: &retrying}
	err := &client.RequestWaitError{ID: "r-1", Last: last, Err: &backoff.TimeoutError{Waited: 2 * time.Second}}
	detail := createWaitDetail(objectCreate[*client.Cluster]{Kind: clusterKind, ID: "c-1", Timeout: 2 * time.Second}, last, err)
	for _, once := range []string{"PROCESSING", retrying, "may still"} {
		if n := strings.Count(detail, once); n != 1 {
			t.Errorf("the detail says %q %d times, want once:\n%s", once, n, detail)
		}
	}
	for _, want := range []string{"timeouts.create = 2s", "kept in the Terraform state", "`terraform destroy` releases it", "raise `timeouts.create`"} {
		if !strings.Contains(detail, want) {
			t.Errorf("the detail does not say %q:\n%s", want, detail)
		}
	}
}

// memoryPrivate is private state for calling the create flow directly.
type memoryPrivate map[string][]byte

func (m memoryPrivate) SetKey(_ context.Context, key string, value []byte) diag.Diagnostics {
	m[key] = value
	return nil
}

// timeouts.create bounds everything the create does: the read-back after
// the engine reported the create done, which rides out engine errors for
// timeouts.read (here an hour), ends with the create's deadline, and the
// object stays in the state with a warning.
func TestCreateReadBackEndsByTheCreateDeadline(t *testing.T) {
	data := &providerData{opts: Options{PollPolicy: backoff.Policy{Initial: time.Millisecond, Max: time.Millisecond}}}
	createCtx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	reads := 0
	failing := func(context.Context) (*client.Cluster, error) { //nolint:unparam // the shape of a read, which never succeeds here
		reads++
		return nil, &client.APIError{StatusCode: 503, Method: "GET", Path: "/cluster/info/c-1", Message: "Service unavailable"}
	}
	private := memoryPrivate{}
	var diags diag.Diagnostics
	done := make(chan createResult[*client.Cluster], 1)
	go func() {
		done <- followCreate(context.Background(), createCtx, data, nil, objectCreate[*client.Cluster]{
			Kind: clusterKind, ID: "c-1",
			Read: failing, Status: clusterStatus,
			Timeout: 50 * time.Millisecond, ReadTimeout: time.Hour,
		}, nil, private, &diags)
	}()
	select {
	case result := <-done:
		if result.Read || result.Removed || diags.HasError() || reads == 0 {
			t.Errorf("result %+v after %d reads, diagnostics %v: want the cluster kept, unread, with a warning", result, reads, diags)
		}
		if len(private[privateCreateUnfinished]) != 0 {
			t.Errorf("the create finished, yet the cluster is still marked unfinished")
		}
	case <-time.After(time.Minute):
		t.Fatal("the read-back after the create outlived timeouts.create")
	}
}
