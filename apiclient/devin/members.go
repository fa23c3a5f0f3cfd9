package devin

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Member is one enterprise member.
type Member struct {
	UserID    string
	Email     string
	Name      string
	Role      string // enterprise role ID, e.g. "account_admin"
	CreatedAt time.Time
	LastLogin *time.Time
	// LastLoginKnown says the API reports logins (v2 does, v3 does not): only then
	// does a nil LastLogin mean the member never logged in.
	LastLoginKnown  bool
	LoginCount      *int
	SessionsCreated int
}

// memberJSON accepts the schema's EnterpriseUserResponse and the examples' shape
// (which says "role" for "enterprise_role").
type memberJSON struct {
	UserID          string   `json:"user_id"`
	ID              string   `json:"id"`
	Email           string   `json:"email"`
	Name            string   `json:"name"`
	EnterpriseRole  string   `json:"enterprise_role"`
	Role            string   `json:"role"`
	CreatedAt       flexTime `json:"created_at"`
	LastLogin       flexTime `json:"last_login"`
	LoginCount      *flexInt `json:"login_count"`
	SessionsCreated flexInt  `json:"sessions_created_count"`
	SessionsAlt     flexInt  `json:"sessions_created"`
}

func (m *memberJSON) member() Member {
	out := Member{
		UserID:          firstNonEmpty(m.UserID, m.ID),
		Email:           m.Email,
		Name:            m.Name,
		Role:            firstNonEmpty(m.EnterpriseRole, m.Role),
		CreatedAt:       m.CreatedAt.t,
		LastLogin:       m.LastLogin.ptr(),
		LastLoginKnown:  true,
		SessionsCreated: m.SessionsCreated.v,
	}
	if !m.SessionsCreated.set {
		out.SessionsCreated = m.SessionsAlt.v
	}
	if m.LoginCount != nil {
		out.LoginCount = m.LoginCount.ptr()
	}
	return out
}

// membersPage is one page of GET /members: "items" in the schema, "members" in the
// examples.
type membersPage struct {
	pageMeta
	Items   []memberJSON `json:"items"`
	Members []memberJSON `json:"members"`
}

// decodeMembersPage appends the page's members to dst.
func decodeMembersPage(body []byte, dst []Member) ([]Member, int, pageMeta, error) {
	var p membersPage
	if err := json.Unmarshal(body, &p); err != nil {
		return dst, 0, pageMeta{}, err
	}
	items := p.Items
	if items == nil {
		items = p.Members
	}
	for i := range items {
		dst = append(dst, items[i].member())
	}
	return dst, len(items), p.pageMeta, nil
}

// ListMembersOptions filters ListMembers.
type ListMembersOptions struct {
	// Email, when set, asks the API for the member with this exact address.
	Email string
}

// ListMembers returns every enterprise member, reading all pages. A member seen on
// two pages (offset paging while someone joins) is returned once.
func (c *Client) ListMembers(ctx context.Context, opts ListMembersOptions) ([]Member, error) {
	q := url.Values{}
	if e := strings.TrimSpace(opts.Email); e != "" {
		q.Set("email", e)
	}
	var all []Member
	err := c.paginate(ctx, "/members", q, 0, func(body []byte) (int, pageMeta, error) {
		var n int
		var meta pageMeta
		var err error
		all, n, meta, err = decodeMembersPage(body, all)
		return n, meta, err
	})
	if err != nil {
		return nil, err
	}
	return dedupeMembers(all), nil
}

func dedupeMembers(ms []Member) []Member {
	seen := make(map[string]bool, len(ms))
	out := ms[:0]
	for _, m := range ms {
		key := m.UserID
		if key == "" {
			key = "email:" + strings.ToLower(m.Email)
		}
		if seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, m)
	}
	return out
}

// GetMember returns one member by user ID.
func (c *Client) GetMember(ctx context.Context, userID string) (*Member, error) {
	if userID == "" {
		return nil, usageError("GetMember needs a user ID")
	}
	var m memberJSON
	if err := c.call(ctx, http.MethodGet, "/members/"+url.PathEscape(userID), nil, nil, &m); err != nil {
		return nil, err
	}
	out := m.member()
	return &out, nil
}

// RemoveMember removes a member from the enterprise.
func (c *Client) RemoveMember(ctx context.Context, userID string) error {
	if userID == "" {
		return usageError("RemoveMember needs a user ID")
	}
	return c.call(ctx, http.MethodDelete, "/members/"+url.PathEscape(userID), nil, nil, nil)
}

// Role is an enterprise or organization role.
type Role struct {
	ID   string // e.g. "account_admin"
	Name string // e.g. "Admin"
	Type string // "account" or "org"
}

type roleJSON struct {
	RoleID   string `json:"role_id"`
	ID       string `json:"id"`
	RoleName string `json:"role_name"`
	Name     string `json:"name"`
	RoleType string `json:"role_type"`
	Type     string `json:"type"`
}

// ListRoles returns the roles defined in the enterprise (served as a bare array, or
// wrapped under "items").
func (c *Client) ListRoles(ctx context.Context) ([]Role, error) {
	resp, err := c.do(ctx, http.MethodGet, "/roles", nil, nil)
	if err != nil {
		return nil, err
	}
	raw, err := decodeList[roleJSON](resp.Body, "items", "roles")
	if err != nil {
		return nil, c.decodeError(http.MethodGet, "/roles", resp.Status, err)
	}
	roles := make([]Role, 0, len(raw))
	for _, r := range raw {
		roles = append(roles, Role{
			ID:   firstNonEmpty(r.RoleID, r.ID),
			Name: firstNonEmpty(r.RoleName, r.Name),
			Type: firstNonEmpty(r.RoleType, r.Type),
		})
	}
	return roles, nil
}

// AssignRole gives userIDs the account-level role roleID (PATCH /members/roles),
// in batches of 100 users.
func (c *Client) AssignRole(ctx context.Context, userIDs []string, roleID string) error {
	if roleID == "" {
		return usageError("AssignRole needs a role ID")
	}
	for _, batch := range chunks(userIDs, maxBatch) {
		body := struct {
			UserIDs []string `json:"user_ids"`
			RoleID  string   `json:"role_id"`
		}{batch, roleID}
		if err := c.call(ctx, http.MethodPatch, "/members/roles", nil, body, nil); err != nil {
			return err
		}
	}
	return nil
}
