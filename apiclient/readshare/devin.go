package readshare

import (
	"context"
	"slices"
	"time"

	"devin-chatops/apiclient/devin"
	"devin-chatops/clock"
	"devin-chatops/internal/share"
)

// DevinReader is the Devin client's read calls that Devin shares (*devin.Client).
type DevinReader interface {
	ListMembers(ctx context.Context, opts devin.ListMembersOptions) ([]devin.Member, error)
	ListOrganizations(ctx context.Context) ([]devin.Organization, error)
	FindOrganization(ctx context.Context, idOrName string) (*devin.Organization, error)
	ListOrgMembers(ctx context.Context, orgID string) ([]devin.OrgMember, error)
	ListCycles(ctx context.Context) ([]devin.Cycle, error)
	DailyConsumption(ctx context.Context, q devin.ConsumptionQuery) (*devin.Consumption, error)
	AuditLogs(ctx context.Context, q devin.AuditLogsQuery) ([]devin.AuditLogEntry, error)
	SessionInsights(ctx context.Context, q devin.SessionInsightsQuery) ([]devin.SessionInsight, error)
	ListGitPermissions(ctx context.Context, orgID string) ([]devin.GrantedGitPermission, error)
}

var (
	_ DevinReader = (*devin.Client)(nil)
	_ DevinReader = (*devin.ClientV3)(nil)
	_ DevinReader = (*Devin)(nil)
)

// Devin shares the Devin read calls. It is safe for concurrent use.
type Devin struct {
	c           DevinReader
	members     *share.Group[devin.ListMembersOptions, []devin.Member]
	orgs        *share.Group[struct{}, []devin.Organization]
	orgMembers  *share.Group[string, []devin.OrgMember]
	cycles      *share.Group[struct{}, []devin.Cycle]
	consumption *share.Group[string, *devin.Consumption]
	auditLogs   *share.Group[devin.AuditLogsQuery, []devin.AuditLogEntry]
	insights    *share.Group[string, []devin.SessionInsight]
	gitPerms    *share.Group[string, []devin.GrantedGitPermission]
}

// NewDevin shares c's reads, reusing each answer for ttl (DefaultTTL is a good value;
// 0 or less shares only the calls in flight). A nil clock is the wall clock.
func NewDevin(c DevinReader, ttl time.Duration, clk clock.Clock) *Devin {
	return &Devin{
		c:           c,
		members:     share.New[devin.ListMembersOptions](share.Options[[]devin.Member]{TTL: ttl, Clock: clk, Clone: cloneMembers}),
		orgs:        share.New[struct{}](share.Options[[]devin.Organization]{TTL: ttl, Clock: clk, Clone: cloneOrgs}),
		orgMembers:  share.New[string](share.Options[[]devin.OrgMember]{TTL: ttl, Clock: clk, Clone: slices.Clone[[]devin.OrgMember]}),
		cycles:      share.New[struct{}](share.Options[[]devin.Cycle]{TTL: ttl, Clock: clk, Clone: cloneCycles}),
		consumption: share.New[string](share.Options[*devin.Consumption]{TTL: ttl, Clock: clk, Clone: cloneConsumption}),
		auditLogs:   share.New[devin.AuditLogsQuery](share.Options[[]devin.AuditLogEntry]{TTL: ttl, Clock: clk, Clone: cloneAuditLogs}),
		insights:    share.New[string](share.Options[[]devin.SessionInsight]{TTL: ttl, Clock: clk, Clone: cloneSessionInsights}),
		gitPerms:    share.New[string](share.Options[[]devin.GrantedGitPermission]{TTL: ttl, Clock: clk, Clone: cloneGitPerms}),
	}
}

// ListMembers is devin.Client.ListMembers, shared per options.
func (d *Devin) ListMembers(ctx context.Context, opts devin.ListMembersOptions) ([]devin.Member, error) {
	return d.members.Do(ctx, opts, func(ctx context.Context) ([]devin.Member, error) {
		return d.c.ListMembers(ctx, opts)
	})
}

// ListOrganizations is devin.Client.ListOrganizations, shared.
func (d *Devin) ListOrganizations(ctx context.Context) ([]devin.Organization, error) {
	return d.orgs.Do(ctx, struct{}{}, d.c.ListOrganizations)
}

// FindOrganization is devin.Client.FindOrganization over the shared organization list,
// so looking one up shares the listing with /devin orgs and with other look-ups.
func (d *Devin) FindOrganization(ctx context.Context, idOrName string) (*devin.Organization, error) {
	orgs, err := d.ListOrganizations(ctx)
	if err != nil {
		return nil, err
	}
	return devin.MatchOrganization(orgs, idOrName)
}

// ListOrgMembers is devin.Client.ListOrgMembers, shared per organization.
func (d *Devin) ListOrgMembers(ctx context.Context, orgID string) ([]devin.OrgMember, error) {
	return d.orgMembers.Do(ctx, orgID, func(ctx context.Context) ([]devin.OrgMember, error) {
		return d.c.ListOrgMembers(ctx, orgID)
	})
}

// ListCycles is devin.Client.ListCycles, shared.
func (d *Devin) ListCycles(ctx context.Context) ([]devin.Cycle, error) {
	return d.cycles.Do(ctx, struct{}{}, d.c.ListCycles)
}

// DailyConsumption is devin.Client.DailyConsumption, shared between queries that make
// the same request (q.Key): "this cycle up to now" asked a minute apart is one request.
func (d *Devin) DailyConsumption(ctx context.Context, q devin.ConsumptionQuery) (*devin.Consumption, error) {
	return d.consumption.Do(ctx, q.Key(), func(ctx context.Context) (*devin.Consumption, error) {
		return d.c.DailyConsumption(ctx, q)
	})
}

// AuditLogs is devin.Client.AuditLogs, shared per query.
func (d *Devin) AuditLogs(ctx context.Context, q devin.AuditLogsQuery) ([]devin.AuditLogEntry, error) {
	return d.auditLogs.Do(ctx, q, func(ctx context.Context) ([]devin.AuditLogEntry, error) {
		return d.c.AuditLogs(ctx, q)
	})
}

// SessionInsights is devin.Client.SessionInsights, shared between queries that ask
// the same question (q.Key).
func (d *Devin) SessionInsights(ctx context.Context, q devin.SessionInsightsQuery) ([]devin.SessionInsight, error) {
	return d.insights.Do(ctx, q.Key(), func(ctx context.Context) ([]devin.SessionInsight, error) {
		return d.c.SessionInsights(ctx, q)
	})
}

// ListGitPermissions is devin.Client.ListGitPermissions, shared per organization.
func (d *Devin) ListGitPermissions(ctx context.Context, orgID string) ([]devin.GrantedGitPermission, error) {
	return d.gitPerms.Do(ctx, orgID, func(ctx context.Context) ([]devin.GrantedGitPermission, error) {
		return d.c.ListGitPermissions(ctx, orgID)
	})
}

// Forget drops every answer kept and detaches the calls in flight, so the next read of
// each call is fresh. Call it after changing the Devin enterprise.
func (d *Devin) Forget() {
	d.members.Forget()
	d.orgs.Forget()
	d.orgMembers.Forget()
	d.cycles.Forget()
	d.consumption.Forget()
	d.auditLogs.Forget()
	d.insights.Forget()
	d.gitPerms.Forget()
}
