package commands

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"

	"devin-chatops/apiclient"
	"devin-chatops/apiclient/devin"
	"devin-chatops/approvals"
	closestnames "devin-chatops/internal/closest"
	"devin-chatops/slackui"
)

// PermissionAdd grants an organization repositories on the configured git connection.
type PermissionAdd struct {
	Org    string   // the organization's name (any case) or ID, as typed
	Repos  []string // repository paths, as typed, no repeats (ignoring case), 1 to 200
	Reason string
}

func (PermissionAdd) Name() string  { return "permission add" }
func (PermissionAdd) Changes() bool { return true }

// GitPermissionLister lists an organization's git permissions (*devin.Client).
type GitPermissionLister interface {
	ListGitPermissions(ctx context.Context, orgID string) ([]devin.GrantedGitPermission, error)
}

// PermissionAPI is what permission add reads before it asks (*devin.Client).
type PermissionAPI interface {
	OrgLister
	GitPermissionLister
}

const (
	// maxRepos is how many repositories one request grants: they go in one call, and
	// the v3 API takes at most 200 permissions per call.
	maxRepos = 200
	// maxRepoLen bounds one path; GitHub's owner/name is at most 39+1+100.
	maxRepoLen = 255
	// maxRepoDepth is how deep a GitLab path may go (GitLab nests groups 20 deep).
	maxRepoDepth = 21
	// orgSuggestions is how many close names an unknown organization's refusal offers.
	orgSuggestions = 3
)

func permissionAddSpec() spec {
	return spec{
		name:    "permission add",
		args:    "ORG REPO…",
		flags:   []flagSpec{reasonFlag()},
		summary: "give a Devin organization repositories on the git connection",
		details: []string{
			"`ORG` — the organization's name (any case; quote it if it has spaces) or its ID",
			"`REPO…` — up to 200 repository paths like `acme/api`, or `group/sub/repo` on GitLab, separated by spaces or commas; a repository's web address counts as its path; repeats are dropped",
			"Repositories the organization already has are shown as no change.",
		},
		example: `/devin permission add Engineering acme/api acme/web --reason "the new billing service"`,
		changes: true,
		needs:   needsApprovals | needsDevin | needsGitConnection,
		build:   buildPermissionAdd,
		run: runs(func(ctx context.Context, env *runEnv, c call, cmd PermissionAdd) (slackui.Reply, string, error) {
			return newChanger(env).permissionAdd(ctx, env.devin, env.gitConnectionID, c, cmd)
		}),
	}
}

// buildPermissionAdd reads ORG REPO… [--reason TEXT].
func buildPermissionAdd(in *input) (Command, error) {
	if len(in.args) == 0 {
		return nil, in.errorf("Which organization? Give its name or ID, then the repositories, like `acme/api`.")
	}
	org, err := in.orgArg(in.args[0].word, "the organization")
	if err != nil {
		return nil, err
	}
	repoArgs := in.args[1:]
	// A URL with a user name or password in it may carry a token: refuse it without
	// repeating it (the audit log drops it from the command line too).
	for _, a := range repoArgs {
		for _, w := range a.split(',') {
			if s, _ := w.value(); strings.Contains(s, "@") {
				return nil, in.errorf("A repository there has an `@` in it, so it may carry a user name or a token; it is not repeated here. Give repositories by their path, like `acme/api`, and revoke that token if it was a real one.")
			}
		}
	}
	// An organization name with a space, unquoted, leaves its second word where the
	// first repository should be.
	if len(repoArgs) > 0 {
		if s, kind := repoArgs[0].value(); kind == plainText && !strings.ContainsAny(s, "/,") {
			return nil, in.errorf("%s is not a repository path (like `acme/api`). If it is part of the organization's name, put the whole name in quotes, like `/devin permission add \"Acme Research\" acme/api`.",
				quote(repoArgs[0].display()))
		}
	}
	repos, err := in.list(repoArgs, itemKind{"repository", "repositories"}, checkRepo)
	if err != nil {
		return nil, err
	}
	if len(repos) > maxRepos {
		return nil, in.errorf("Too many repositories: %d given, the limit is %d per request.", len(repos), maxRepos)
	}
	reason, err := in.reason()
	if err != nil {
		return nil, err
	}
	return PermissionAdd{Org: org, Repos: repos, Reason: reason}, nil
}

// gitHosts are the first segments a path may not start with: a host pasted without
// its scheme ("github.com/acme/api") would be granted as a path that exists nowhere.
var gitHosts = []string{"github.com", "gitlab.com", "bitbucket.org", "dev.azure.com"}

// checkRepo returns the repository's path as typed, or what is wrong with it. A path is
// owner/name (GitHub) or group/…/name (GitLab): 2 to 21 segments of letters, digits,
// '.', '-' and '_'. A web address (https://github.com/acme/api, as typed or as Slack
// links it) is taken for its path.
func checkRepo(w word) (repo, problem string) {
	s, kind := w.value()
	switch kind {
	case plainText:
	case linkForm:
		// Slack writes the label itself; one that names another address is forged.
		if label := w.segs[0].label; label != "" && label != s && !strings.HasSuffix(s, "://"+label) {
			return "", "its link text is a different address"
		}
	default:
		return "", "it is " + kind.String()
	}
	if strings.Contains(s, "://") {
		u, err := url.Parse(s)
		switch {
		case err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "":
			return "", "not an http(s) address of a repository"
		case u.User != nil:
			return "", "it carries a user name or password"
		case u.RawQuery != "" || u.Fragment != "":
			return "", "a repository's address has no ? or #"
		}
		s = strings.Trim(u.Path, "/")
		// A page inside the repository (a branch, a file, a pull request) names the
		// repository before its marker.
		for _, marker := range []string{"/-/", "/tree/", "/blob/", "/pull/", "/pulls", "/merge_requests"} {
			if i := strings.Index(s, marker); i >= 0 {
				s = s[:i]
			}
		}
		if strings.EqualFold(u.Hostname(), "github.com") && strings.Count(s, "/") != 1 {
			return "", "a GitHub repository's address is https://github.com/OWNER/NAME"
		}
	}
	// "acme/api.git" is the repository acme/api, however it was typed.
	s = strings.TrimSuffix(s, ".git")
	if s == "" {
		return "", "empty"
	}
	if len(s) > maxRepoLen {
		return "", fmt.Sprintf("longer than %d characters", maxRepoLen)
	}
	segs := strings.Split(s, "/")
	switch {
	case len(segs) < 2:
		return "", "a repository is owner/name, like acme/api"
	case len(segs) > maxRepoDepth:
		return "", fmt.Sprintf("more than %d levels deep", maxRepoDepth)
	case strings.Contains(s, ".."):
		return "", "no .. in a path"
	}
	for _, h := range gitHosts {
		if strings.EqualFold(segs[0], h) || strings.HasSuffix(strings.ToLower(segs[0]), "."+h) {
			return "", "it starts with a host name; give the path after it, or the whole https:// address"
		}
	}
	for _, seg := range segs {
		if seg == "" {
			return "", "an empty part between slashes"
		}
		if seg == "." {
			return "", "no . as a part of a path"
		}
		if strings.IndexFunc(seg, func(r rune) bool { return !isASCIIAlnum(r) && r != '-' && r != '_' && r != '.' }) >= 0 {
			return "", "only letters, digits, '.', '-' and '_' between the slashes"
		}
	}
	return s, ""
}

// permissionAdd submits /devin permission add. The organization is resolved and its
// current permissions read first, so an unknown organization is refused before
// anything is submitted and the card says which repositories it already has.
func (ch changer) permissionAdd(ctx context.Context, api PermissionAPI, connection string, c call, cmd PermissionAdd) (slackui.Reply, string, error) {
	orgs, err := api.ListOrganizations(ctx)
	if err != nil {
		return slackui.Reply{}, "", err
	}
	org, err := devin.MatchOrganization(orgs, cmd.Org)
	if err != nil {
		return slackui.Reply{}, "", unknownOrg(cmd.Org, orgs, err)
	}
	perms, err := api.ListGitPermissions(ctx, org.ID)
	if err != nil {
		return slackui.Reply{}, "", err
	}
	granted := grantedRepos(perms, connection)
	var already []string
	for _, r := range cmd.Repos {
		if granted[strings.ToLower(r)] {
			already = append(already, r)
		}
	}
	name := strings.TrimSpace(org.Name)
	if len(already) == len(cmd.Repos) {
		what := "that repository"
		if len(already) > 1 {
			what = "all " + slackui.Int(len(already)) + " repositories"
		}
		return slackui.Reply{}, "", refuse("Nothing to grant, so nothing was submitted: the organization " + orgName(*org) + " " +
			code(org.ID, maxIDRunes) + " already has " + what + " on the git connection " + code(connection, maxIDRunes) + ".")
	}

	plan := []string{fmt.Sprintf("%s (%s) holds %s now", cmp.Or(name, org.ID), org.ID, plural(len(perms), "git permission", "git permissions"))}
	for _, r := range already {
		plan = append(plan, r+": already granted, no change")
	}
	plan = append(plan, fmt.Sprintf("%d of %s to grant on the git connection %s", len(cmd.Repos)-len(already),
		plural(len(cmd.Repos), "repository", "repositories"), connection))

	req, err := ch.submit(ctx, approvals.Submission{
		Requester: c.user, OriginChannel: c.channel, Action: approvals.ActionPermissionAdd,
		Org: org.ID, Items: cmd.Repos, Reason: cmd.Reason,
		// already lets execution tell what it finds granted by someone before the
		// request from what an earlier, interrupted run of the request granted.
		Params: map[string]string{"org_name": name, "connection_id": connection, "already": strings.Join(already, ",")},
		Plan:   plan,
	})
	if err != nil {
		return slackui.Reply{}, "", err
	}
	what := "It will give the Devin organization " + orgName(*org) + " " + code(org.ID, maxIDRunes) + " " +
		plural(len(cmd.Repos), "repository", "repositories") + " on the git connection " + code(connection, maxIDRunes)
	if len(already) > 0 {
		what += " (" + slackui.Int(len(already)) + " already granted: no change)"
	}
	return ch.confirm(req, what, cmd.Repos, cmd.Reason), req.ID, nil
}

// grantedRepos are the repository paths the organization has, lower-cased. A
// permission on another git connection does not count; v2 does not say which
// connection a permission is on, and one that does not say counts. Only exact paths
// count: a group prefix may cover a repository, but granting it by name as well is
// harmless.
func grantedRepos(perms []devin.GrantedGitPermission, connection string) map[string]bool {
	out := map[string]bool{}
	for _, p := range perms {
		if p.ConnectionID != "" && p.ConnectionID != connection {
			continue
		}
		for _, r := range p.RepoPaths {
			out[strings.ToLower(strings.Trim(strings.TrimSpace(r), "/"))] = true
		}
	}
	return out
}

// unknownOrg refuses an organization reference that matched none or several, naming
// the closest names or the IDs that share the name.
func unknownOrg(ref string, orgs []devin.Organization, err error) error {
	if errors.Is(err, apiclient.ErrValidation) {
		var ids []string
		for _, o := range orgs {
			if devin.SameOrgName(o.Name, ref) {
				ids = append(ids, o.ID)
			}
		}
		return refuse("Several organizations are called *" + slackui.Inert(strings.ReplaceAll(ref, "*", ""), maxNameRunes) +
			"*, so nothing was submitted: use the ID of the one you mean (" + codeList(ids) + ").")
	}
	if !errors.Is(err, apiclient.ErrNotFound) {
		return err
	}
	names := make([]string, len(orgs))
	for i, o := range orgs {
		names[i] = o.Name
	}
	msg := "There is no Devin organization with the ID or name " + code(ref, maxNameRunes) + ", so nothing was submitted."
	if near := closestnames.Names(ref, names, orgSuggestions); len(near) > 0 {
		for i, n := range near {
			near[i] = "*" + slackui.Inert(strings.ReplaceAll(n, "*", ""), maxNameRunes) + "*"
		}
		msg += " Did you mean " + strings.Join(near, ", ") + "?"
	}
	return refuse(msg + " `/devin orgs` lists them.")
}
