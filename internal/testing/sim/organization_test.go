package sim

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestOrganizationInfoAnswersNameMembersAndBalance: GET
// /user/organization/info [DOC] answers the caller's organization with its
// name, members and balance (Options.OrganizationBalance, else the
// default), needs a key, and never shows one.
func TestOrganizationInfoAnswersNameMembersAndBalance(t *testing.T) {
	for _, tc := range []struct {
		set, want float64
	}{{0, DefaultOrganizationBalance}, {4.25, 4.25}} {
		srv, _ := start(t, func(o *Options) { o.OrganizationBalance = tc.set })
		if r := do(t, http.MethodGet, srv.URL+"/user/organization/info", "", ""); r.code != http.StatusUnauthorized {
			t.Errorf("without a key: %d, want 401", r.code)
		}
		r := do(t, http.MethodGet, srv.URL+"/user/organization/info", key2, "")
		if r.code != http.StatusOK {
			t.Fatalf("%d %s", r.code, r.body)
		}
		var got struct {
			Name    string  `json:"name"`
			Balance float64 `json:"balance"`
			Members []struct {
				UserID string `json:"user_id"`
			} `json:"members"`
		}
		if err := json.Unmarshal(r.body, &got); err != nil {
			t.Fatal(err)
		}
		if got.Name != "org-user-2" || got.Balance != tc.want || len(got.Members) != 1 || got.Members[0].UserID != "user-2" {
			t.Errorf("got %+v, want org-user-2 with user-2 and a balance of %v", got, tc.want)
		}
		if strings.Contains(string(r.body), key2) {
			t.Error("the answer shows the API key")
		}
	}
}
