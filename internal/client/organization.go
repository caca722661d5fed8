package client

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"strconv"
	"strings"
)

// organizationInfoPath is the organization's info route [DOC]: name,
// members and balance. The field names are [UNK], so the answer is read
// tolerantly (DecodeOrganizationInfo).
const organizationInfoPath = "/user/organization/info"

// Organization is what GET /user/organization/info tells about the
// caller's organization. Every field is nil when the engine does not report
// it.
type Organization struct {
	ID, Name *string
	// Balance is the organization's balance in US dollars.
	Balance *float64
	// Members are the members as the engine names them (an email, a name or
	// an id, the first of these an entry has); nil when not reported.
	Members []string
	Message *string
	// Raw is the organization object, or the whole body when the answer has
	// no nested object.
	Raw json.RawMessage
}

// GetOrganization reads the caller's organization, as a read (sent again
// through an outage, policy.go).
func (c *Client) GetOrganization(ctx context.Context) (*Organization, error) {
	resp, err := c.do(ctx, request{method: http.MethodGet, path: organizationInfoPath, kind: callRead})
	if err != nil {
		return nil, err
	}
	org, err := DecodeOrganizationInfo(resp.Body)
	if err != nil {
		return nil, &DecodeError{Method: http.MethodGet, Path: organizationInfoPath, StatusCode: resp.StatusCode, Reason: err.Error(), Snippet: snippet(resp.Body)}
	}
	return org, nil
}

// DecodeOrganizationInfo parses the body of GET /user/organization/info:
// the object under `organization_info`, `organization` or `org`, or at the
// top level, with the plausible alternative field names [INF]. The balance
// is a JSON number or text such as "$1,234.50". It fails only on a body
// that is not a JSON object.
func DecodeOrganizationInfo(body []byte) (*Organization, error) {
	info, err := decodeInfoObject(body, "organization_info", "organization", "org")
	if err != nil {
		return nil, err
	}
	f := info.fields
	return &Organization{
		ID:      firstText(f, "organization_id", "org_id", "id"),
		Name:    firstText(f, "name", "organization_name", "org_name"),
		Balance: firstAmount(f, "balance", "balance_usd", "credit_balance", "credits"),
		Members: idList(f, []string{"email", "name", "user_id", "id"}, "members", "users"),
		Message: info.message(),
		Raw:     info.raw,
	}, nil
}

// firstAmount reads the first of keys holding an amount of money: a JSON
// number, or text that is one once a leading currency sign, thousands
// separators and a trailing "USD" are removed.
func firstAmount(fields map[string]json.RawMessage, keys ...string) *float64 {
	for _, key := range keys {
		raw, ok := field(fields, key)
		if !ok {
			continue
		}
		var f float64
		if json.Unmarshal(raw, &f) == nil {
			return &f
		}
		var s string
		if json.Unmarshal(raw, &s) != nil {
			continue
		}
		s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "USD"))
		s = strings.ReplaceAll(strings.TrimPrefix(s, "$"), ",", "")
		if f, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err == nil && !math.IsNaN(f) && !math.IsInf(f, 0) {
			return &f
		}
	}
	return nil
}
