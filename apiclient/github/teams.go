package github

import (
	"context"
	"net/http"
	"time"
)

// Team is an enterprise team as GitHub describes it ("enterprise-team").
type Team struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	Slug        string `json:"slug"`
	Description string `json:"description"`
	HTMLURL     string `json:"html_url"`
	// MembersCount is set by GetTeam on servers that report it; ListTeams leaves it nil.
	MembersCount *int `json:"members_count"`
	// GroupID is the linked IdP group, nil when membership is managed directly.
	GroupID   *string   `json:"group_id"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

// ListTeams returns every team in the enterprise the token can see, following
// pagination to the end.
func (c *Client) ListTeams(ctx context.Context) ([]Team, error) {
	first := c.endpoint(firstPage(), "enterprises", c.enterprise, "teams")
	return listAll(ctx, c, first, func(t Team) int64 { return t.ID })
}

// GetTeam returns one team by slug ("ent:platform", or "platform" which is normalized)
// or numeric id.
func (c *Client) GetTeam(ctx context.Context, team string) (*Team, error) {
	t, err := c.teamSegment(team)
	if err != nil {
		return nil, err
	}
	u := c.teamURL(t)
	resp, err := c.do(ctx, http.MethodGet, u, nil, http.StatusOK)
	if err != nil {
		return nil, err
	}
	var out Team
	if err := c.decodeJSON(http.MethodGet, u, resp, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
