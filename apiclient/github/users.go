package github

import (
	"context"
	"errors"
	"net/http"

	"devin-chatops/apiclient"
)

// userNotFound explains a 404 from GET /users/{username}.
const userNotFound = "no GitHub user has this login"

// GetUser returns the GitHub user with login (GET /users/{username}), which GitHub
// answers on github.com and on GHES alike. An unknown login is an error wrapping
// apiclient.ErrNotFound. The enterprise-team calls cannot tell an unknown login from
// one in no team; this one can.
func (c *Client) GetUser(ctx context.Context, login string) (*User, error) {
	l, err := loginSegment(login)
	if err != nil {
		return nil, err
	}
	u := c.endpoint(nil, "users", l)
	resp, err := c.do(ctx, http.MethodGet, u, nil, http.StatusOK)
	if err != nil {
		var e *apiclient.Error
		if errors.As(err, &e) && e.Kind == apiclient.KindNotFound {
			e.Message = userNotFound
		}
		return nil, err
	}
	var out User
	if err := c.decodeJSON(http.MethodGet, u, resp, &out); err != nil {
		return nil, err
	}
	return &out, nil
}
