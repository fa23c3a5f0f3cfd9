package devin

import (
	"context"
	"fmt"
	"strings"
)

// API versions Open speaks.
const (
	V2 = "v2"
	V3 = "v3"
)

// API is every call the bot makes to Devin, whichever version serves it: *Client
// (v2) and *ClientV3 (v3) both implement it with the same domain types, so commands,
// the executor and reports never know which one runs.
type API interface {
	ListMembers(ctx context.Context, opts ListMembersOptions) ([]Member, error)
	GetMember(ctx context.Context, userID string) (*Member, error)
	Invite(ctx context.Context, req InviteRequest) (*InviteResult, error)
	AssignRole(ctx context.Context, userIDs []string, roleID string) error
	RemoveMember(ctx context.Context, userID string) error
	ListRoles(ctx context.Context) ([]Role, error)

	ListOrganizations(ctx context.Context) ([]Organization, error)
	GetOrganization(ctx context.Context, orgID string) (*Organization, error)
	FindOrganization(ctx context.Context, idOrName string) (*Organization, error)
	CreateOrganization(ctx context.Context, req CreateOrganizationRequest) (*Organization, error)
	UpdateOrganizationLimit(ctx context.Context, orgID string, limit *int) error
	ListOrgMembers(ctx context.Context, orgID string) ([]OrgMember, error)
	AddOrgMembers(ctx context.Context, orgID string, userIDs []string, orgRole string) error

	ListCycles(ctx context.Context) ([]Cycle, error)
	DailyConsumption(ctx context.Context, q ConsumptionQuery) (*Consumption, error)
	UserDailyConsumption(ctx context.Context, userID string, q ConsumptionQuery) (*Consumption, error)

	AuditLogs(ctx context.Context, q AuditLogsQuery) ([]AuditLogEntry, error)
	SessionInsights(ctx context.Context, q SessionInsightsQuery) ([]SessionInsight, error)

	ListGitPermissions(ctx context.Context, orgID string) ([]GrantedGitPermission, error)
	AddGitPermissions(ctx context.Context, orgID string, perms []GitPermission) (*GitPermissionsResult, error)

	// Version is "v2" or "v3".
	Version() string
	// BaseURL is the enterprise root the client calls, without credentials.
	BaseURL() string
	// String names the client and its base URL, never the key.
	String() string
}

var (
	_ API = (*Client)(nil)
	_ API = (*ClientV3)(nil)
)

// Version is "v2".
func (c *Client) Version() string { return V2 }

// Open returns the client of the API version named ("v2" or "v3", any case; config
// resolves it from DEVIN_API_VERSION or the key's prefix, and "" applies that prefix
// rule here). Any other version is an error that names it, never the key.
func Open(version, baseURL, apiKey string, opts ...Option) (API, error) {
	v := strings.ToLower(strings.TrimSpace(version))
	if v == "" {
		// Config resolves the version; a caller that did not gets the same rule.
		v = VersionForKey(apiKey)
	}
	switch v {
	case V2:
		return New(baseURL, apiKey, opts...)
	case V3:
		return NewV3(baseURL, apiKey, opts...)
	default:
		return nil, fmt.Errorf("devin: unknown API version %q (want %s or %s)", version, V2, V3)
	}
}

// VersionForKey is the version a key speaks when none is configured: a service
// user's credential (cog_…) is v3's, any other key v2's.
func VersionForKey(apiKey string) string {
	if strings.HasPrefix(strings.TrimSpace(apiKey), "cog_") {
		return V3
	}
	return V2
}
