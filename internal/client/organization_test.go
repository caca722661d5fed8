package client

import (
	"net/http"
	"testing"
)

// TestDecodeOrganizationInfoReadsTolerantly: the field names of the
// organization answer are [UNK], so each plausible shape yields the same
// name, members and balance, and a balance that is not a readable amount is
// nil (never 0).
func TestDecodeOrganizationInfoReadsTolerantly(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		balance    *float64
		members    []string
	}{
		{"top level", `{"name":"acme","members":[{"user_id":"u1","role":"owner"}],"balance":12.5,"message":"…"}`, ptr(12.5), []string{"u1"}},
		{"nested", `{"organization_info":{"organization_name":"acme","members":["a@x.io"],"balance":"$1,234.50"}}`, ptr(1234.5), []string{"a@x.io"}},
		{"text USD", `{"organization":{"name":"acme","users":[{"email":"a@x.io"}],"balance_usd":"7 USD"}}`, ptr(7.0), []string{"a@x.io"}},
		{"no balance", `{"name":"acme","message":"Organization acme"}`, nil, nil},
		{"unreadable balance", `{"name":"acme","balance":"plenty"}`, nil, nil},
		{"not a number", `{"name":"acme","balance":"NaN"}`, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			org, err := DecodeOrganizationInfo([]byte(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if org.Name == nil || *org.Name != "acme" {
				t.Errorf("name = %v, want acme", org.Name)
			}
			switch {
			case tc.balance == nil && org.Balance != nil:
				t.Errorf("balance = %v, want none", *org.Balance)
			case tc.balance != nil && (org.Balance == nil || *org.Balance != *tc.balance):
				t.Errorf("balance = %v, want %v", org.Balance, *tc.balance)
			}
			if len(org.Members) != len(tc.members) || (len(tc.members) > 0 && org.Members[0] != tc.members[0]) {
				t.Errorf("members = %v, want %v", org.Members, tc.members)
			}
			if len(org.Raw) == 0 {
				t.Error("the raw object was not kept")
			}
		})
	}
	if _, err := DecodeOrganizationInfo([]byte(`[1]`)); err == nil {
		t.Error("a body that is not an object was accepted")
	}
}

// TestGetOrganizationIsARead: the organization route is read under the
// read policy, so a 503 and a 500 are ridden out and the third answer used.
func TestGetOrganizationIsARead(t *testing.T) {
	c, rec := newTestClient(t,
		jsonReply(http.StatusServiceUnavailable, `{"message":"down"}`),
		jsonReply(http.StatusInternalServerError, `{"message":"oops"}`),
		jsonReply(http.StatusOK, `{"name":"acme","balance":3}`))
	org, err := c.GetOrganization(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if org.Balance == nil || *org.Balance != 3 {
		t.Errorf("balance = %v, want 3", org.Balance)
	}
	if rec.count() != 3 {
		t.Errorf("%d requests, want 3 (two retried failures and the answer)", rec.count())
	}
	if got := rec.requests[0]; got.Method != http.MethodGet || got.URL.Path != "/user/organization/info" {
		t.Errorf("request %s %s, want GET /user/organization/info", got.Method, got.URL.Path)
	}
}

// TestListSSHKeysOfAsksForTheOrganization: include_org is sent only when
// asked for.
func TestListSSHKeysOfAsksForTheOrganization(t *testing.T) {
	c, rec := newTestClient(t, jsonReply(http.StatusOK, `{"ssh_keys":[{"key_id":"k1","public_key":"ssh-ed25519 AAAA"}]}`))
	for _, org := range []bool{false, true} {
		keys, err := c.ListSSHKeysOf(t.Context(), org)
		if err != nil {
			t.Fatal(err)
		}
		if len(keys) != 1 || keys[0].ID != "k1" {
			t.Errorf("keys = %+v", keys)
		}
	}
	if q := rec.requests[0].URL.RawQuery; q != "" {
		t.Errorf("the caller's own list sent ?%s", q)
	}
	if q := rec.requests[1].URL.RawQuery; q != "include_org=true" {
		t.Errorf("the organization's list sent ?%s, want include_org=true", q)
	}
}
