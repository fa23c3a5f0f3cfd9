package executor

import (
	"context"
	"strings"

	"devin-chatops/apiclient"
	"devin-chatops/apiclient/devin"
	"devin-chatops/approvals"
)

// GitPermissionGranter is the part of the Devin client a permission add needs
// (*devin.Client).
type GitPermissionGranter interface {
	ListGitPermissions(ctx context.Context, orgID string) ([]devin.GrantedGitPermission, error)
	AddGitPermissions(ctx context.Context, orgID string, perms []devin.GitPermission) (*devin.GitPermissionsResult, error)
}

// PermissionAdd grants the request's organization (r.Org, its ID) the request's
// repositories on the git connection the request names (Params "connection_id").
type PermissionAdd struct{ devin GitPermissionGranter }

// NewPermissionAdd builds the permission add action.
func NewPermissionAdd(d GitPermissionGranter) PermissionAdd { return PermissionAdd{devin: d} }

// alreadyGranted is the reason beside a repository the organization had before the
// grant: it counts as granted, and nothing was sent for it.
const alreadyGranted = "already granted"

// Execute reads the organization's permissions again, then grants the repositories it
// still lacks in one call (G2: an array with one entry per connection). Reading first
// makes a second run, after a crash or beside a grant made by hand since the card was
// posted, send nothing twice.
func (a PermissionAdd) Execute(ctx context.Context, r approvals.Request) ([]approvals.ItemOutcome, error) {
	conn := strings.TrimSpace(r.Param("connection_id"))
	if conn == "" {
		return failAll(r.Items, "the request names no git connection"), nil
	}
	perms, err := a.devin.ListGitPermissions(ctx, r.Org)
	if err != nil {
		return failAll(r.Items, apiclient.UserMessage(err)), err
	}
	have := map[string]bool{}
	for _, p := range perms {
		// v2 does not say which connection a permission is on; one that says
		// another connection does not count.
		if p.ConnectionID != "" && p.ConnectionID != conn {
			continue
		}
		for _, path := range p.RepoPaths {
			have[key(strings.Trim(path, "/"))] = true
		}
	}
	before := map[string]bool{}
	for _, repo := range strings.Split(r.Param("already"), ",") {
		if repo = strings.TrimSpace(repo); repo != "" {
			before[key(repo)] = true
		}
	}
	_, planned := r.Params["already"] // requests from before it was stored
	out := make([]approvals.ItemOutcome, len(r.Items))
	var todo []string
	sent := map[string]bool{}
	for i, repo := range r.Items {
		out[i].Item = repo
		k := key(repo)
		switch {
		case have[k] && planned && !before[k]:
			// Not there when the request was made, there now: most likely this
			// request's earlier run, interrupted before it recorded the outcome.
			out[i].Status, out[i].Reason = approvals.OutcomeGranted, "granted since the request was made (found when it resumed)"
		case have[k]:
			out[i].Status, out[i].Reason = approvals.OutcomeGranted, alreadyGranted
		case !sent[k]:
			sent[k] = true
			todo = append(todo, strings.TrimSpace(repo))
		}
	}
	if len(todo) == 0 {
		return out, nil
	}
	_, err = a.devin.AddGitPermissions(ctx, r.Org, []devin.GitPermission{{ConnectionID: conn, RepoPaths: todo}})
	status, reason := approvals.OutcomeGranted, ""
	if err != nil {
		// One call for all: it failed for all. A 5xx may still have been applied,
		// which the next read shows; the POST is not sent again.
		status, reason = approvals.OutcomeFailed, apiclient.UserMessage(err)
	}
	for i := range out {
		if out[i].Status == "" {
			out[i].Status, out[i].Reason = status, reason
		}
	}
	return out, err
}
