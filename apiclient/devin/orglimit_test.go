package devin_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/apiclient"
	devinsandbox "devin-chatops/internal/sandbox/devin"
)

func TestUpdateOrganizationLimit(t *testing.T) {
	tests := []struct {
		name     string
		before   *int
		limit    *int
		wantBody string
	}{
		{name: "set where there was none", limit: intp(2000), wantBody: `{"max_acu_limit":2000}`},
		{name: "raise", before: intp(1000), limit: intp(2000), wantBody: `{"max_acu_limit":2000}`},
		{name: "zero blocks usage and is sent as 0", before: intp(1000), limit: intp(0), wantBody: `{"max_acu_limit":0}`},
		{name: "nil removes the limit with an explicit null", before: intp(1000), wantBody: `{"max_acu_limit":null}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fake := newFake(t)
			org := fake.AddOrg(devinsandbox.Org{ID: "org|a/b", Name: "Platform", MaxCycleACULimit: tt.before})
			c, _ := newClient(t, fake)

			require.NoError(t, c.UpdateOrganizationLimit(context.Background(), org.ID, tt.limit))
			got, _ := fake.OrgByID(org.ID)
			assert.Equal(t, tt.limit, got.MaxCycleACULimit)
			assert.Equal(t, "Platform", got.Name, "the name is left alone")

			reqs := fake.Requests()
			require.Len(t, reqs, 1)
			assert.Equal(t, "PATCH", reqs[0].Method)
			assert.Equal(t, "/v2/enterprise/organizations/org%7Ca%2Fb", reqs[0].Path)
			assert.JSONEq(t, tt.wantBody, string(reqs[0].Body))
		})
	}
}

func TestUpdateOrganizationLimitErrors(t *testing.T) {
	fake := newFake(t)
	c, _ := newClient(t, fake)
	ctx := context.Background()

	err := c.UpdateOrganizationLimit(ctx, "org-nope", intp(5))
	require.ErrorIs(t, err, apiclient.ErrNotFound)

	org := fake.AddOrg(devinsandbox.Org{Name: "Eng"})
	fake.ResetRequests()
	fake.Fail("PATCH", "/organizations", 500, 1)
	err = c.UpdateOrganizationLimit(ctx, org.ID, intp(5))
	require.ErrorIs(t, err, apiclient.ErrServer)
	assert.Equal(t, 1, fake.Count("PATCH", "/organizations"), "a PATCH is not retried on 500")

	fake.ResetRequests()
	for name, call := range map[string]func() error{
		"no org ID":      func() error { return c.UpdateOrganizationLimit(ctx, "", intp(5)) },
		"negative limit": func() error { return c.UpdateOrganizationLimit(ctx, org.ID, intp(-1)) },
	} {
		err := call()
		require.Error(t, err, name)
		assert.False(t, errors.As(err, new(*apiclient.Error)), "%s: a programming error, not an API error", name)
	}
	assert.Empty(t, fake.Requests())
}
