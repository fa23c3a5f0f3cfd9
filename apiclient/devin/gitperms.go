package devin

import (
	"bytes"
	"context"
	"encoding/json"
	"net/url"
	"strings"
)

// GrantedGitPermission is one git permission an organization already has, as G1
// (GET /organizations/{org_id}/git/permissions) lists it.
type GrantedGitPermission struct {
	ID   string
	Host string
	// ConnectionID is the git connection the permission is on. The v2 schema does
	// not list it, so it is often empty; it is kept when a server sends it.
	ConnectionID  string
	RepoPaths     []string
	GroupPrefixes []string
	PrefixPath    string
}

// stringList reads a JSON string, an array of strings or null: the v2 schema names
// repo_path and group_prefix without saying which, and the request side sends arrays.
type stringList []string

func (l *stringList) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*l = nil
		return nil
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		if s = strings.TrimSpace(s); s != "" {
			*l = stringList{s}
		}
		return nil
	}
	var ss []string
	if err := json.Unmarshal(b, &ss); err != nil {
		return err
	}
	*l = ss
	return nil
}

// gitPermJSON accepts the v2 schema's GitPermissionResponse and the v3 names of the
// same fields (git_permission_id, git_connection_id).
type gitPermJSON struct {
	PermissionID    string     `json:"permission_id"`
	GitPermissionID string     `json:"git_permission_id"`
	ID              string     `json:"id"`
	Host            string     `json:"host"`
	ConnectionID    string     `json:"connection_id"`
	GitConnectionID string     `json:"git_connection_id"`
	RepoPath        stringList `json:"repo_path"`
	GroupPrefix     stringList `json:"group_prefix"`
	PrefixPath      *string    `json:"prefix_path"`
}

type gitPermsPage struct {
	pageMeta
	Items       []gitPermJSON `json:"items"`
	Permissions []gitPermJSON `json:"permissions"`
}

// ListGitPermissions returns every git permission of an organization, reading all
// pages.
func (c *Client) ListGitPermissions(ctx context.Context, orgID string) ([]GrantedGitPermission, error) {
	if orgID == "" {
		return nil, usageError("ListGitPermissions needs an organization ID")
	}
	var all []GrantedGitPermission
	path := "/organizations/" + url.PathEscape(orgID) + "/git/permissions"
	err := c.paginate(ctx, path, nil, 0, func(body []byte) (int, pageMeta, error) {
		var p gitPermsPage
		if err := json.Unmarshal(body, &p); err != nil {
			return 0, pageMeta{}, err
		}
		items := p.Items
		if items == nil {
			items = p.Permissions
		}
		for _, it := range items {
			g := GrantedGitPermission{
				ID:            firstNonEmpty(it.PermissionID, it.GitPermissionID, it.ID),
				Host:          it.Host,
				ConnectionID:  firstNonEmpty(it.ConnectionID, it.GitConnectionID),
				RepoPaths:     it.RepoPath,
				GroupPrefixes: it.GroupPrefix,
			}
			if it.PrefixPath != nil {
				g.PrefixPath = *it.PrefixPath
			}
			all = append(all, g)
		}
		return len(items), p.pageMeta, nil
	})
	if err != nil {
		return nil, err
	}
	return all, nil
}
