package github

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/apiclient"
)

func TestGetUser(t *testing.T) {
	t.Parallel()
	for _, b := range bases() {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			e := newEnv(t, b)
			id := e.fake.AddUser("Mona")
			ctx := t.Context()

			u, err := e.client.GetUser(ctx, "mona")
			require.NoError(t, err)
			assert.Equal(t, "Mona", u.Login, "GitHub's own casing")
			assert.Equal(t, id, u.ID)

			_, err = e.client.GetUser(ctx, "ghost")
			require.ErrorIs(t, err, apiclient.ErrNotFound)
			assert.Contains(t, apiclient.UserMessage(err), "no GitHub user has this login")

			_, err = e.client.GetUser(ctx, "..")
			require.ErrorIs(t, err, apiclient.ErrBadRequest, "refused before sending")

			var wire []string
			for _, r := range e.fake.Requests() {
				wire = append(wire, r.Method+" "+r.Path)
			}
			assert.Equal(t, []string{"GET " + b.prefix + "/users/mona", "GET " + b.prefix + "/users/ghost"}, wire)
			assert.Equal(t, http.StatusNotFound, e.fake.Requests()[1].Response.Status)
		})
	}
}
