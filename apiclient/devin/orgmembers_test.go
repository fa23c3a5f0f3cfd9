package devin_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/apiclient"
	"devin-chatops/apiclient/devin"
	devinsandbox "devin-chatops/internal/sandbox/devin"
)

func TestListOrgMembers(t *testing.T) {
	fake := newFake(t)
	ms := fake.SeedMembers(450)
	roles := map[string]string{}
	for i, m := range ms {
		roles[m.UserID] = "org_member"
		if i%100 == 0 {
			roles[m.UserID] = "org_admin"
		}
	}
	org := fake.AddOrg(devinsandbox.Org{ID: "org|x", Name: "Big", Members: roles})
	fake.AddOrg(devinsandbox.Org{Name: "Other", Members: map[string]string{ms[0].UserID: "org_member"}})
	c, _ := newClient(t, fake)

	got, err := c.ListOrgMembers(context.Background(), org.ID)
	require.NoError(t, err)
	require.Len(t, got, 450)
	byID := map[string]devin.OrgMember{}
	for _, m := range got {
		byID[m.UserID] = m
	}
	assert.Equal(t, devin.OrgMember{UserID: ms[0].UserID, Email: ms[0].Email, Name: ms[0].Name, OrgRole: "org_admin"}, byID[ms[0].UserID])
	assert.Equal(t, "org_member", byID[ms[1].UserID].OrgRole)
	assert.Equal(t, 3, fake.Count("GET", "/organizations/org%7Cx/members"), "450 members are 3 pages of 200")

	_, err = c.ListOrgMembers(context.Background(), "org-nope")
	require.ErrorIs(t, err, apiclient.ErrNotFound)

	fake.ResetRequests()
	_, err = c.ListOrgMembers(context.Background(), "")
	require.Error(t, err)
	assert.False(t, errors.As(err, new(*apiclient.Error)), "a programming error, not an API error")
	assert.Empty(t, fake.Requests())
}

func TestListOrgMembersExampleShape(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprint(w, `{"members":[{"id":"u1","email":"a@x.io","role":"org_admin"},{"id":"u1","email":"a@x.io","role":"org_admin"}]}`)
	}))
	defer srv.Close()
	c, err := devin.New(srv.URL, "k")
	require.NoError(t, err)
	got, err := c.ListOrgMembers(context.Background(), "org-1")
	require.NoError(t, err)
	assert.Equal(t, []devin.OrgMember{{UserID: "u1", Email: "a@x.io", OrgRole: "org_admin"}}, got, "read once, without pagination fields")
}
