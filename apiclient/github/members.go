package github

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"devin-chatops/apiclient"
)

// User is the part of GitHub's "simple-user" the bot uses.
type User struct {
	Login   string `json:"login"`
	ID      int64  `json:"id"`
	HTMLURL string `json:"html_url"`
	Type    string `json:"type"`
}

// membershipNotFound explains a 404 from GET …/memberships/{username}, which GitHub
// also uses for "not a member".
const membershipNotFound = "not a member of the team, or the team or user is unknown, or the token cannot see it"

// ListTeamMembers returns every member of team (slug or id), following pagination.
func (c *Client) ListTeamMembers(ctx context.Context, team string) ([]User, error) {
	t, err := c.teamSegment(team)
	if err != nil {
		return nil, err
	}
	return c.listMembers(ctx, t)
}

func (c *Client) listMembers(ctx context.Context, team string) ([]User, error) {
	first := c.endpoint(firstPage(), "enterprises", c.enterprise, "teams", team, "memberships")
	return listAll(ctx, c, first, func(u User) int64 { return u.ID })
}

// BulkAddMembers adds logins to team in POSTs of at most 100 usernames and returns the
// union of the users GitHub reports. Duplicate logins (compared case-insensitively, as
// GitHub does) are sent once; no logins means no request. If a chunk fails, the users
// confirmed so far are returned with a *BulkError. A failed POST is not retried on a
// 5xx or network error, since it may have been applied.
func (c *Client) BulkAddMembers(ctx context.Context, team string, logins []string) ([]User, error) {
	return c.bulk(ctx, "add", team, logins)
}

// BulkRemoveMembers removes logins from team; it chunks and reports like BulkAddMembers.
func (c *Client) BulkRemoveMembers(ctx context.Context, team string, logins []string) ([]User, error) {
	return c.bulk(ctx, "remove", team, logins)
}

// BulkError reports a bulk change that stopped part-way. Applied logins were in chunks
// GitHub confirmed. Unconfirmed logins were in the chunk that failed or in chunks never
// sent; a chunk that failed with a 5xx or a network error may still have been applied,
// so "unconfirmed" does not mean "unchanged". Err is the failure (usually an
// *apiclient.Error), reachable through errors.Is and errors.As.
type BulkError struct {
	Op          string // "add" or "remove"
	Team        string
	Applied     []string
	Unconfirmed []string
	Err         error
}

func (e *BulkError) Error() string {
	return fmt.Sprintf("GitHub bulk %s on team %s: %d of %d logins confirmed, %d unconfirmed: %v",
		e.Op, e.Team, len(e.Applied), len(e.Applied)+len(e.Unconfirmed), len(e.Unconfirmed), e.Err)
}

func (e *BulkError) Unwrap() error { return e.Err }

type bulkBody struct {
	Usernames []string `json:"usernames"`
}

func (c *Client) bulk(ctx context.Context, op, team string, logins []string) ([]User, error) {
	t, err := c.teamSegment(team)
	if err != nil {
		return nil, err
	}
	names, err := uniqueLogins(logins)
	if err != nil {
		return nil, err
	}
	u := c.teamURL(t, "memberships", op)
	var out []User
	seen := map[int64]bool{}
	for start := 0; start < len(names); start += bulkChunk {
		chunk := names[start:min(start+bulkChunk, len(names))]
		var users []User
		resp, err := c.do(ctx, http.MethodPost, u, bulkBody{Usernames: chunk}, http.StatusOK)
		if err == nil {
			err = c.decodeJSON(http.MethodPost, u, resp, &users)
		}
		if err != nil {
			return out, &BulkError{Op: op, Team: t, Applied: names[:start], Unconfirmed: names[start:], Err: err}
		}
		for _, usr := range users {
			if !seen[usr.ID] {
				seen[usr.ID] = true
				out = append(out, usr)
			}
		}
	}
	return out, nil
}

func uniqueLogins(logins []string) ([]string, error) {
	out := make([]string, 0, len(logins))
	seen := map[string]bool{}
	for _, l := range logins {
		l, err := loginSegment(l)
		if err != nil {
			return nil, err
		}
		if key := strings.ToLower(l); !seen[key] {
			seen[key] = true
			out = append(out, l)
		}
	}
	return out, nil
}

// AddMember adds one user with PUT, which GitHub answers with 201 and the user.
func (c *Client) AddMember(ctx context.Context, team, login string) (*User, error) {
	t, l, err := c.teamAndLogin(team, login)
	if err != nil {
		return nil, err
	}
	u := c.teamURL(t, "memberships", l)
	resp, err := c.do(ctx, http.MethodPut, u, nil, http.StatusCreated, http.StatusOK)
	if err != nil {
		return nil, err
	}
	var out User
	if err := c.decodeJSON(http.MethodPut, u, resp, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// RemoveMember removes one user with DELETE, which GitHub answers with 204.
func (c *Client) RemoveMember(ctx context.Context, team, login string) error {
	t, l, err := c.teamAndLogin(team, login)
	if err != nil {
		return err
	}
	_, err = c.do(ctx, http.MethodDelete, c.teamURL(t, "memberships", l), nil, http.StatusNoContent, http.StatusOK)
	return err
}

// GetMembership returns the member if login is in team. When it is not, the error
// wraps apiclient.ErrNotFound; on GitHub.com that 404 cannot tell "not a member" from
// "unknown team", which IsMember does. On GHES, which has no GET membership
// endpoint, the members list is searched instead.
func (c *Client) GetMembership(ctx context.Context, team, login string) (*User, error) {
	t, l, err := c.teamAndLogin(team, login)
	if err != nil {
		return nil, err
	}
	if c.ghes {
		m, err := c.findMember(ctx, t, l)
		if err != nil {
			return nil, err
		}
		if m == nil {
			return nil, &apiclient.Error{
				API: APIName, Kind: apiclient.KindNotFound, Method: http.MethodGet,
				Path:    pathOf(c.teamURL(t, "memberships")),
				Message: fmt.Sprintf("%s is not a member of %s", l, t),
			}
		}
		return m, nil
	}
	u := c.teamURL(t, "memberships", l)
	resp, err := c.do(ctx, http.MethodGet, u, nil, http.StatusOK)
	if err != nil {
		var e *apiclient.Error
		if errors.As(err, &e) && e.Kind == apiclient.KindNotFound {
			e.Message = membershipNotFound
		}
		return nil, err
	}
	var out User
	if err := c.decodeJSON(http.MethodGet, u, resp, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// IsMember reports whether login is in team. It answers false only about a team the
// token can see: an unknown or invisible team is an error wrapping
// apiclient.ErrNotFound, never a silent "no".
func (c *Client) IsMember(ctx context.Context, team, login string) (bool, error) {
	if c.ghes {
		t, l, err := c.teamAndLogin(team, login)
		if err != nil {
			return false, err
		}
		m, err := c.findMember(ctx, t, l)
		return m != nil, err
	}
	_, err := c.GetMembership(ctx, team, login)
	switch {
	case err == nil:
		return true, nil
	case !errors.Is(err, apiclient.ErrNotFound):
		return false, err
	}
	// GitHub's 404 also covers a team that does not exist or that the token cannot
	// see; check the team so that "no" is only ever said about a real team.
	if _, err := c.GetTeam(ctx, team); err != nil {
		return false, err
	}
	return false, nil
}

// findMember searches the members list for login (case-insensitively); nil when absent.
func (c *Client) findMember(ctx context.Context, team, login string) (*User, error) {
	members, err := c.listMembers(ctx, team)
	if err != nil {
		return nil, err
	}
	for i := range members {
		if strings.EqualFold(members[i].Login, login) {
			return &members[i], nil
		}
	}
	return nil, nil
}

func (c *Client) teamAndLogin(team, login string) (string, string, error) {
	t, err := c.teamSegment(team)
	if err != nil {
		return "", "", err
	}
	l, err := loginSegment(login)
	if err != nil {
		return "", "", err
	}
	return t, l, nil
}
