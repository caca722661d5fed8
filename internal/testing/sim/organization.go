package sim

import (
	"fmt"
	"net/http"
)

// The organisation. [DOC] GET /user/organization/info answers the caller's
// organisation: its name, members and balance. [INF] the JSON shape (the
// fields at the top level: `name`, `members` as objects with `user_id` and
// `role`, `balance` a number of US dollars, and a pre-rendered `message`),
// and that each user is its own organisation, named org-<user>, with a
// balance that stays at Options.OrganizationBalance.

// handleOrganizationInfo is GET /user/organization/info.
func (e *Engine) handleOrganizationInfo(w http.ResponseWriter, _ *http.Request, c *call) {
	balance := e.opts.OrganizationBalance
	if balance == 0 {
		balance = DefaultOrganizationBalance
	}
	name := "org-" + c.user
	writeJSON(w, http.StatusOK, map[string]any{
		"name":    name,
		"members": []map[string]any{{"user_id": c.user, "role": "owner"}},
		"balance": balance,
		"message": fmt.Sprintf("Organization %s\n  Members: %s (owner)\n  Balance: $%.2f", name, c.user, balance),
	})
}
