package commands

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/apiclient"
	"devin-chatops/apiclient/devin"
	"devin-chatops/approvals"
)

const permissionAddUsage = "/devin permission add ORG REPO… [--reason TEXT]"

func (f *fakeDevin) ListGitPermissions(ctx context.Context, orgID string) ([]devin.GrantedGitPermission, error) {
	if err := f.wait(ctx); err != nil {
		return nil, err
	}
	if f.gitPermsErr != nil {
		return nil, f.gitPermsErr
	}
	return append([]devin.GrantedGitPermission(nil), f.gitPerms[orgID]...), nil
}

func TestParsePermissionAddAccepts(t *testing.T) {
	assertParses(t, []parseCase{
		{"one repository", "permission add Platform acme/api",
			PermissionAdd{Org: "Platform", Repos: []string{"acme/api"}}},
		{"several, commas too, repeats dropped ignoring case, case kept", "permission add org_1 acme/api,Acme/Web acme/API, acme/web",
			PermissionAdd{Org: "org_1", Repos: []string{"acme/api", "Acme/Web"}}},
		{"a GitLab path", "permission add Platform group/sub/team/repo",
			PermissionAdd{Org: "Platform", Repos: []string{"group/sub/team/repo"}}},
		{"dots, dashes and underscores", "permission add Platform acme/.github acme/my_repo.js acme-inc/a-b",
			PermissionAdd{Org: "Platform", Repos: []string{"acme/.github", "acme/my_repo.js", "acme-inc/a-b"}}},
		{"a quoted organization name", `permission add "Acme Research" acme/api`,
			PermissionAdd{Org: "Acme Research", Repos: []string{"acme/api"}}},
		{"a web address counts as its path", "permission add Platform https://github.com/acme/api.git https://gitlab.example.com/g/sub/repo/",
			PermissionAdd{Org: "Platform", Repos: []string{"acme/api", "g/sub/repo"}}},
		{"Slack's link form, labelled as typed", "permission add Platform <https://github.com/acme/api|github.com/acme/api> <https://github.com/acme/web>",
			PermissionAdd{Org: "Platform", Repos: []string{"acme/api", "acme/web"}}},
		{"pages inside a repository name the repository", "permission add Platform https://github.com/acme/api/tree/main https://gitlab.example.com/g/r/-/tree/main acme/web.git",
			PermissionAdd{Org: "Platform", Repos: []string{"acme/api", "g/r", "acme/web"}}},
		{"subcommand in capitals, with a reason", `PERMISSION ADD Platform acme/api --reason "billing service"`,
			PermissionAdd{Org: "Platform", Repos: []string{"acme/api"}, Reason: "billing service"}},
	})
}

func TestParsePermissionAddRefuses(t *testing.T) {
	many := make([]string, 201)
	for i := range many {
		many[i] = fmt.Sprintf("acme/repo-%03d", i)
	}
	assertRefuses(t, []refusalCase{
		{name: "nothing", text: "permission add", wantMsg: []string{"Which organization?"}, wantUsage: permissionAddUsage},
		{name: "no subcommand", text: "permission", wantMsg: []string{"`/devin permission` needs one of `add`"}},
		{name: "no repository", text: "permission add Platform", wantMsg: []string{"Give at least one repository."}, wantUsage: permissionAddUsage},
		{name: "an unquoted organization name with a space", text: "permission add Acme Research acme/api",
			wantMsg: []string{"`Research` is not a repository path", "put the whole name in quotes"}},
		{name: "a repository without an owner", text: "permission add Platform acme/api api,",
			wantMsg: []string{"`api` is not a valid repository (a repository is owner/name, like acme/api)."}},
		{name: "dot-dot", text: "permission add Platform acme/../secrets", wantMsg: []string{"no .. in a path"}},
		{name: "a space inside quotes", text: `permission add Platform "acme/my repo"`, wantMsg: []string{"only letters, digits"}},
		{name: "an empty segment", text: "permission add Platform acme//api", wantMsg: []string{"an empty part between slashes"}},
		{name: "a dot segment", text: "permission add Platform acme/.", wantMsg: []string{"no . as a part of a path"}},
		{name: "a GitHub address that is not owner/name", text: "permission add Platform https://github.com/acme", wantMsg: []string{"https://github.com/OWNER/NAME"}},
		{name: "a host without its scheme", text: "permission add Platform github.com/acme/api", wantMsg: []string{"starts with a host name"}},
		{name: "an ssh address", text: "permission add Platform ssh://github.com/acme/api", wantMsg: []string{"not an http(s) address"}},
		{name: "an address with a query", text: "permission add Platform https://github.com/acme/api?tab=readme", wantMsg: []string{"has no ? or #"}},
		{name: "credentials in a URL are not repeated", text: "permission add Platform https://bot:ghp_SECRET123@github.com/acme/api",
			wantMsg: []string{"may carry a user name or a token", "revoke"}, notInMsg: []string{"ghp_SECRET123", "bot:"}},
		{name: "credentials in a Slack link are not repeated", text: "permission add Platform acme/web,<https://x:tok_SECRET@github.com/acme/api>",
			wantMsg: []string{"it is not repeated here"}, notInMsg: []string{"tok_SECRET"}},
		{name: "a forged link label", text: "permission add Platform <https://github.com/evil/api|github.com/acme/api>",
			wantMsg: []string{"its link text is a different address"}},
		{name: "a Slack channel as the organization", text: "permission add <#C1|eng> acme/api", wantMsg: []string{"is a Slack channel, not an organization"}},
		{name: "an organization name too long", text: "permission add " + strings.Repeat("o", 101) + " acme/api", wantMsg: []string{"101 characters long"}},
		{name: "a path too deep", text: "permission add Platform " + strings.Repeat("g/", 21) + "repo", wantMsg: []string{"more than 21 levels deep"}},
		{name: "too many repositories", text: "permission add Platform " + strings.Join(many, " "), wantMsg: []string{"201 given, the limit is 200"}},
	})
}

// permEnv is a change environment with the git connection configured.
func permEnv() *env {
	e := changeEnv()
	e.deps.GitConnectionID = "conn-1"
	e.devin.gitPerms = map[string][]devin.GrantedGitPermission{
		"org_1": {
			{ID: "p1", RepoPaths: []string{"Acme/API"}},
			{ID: "p2", ConnectionID: "conn-other", RepoPaths: []string{"acme/web"}},
			{ID: "p3", GroupPrefixes: []string{"acme/ops"}},
		},
	}
	return e
}

func TestPermissionAdd(t *testing.T) {
	t.Run("submitted with the plan, and the requester is told what will happen", func(t *testing.T) {
		e := permEnv()
		r := e.run(t, `permission add platform acme/api acme/web acme/ops/tool --reason "billing <!channel>"`)
		require.Len(t, e.approvals.submitted, 1)
		assert.Equal(t, approvals.Submission{
			Requester: "U1", OriginChannel: "C1", Action: approvals.ActionPermissionAdd,
			Org: "org_1", Items: []string{"acme/api", "acme/web", "acme/ops/tool"}, Reason: "billing @channel",
			Params: map[string]string{"org_name": "Platform", "connection_id": "conn-1", "already": "acme/api"},
			Plan: []string{
				"Platform (org_1) holds 3 git permissions now",
				"acme/api: already granted, no change",
				"2 of 3 repositories to grant on the git connection conn-1",
			},
		}, e.approvals.submitted[0], "a permission on another connection does not count, nor does a group prefix")
		assertInOrder(t, blocksText(r.Message), []string{
			"Request `R7K3QX0` is waiting for approval in <#CAPPROVAL>.",
			"It will give the Devin organization *Platform* `org_1` 3 repositories on the git connection `conn-1` (1 already granted: no change):",
			"acme/api, acme/web, acme/ops/tool",
			"*Reason:* billing @\u2060channel",
		})
		assert.Equal(t, outcomeOK, e.audit.last(t).Outcome)
	})
	t.Run("everything already granted is refused", func(t *testing.T) {
		e := permEnv()
		r := e.run(t, "permission add org_1 acme/api")
		assert.Equal(t, "Nothing to grant, so nothing was submitted: the organization *Platform* `org_1` already has that repository on the git connection `conn-1`.", r.Text)
		assert.Empty(t, e.approvals.submitted)
		assert.Equal(t, outcomeRefused, e.audit.last(t).Outcome)
	})
	t.Run("an unknown organization is refused with the closest names", func(t *testing.T) {
		e := permEnv()
		r := e.run(t, "permission add platfrom acme/api")
		assert.Equal(t, "There is no Devin organization with the ID or name `platfrom`, so nothing was submitted. Did you mean *Platform*? `/devin orgs` lists them.", r.Text)
		assert.Empty(t, e.approvals.submitted)
		assert.Equal(t, outcomeRefused, e.audit.last(t).Outcome)
	})
	t.Run("an unknown organization with nothing close", func(t *testing.T) {
		e := permEnv()
		r := e.run(t, "permission add <!here>x acme/api")
		assert.NotContains(t, r.Text, "Did you mean")
		assert.NotContains(t, r.Text, "<!here>")
		assert.Empty(t, e.approvals.submitted)
	})
	t.Run("an ambiguous name is refused with the IDs", func(t *testing.T) {
		e := permEnv()
		e.devin.orgs = append(e.devin.orgs, devin.Organization{ID: "org_3", Name: "platform"})
		r := e.run(t, "permission add PLATFORM acme/api")
		assert.Equal(t, "Several organizations are called *PLATFORM*, so nothing was submitted: use the ID of the one you mean (`org_1`, `org_3`).", r.Text)
		assert.Empty(t, e.approvals.submitted)
	})
	t.Run("the permissions cannot be read: nothing is submitted", func(t *testing.T) {
		e := permEnv()
		e.devin.gitPermsErr = apiErr(devin.APIName, apiclient.KindForbidden, 403)
		r := e.run(t, "permission add org_1 acme/new")
		assert.Contains(t, r.Text, "not an Enterprise Admin key")
		assert.Empty(t, e.approvals.submitted)
		assert.Equal(t, outcomeError, e.audit.last(t).Outcome)
	})
	t.Run("without a git connection the command is refused, naming the setting", func(t *testing.T) {
		e := permEnv()
		e.deps.GitConnectionID = ""
		r := e.run(t, "permission add org_1 acme/new")
		assert.Equal(t, msgGitConnectionMissing, r.Text)
		assert.Contains(t, r.Text, "DEVIN_GIT_CONNECTION_ID")
		assert.Empty(t, e.approvals.submitted)
		help := e.run(t, "help")
		assert.NotContains(t, help.Text, "permission add", "help offers only what can run")
	})
	t.Run("200 long paths, half granted already: the reply stays within Slack's limits", func(t *testing.T) {
		e := permEnv()
		repos := make([]string, maxRepos)
		for i := range repos {
			repos[i] = fmt.Sprintf("group/%s/repo-%03d", strings.Repeat("s", 230), i)
			if i%2 == 0 {
				e.devin.gitPerms["org_1"] = append(e.devin.gitPerms["org_1"], devin.GrantedGitPermission{RepoPaths: []string{repos[i]}})
			}
		}
		r := e.run(t, "permission add org_1 "+strings.Join(repos, " "))
		require.Len(t, e.approvals.submitted, 1)
		assert.Len(t, e.approvals.submitted[0].Items, maxRepos)
		assert.Len(t, e.approvals.submitted[0].Plan, 102)
		assert.Contains(t, blocksText(r.Message), "(100 already granted: no change)")
	})
	t.Run("a credential in the command line is kept out of the audit log", func(t *testing.T) {
		e := permEnv()
		e.run(t, "permission add org_1 https://bot:ghp_SECRET@github.com/acme/api --reason see")
		ev := e.audit.last(t)
		assert.Equal(t, outcomeRefused, ev.Outcome)
		assert.NotContains(t, ev.Detail, "ghp_SECRET")
		assert.Contains(t, ev.Detail, "https://[redacted]@github.com/acme/api")
	})
}
