package devin

import (
	"context"
	"net/http"
	"net/url"
)

// UpdateOrganizationLimit sets an organization's ACU limit per billing cycle (PATCH
// /organizations/{org_id} with max_acu_limit), or removes it when limit is nil: the
// API takes an explicit null for "no limit", so the field is always sent. The name is
// left alone (display_name is not sent). A negative limit is refused before any call.
func (c *Client) UpdateOrganizationLimit(ctx context.Context, orgID string, limit *int) error {
	if orgID == "" {
		return usageError("UpdateOrganizationLimit needs an organization ID")
	}
	if limit != nil && *limit < 0 {
		return usageError("UpdateOrganizationLimit needs a limit of 0 or more, not %d", *limit)
	}
	body := struct {
		MaxACULimit *int `json:"max_acu_limit"`
	}{limit}
	return c.call(ctx, http.MethodPatch, "/organizations/"+url.PathEscape(orgID), nil, body, nil)
}
