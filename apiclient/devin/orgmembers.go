package devin

import (
	"context"
	"encoding/json"
	"net/url"
)

// OrgMember is one member of an organization.
type OrgMember struct {
	UserID  string
	Email   string
	Name    string
	OrgRole string // org role ID, e.g. "org_admin" or "org_member"
}

// orgMemberJSON accepts the schema's UserOrgResponse and the shorter shape of the
// examples ("id", "role").
type orgMemberJSON struct {
	UserID  string `json:"user_id"`
	ID      string `json:"id"`
	Email   string `json:"email"`
	Name    string `json:"name"`
	OrgRole string `json:"org_role"`
	Role    string `json:"role"`
}

type orgMembersPage struct {
	pageMeta
	Items   []orgMemberJSON `json:"items"`
	Members []orgMemberJSON `json:"members"`
}

// ListOrgMembers returns every member of an organization (GET
// /organizations/{org_id}/members), reading all pages. A member seen on two pages is
// returned once.
func (c *Client) ListOrgMembers(ctx context.Context, orgID string) ([]OrgMember, error) {
	if orgID == "" {
		return nil, usageError("ListOrgMembers needs an organization ID")
	}
	var all []OrgMember
	seen := map[string]bool{}
	err := c.paginate(ctx, "/organizations/"+url.PathEscape(orgID)+"/members", nil, 0, func(body []byte) (int, pageMeta, error) {
		var p orgMembersPage
		if err := json.Unmarshal(body, &p); err != nil {
			return 0, pageMeta{}, err
		}
		items := p.Items
		if items == nil {
			items = p.Members
		}
		for _, m := range items {
			om := OrgMember{UserID: firstNonEmpty(m.UserID, m.ID), Email: m.Email, Name: m.Name, OrgRole: firstNonEmpty(m.OrgRole, m.Role)}
			if om.UserID != "" && seen[om.UserID] {
				continue
			}
			seen[om.UserID] = true
			all = append(all, om)
		}
		return len(items), p.pageMeta, nil
	})
	if err != nil {
		return nil, err
	}
	return all, nil
}
