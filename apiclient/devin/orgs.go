package devin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"devin-chatops/apiclient"
)

// Organization is one organization of the enterprise.
type Organization struct {
	ID                 string
	Name               string
	MaxCycleACULimit   *int // per billing cycle; nil means no limit
	MaxSessionACULimit *int
	MemberCount        int
	// MemberCountUnknown is true when the API gives no member count (v3): MemberCount
	// is then 0 without meaning it.
	MemberCountUnknown bool
	CreatedAt          *time.Time
}

// orgJSON accepts the schema's OrganizationResponse (org_id, org_name) and the
// examples' shape (id, name, acu_limit).
type orgJSON struct {
	OrgID          string   `json:"org_id"`
	ID             string   `json:"id"`
	OrgName        string   `json:"org_name"`
	Name           string   `json:"name"`
	DisplayName    string   `json:"display_name"`
	MaxCycle       *flexInt `json:"max_cycle_acu_limit"`
	ACULimit       *flexInt `json:"acu_limit"`
	MaxACULimit    *flexInt `json:"max_acu_limit"`
	MaxSession     *flexInt `json:"max_session_acu_limit"`
	UserCount      flexInt  `json:"org_user_count"`
	AdminCount     flexInt  `json:"org_admin_count"`
	OrgMemberCount flexInt  `json:"org_member_count"`
	MemberCount    flexInt  `json:"member_count"`
	CreatedAt      flexTime `json:"created_at"`
}

func intPtr(fs ...*flexInt) *int {
	for _, f := range fs {
		if f != nil && f.set {
			return f.ptr()
		}
	}
	return nil
}

func (o *orgJSON) organization() Organization {
	// org_user_count should be admins + members; take the largest figure in case a
	// server fills only some of them.
	count := max(o.UserCount.v, o.AdminCount.v+o.OrgMemberCount.v, o.MemberCount.v)
	return Organization{
		ID:                 firstNonEmpty(o.OrgID, o.ID),
		Name:               firstNonEmpty(o.OrgName, o.Name, o.DisplayName),
		MaxCycleACULimit:   intPtr(o.MaxCycle, o.ACULimit, o.MaxACULimit),
		MaxSessionACULimit: intPtr(o.MaxSession),
		MemberCount:        count,
		CreatedAt:          o.CreatedAt.ptr(),
	}
}

type orgsPage struct {
	pageMeta
	Items         []orgJSON `json:"items"`
	Organizations []orgJSON `json:"organizations"`
}

// ListOrganizations returns every organization, reading all pages.
func (c *Client) ListOrganizations(ctx context.Context) ([]Organization, error) {
	var all []Organization
	seen := map[string]bool{}
	err := c.paginate(ctx, "/organizations", nil, 0, func(body []byte) (int, pageMeta, error) {
		var p orgsPage
		if err := json.Unmarshal(body, &p); err != nil {
			return 0, pageMeta{}, err
		}
		items := p.Items
		if items == nil {
			items = p.Organizations
		}
		for i := range items {
			o := items[i].organization()
			if o.ID != "" && seen[o.ID] {
				continue
			}
			seen[o.ID] = true
			all = append(all, o)
		}
		return len(items), p.pageMeta, nil
	})
	if err != nil {
		return nil, err
	}
	return all, nil
}

// GetOrganization returns one organization by ID.
func (c *Client) GetOrganization(ctx context.Context, orgID string) (*Organization, error) {
	if orgID == "" {
		return nil, usageError("GetOrganization needs an organization ID")
	}
	var o orgJSON
	if err := c.call(ctx, http.MethodGet, "/organizations/"+url.PathEscape(orgID), nil, nil, &o); err != nil {
		return nil, err
	}
	org := o.organization()
	return &org, nil
}

// FindOrganization finds an organization by exact ID or case-insensitive name. It
// returns an apiclient.KindNotFound error when none matches, and a KindValidation
// error when the name is shared by several organizations (the ID then disambiguates).
func (c *Client) FindOrganization(ctx context.Context, idOrName string) (*Organization, error) {
	want := strings.TrimSpace(idOrName)
	if want == "" {
		return nil, usageError("FindOrganization needs an ID or a name")
	}
	orgs, err := c.ListOrganizations(ctx)
	if err != nil {
		return nil, err
	}
	return MatchOrganization(orgs, want)
}

// SameOrgName compares organization names as people read them: case and runs of
// spaces aside.
func SameOrgName(a, b string) bool {
	return strings.EqualFold(strings.Join(strings.Fields(a), " "), strings.Join(strings.Fields(b), " "))
}

// MatchOrganization is FindOrganization over a list already read (as ListOrganizations
// returns it), for callers that keep one list for several look-ups. The organization
// it returns points into orgs.
func MatchOrganization(orgs []Organization, idOrName string) (*Organization, error) {
	want := strings.TrimSpace(idOrName)
	if want == "" {
		return nil, usageError("FindOrganization needs an ID or a name")
	}
	for i := range orgs {
		if orgs[i].ID == want {
			return &orgs[i], nil
		}
	}
	var matches []*Organization
	for i := range orgs {
		if SameOrgName(orgs[i].Name, want) {
			matches = append(matches, &orgs[i])
		}
	}
	switch len(matches) {
	case 0:
		return nil, notFound("no organization has the ID or name %q", want)
	case 1:
		return matches[0], nil
	default:
		ids := make([]string, len(matches))
		for i, m := range matches {
			ids[i] = m.ID
		}
		return nil, &apiclient.Error{API: APIName, Kind: apiclient.KindValidation,
			Message: fmt.Sprintf("%d organizations are named %q (%s); use the organization ID", len(matches), want, strings.Join(ids, ", "))}
	}
}

// CreateOrganizationRequest creates an organization.
type CreateOrganizationRequest struct {
	DisplayName string
	ACULimit    *int // per billing cycle; nil for no limit
}

// CreateOrganization creates an organization. Like every POST it is not retried on
// a server error, since the organization may have been created.
func (c *Client) CreateOrganization(ctx context.Context, req CreateOrganizationRequest) (*Organization, error) {
	name := strings.TrimSpace(req.DisplayName)
	if name == "" {
		return nil, usageError("CreateOrganization needs a display name")
	}
	// add_creator_as_member defaults to true: it would make the API key's owner a member
	// of every organization created from chat, an access change no card mentions.
	body := struct {
		DisplayName        string `json:"display_name"`
		ACULimit           *int   `json:"acu_limit,omitempty"`
		AddCreatorAsMember bool   `json:"add_creator_as_member"`
	}{name, req.ACULimit, false}
	const path = "/organizations"
	resp, err := c.do(ctx, http.MethodPost, path, nil, body)
	if err != nil {
		return nil, err
	}
	var o orgJSON
	if err := json.Unmarshal(resp.Body, &o); err != nil {
		return nil, c.decodeError(http.MethodPost, path, resp.Status, err)
	}
	org := o.organization()
	if org.ID == "" {
		return nil, c.decodeError(http.MethodPost, path, resp.Status, errors.New("the response has no org_id"))
	}
	if org.Name == "" {
		org.Name = name
	}
	if org.MaxCycleACULimit == nil && req.ACULimit != nil {
		v := *req.ACULimit
		org.MaxCycleACULimit = &v
	}
	return &org, nil
}

// AddOrgMembers adds users to an organization (POST
// /organizations/{org_id}/members), in batches of 100. orgRole is an org role ID
// such as "org_admin"; "" leaves the API default (org_member). Users already in the
// organization get orgRole.
func (c *Client) AddOrgMembers(ctx context.Context, orgID string, userIDs []string, orgRole string) error {
	if orgID == "" {
		return usageError("AddOrgMembers needs an organization ID")
	}
	path := "/organizations/" + url.PathEscape(orgID) + "/members"
	for _, batch := range chunks(userIDs, maxBatch) {
		body := struct {
			OrgIDs  []string `json:"org_ids"`
			UserIDs []string `json:"user_ids"`
			OrgRole *string  `json:"org_role,omitempty"`
		}{OrgIDs: []string{orgID}, UserIDs: batch}
		if orgRole != "" {
			body.OrgRole = &orgRole
		}
		if err := c.call(ctx, http.MethodPost, path, nil, body, nil); err != nil {
			return err
		}
	}
	return nil
}

// GitPermission grants an organization access to repositories of a git connection.
// Set RepoPaths (or RepoURL) for repositories, GroupPrefixes (or GroupPrefixURL /
// PrefixPath) for whole groups.
type GitPermission struct {
	ConnectionID   string   `json:"connection_id"`
	RepoPaths      []string `json:"repo_path,omitempty"`
	RepoURL        string   `json:"repo_url,omitempty"`
	GroupPrefixes  []string `json:"group_prefix,omitempty"`
	GroupPrefixURL string   `json:"group_prefix_url,omitempty"`
	PrefixPath     string   `json:"prefix_path,omitempty"`
}

// GitPermissionsResult is the API's answer to AddGitPermissions.
type GitPermissionsResult struct {
	PermissionIDs []string
	// PermissionNames maps permission IDs to a display name, when the API gives one.
	PermissionNames map[string]string
}

// AddGitPermissions grants git permissions to an organization in one request.
func (c *Client) AddGitPermissions(ctx context.Context, orgID string, perms []GitPermission) (*GitPermissionsResult, error) {
	if orgID == "" {
		return nil, usageError("AddGitPermissions needs an organization ID")
	}
	if len(perms) == 0 {
		return nil, usageError("AddGitPermissions needs at least one permission")
	}
	for i, p := range perms {
		if p.ConnectionID == "" {
			return nil, usageError("git permission %d has no connection ID", i+1)
		}
	}
	var resp struct {
		PermissionIDs   []string                   `json:"permission_ids"`
		PermissionNames map[string]json.RawMessage `json:"permission_names"`
	}
	path := "/organizations/" + url.PathEscape(orgID) + "/git/permissions"
	if err := c.call(ctx, http.MethodPost, path, nil, perms, &resp); err != nil {
		return nil, err
	}
	out := &GitPermissionsResult{PermissionIDs: resp.PermissionIDs, PermissionNames: map[string]string{}}
	for id, raw := range resp.PermissionNames {
		var s string
		if json.Unmarshal(raw, &s) != nil {
			s = string(raw)
		}
		out.PermissionNames[id] = s
	}
	return out, nil
}
