package devinsandbox

// Op names an operation of the Devin API independently of the version that serves
// it, so a test can count, delay or fail "the members listing" whether the bot
// speaks v2 (GET /v2/enterprise/members) or v3 (GET /v3/enterprise/members/users).
type Op string

// The operations the fake serves. Some exist in one version only: v2 changes an
// organization's limit with OpUpdateOrg, v3 with OpUpdateOrg or OpSetOrgLimit.
const (
	OpListMembers        Op = "members.list"
	OpGetMember          Op = "members.get"
	OpInvite             Op = "members.invite"
	OpRemoveMember       Op = "members.remove"
	OpSetMemberRole      Op = "members.role"
	OpMemberOrgs         Op = "members.orgs" // v2 only
	OpListRoles          Op = "roles.list"
	OpListOrgs           Op = "orgs.list"
	OpCreateOrg          Op = "orgs.create"
	OpGetOrg             Op = "orgs.get"
	OpUpdateOrg          Op = "orgs.update"
	OpDeleteOrg          Op = "orgs.delete"
	OpListOrgMembers     Op = "orgs.members.list"
	OpAddOrgMember       Op = "orgs.members.add" // v2 adds many at once, v3 one a call
	OpRemoveOrgMember    Op = "orgs.members.remove"
	OpSetOrgMemberRole   Op = "orgs.members.role" // v3 only; v2 re-adds with the new role
	OpListACULimits      Op = "limits.list"       // v3 only
	OpSetOrgLimit        Op = "limits.set"        // v3 only
	OpClearOrgLimit      Op = "limits.clear"      // v3 only
	OpListGitConnections Op = "git.connections.list"
	OpListGitPerms       Op = "git.permissions.list"
	OpAddGitPerms        Op = "git.permissions.add"
	OpCycles             Op = "consumption.cycles"
	OpDaily              Op = "consumption.daily"
	OpDailyOrg           Op = "consumption.daily.org" // v3 only
	OpDailyUser          Op = "consumption.daily.user"
	OpAuditLogs          Op = "audit.list"
	OpSessions           Op = "sessions.list"
	OpOrgSessions        Op = "sessions.org.list" // v3 only
	OpSessionInsights    Op = "sessions.insights.list"
	OpGetSession         Op = "sessions.get"          // v3 only
	OpGetSessionInsights Op = "sessions.insights.get" // v3 only
)

// Permission is the v3 service-user permission the operation needs, which a 403
// names.
func (op Op) Permission() string {
	switch op {
	case OpListMembers, OpGetMember, OpInvite, OpRemoveMember, OpSetMemberRole, OpListRoles,
		OpListOrgMembers, OpAddOrgMember, OpRemoveOrgMember, OpSetOrgMemberRole:
		return "ManageAccountMembership"
	case OpListOrgs, OpCreateOrg, OpGetOrg, OpUpdateOrg, OpDeleteOrg:
		return "ManageOrganizations"
	case OpListACULimits, OpSetOrgLimit, OpClearOrgLimit, OpCycles, OpDaily, OpDailyOrg, OpDailyUser:
		return "ManageBilling"
	case OpListGitConnections, OpListGitPerms, OpAddGitPerms:
		return "ManageGitIntegrations"
	case OpAuditLogs:
		return "ManageEnterpriseSettings"
	case OpSessions, OpSessionInsights, OpGetSession, OpGetSessionInsights:
		return "ViewAccountSessions"
	case OpOrgSessions:
		return "ViewOrgSessions"
	}
	return ""
}
