package devin_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/apiclient"
	"devin-chatops/apiclient/devin"
	devinsandbox "devin-chatops/internal/sandbox/devin"
)

func TestListMembersPaginates1050(t *testing.T) {
	fake := newFake(t)
	seeded := fake.SeedMembers(1050)
	c, _ := newClient(t, fake)

	got, err := c.ListMembers(context.Background(), devin.ListMembersOptions{})
	require.NoError(t, err)
	require.Len(t, got, 1050)
	for i, m := range got {
		assert.Equal(t, seeded[i].UserID, m.UserID)
		assert.Equal(t, seeded[i].Email, m.Email)
	}

	reqs := fake.Requests()
	require.Len(t, reqs, 6, "5 full pages of 200 and one of 50")
	for i, r := range reqs {
		q, err := url.ParseQuery(r.RawQuery)
		require.NoError(t, err)
		assert.Equal(t, strconv.Itoa(i*200), q.Get("skip"))
		assert.Equal(t, "200", q.Get("limit"))
	}
}

func TestListMembersShapes(t *testing.T) {
	lastLogin := testNow().Add(-48 * time.Hour)
	logins := 7
	for _, examples := range []bool{false, true} {
		t.Run(map[bool]string{false: "schema items", true: "examples members"}[examples], func(t *testing.T) {
			fake := newFake(t)
			fake.AddMember(devinsandbox.Member{UserID: "email|a1", Email: "ada@example.com", Name: "Ada", Role: "account_admin",
				CreatedAt: testNow().Add(-time.Hour), LastLogin: &lastLogin, LoginCount: &logins, SessionsCreated: 12})
			fake.AddMember(devinsandbox.Member{UserID: "email|b2", Email: "bob@example.com", Name: "Bob"})
			fake.UseExampleShapes(examples)
			c, _ := newClient(t, fake)

			got, err := c.ListMembers(context.Background(), devin.ListMembersOptions{})
			require.NoError(t, err)
			require.Len(t, got, 2)
			assert.Equal(t, "email|a1", got[0].UserID)
			assert.Equal(t, "ada@example.com", got[0].Email)
			assert.Equal(t, "Ada", got[0].Name)
			assert.Equal(t, "account_admin", got[0].Role)
			assert.Equal(t, "account_member", got[1].Role)
			assert.True(t, got[0].CreatedAt.Equal(testNow().Add(-time.Hour)))
			if !examples {
				require.NotNil(t, got[0].LastLogin)
				assert.True(t, got[0].LastLogin.Equal(lastLogin))
				assert.Equal(t, &logins, got[0].LoginCount)
				assert.Equal(t, 12, got[0].SessionsCreated)
				assert.Nil(t, got[1].LastLogin)
			}
		})
	}
}

func TestListMembersByEmail(t *testing.T) {
	fake := newFake(t)
	fake.SeedMembers(5)
	want := fake.AddMember(devinsandbox.Member{Email: "Grace@Example.com"})
	c, _ := newClient(t, fake)

	got, err := c.ListMembers(context.Background(), devin.ListMembersOptions{Email: "grace@example.com"})
	require.NoError(t, err)
	require.Len(t, got, 1)
	assert.Equal(t, want.UserID, got[0].UserID)
	assert.Contains(t, fake.Requests()[0].RawQuery, "email=grace%40example.com")
}

// pagedServer answers GET /v2/enterprise/members with page(skip) and counts calls.
func pagedServer(t *testing.T, page func(skip int) string) (*httptest.Server, func() int) {
	var mu sync.Mutex
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		n := calls
		mu.Unlock()
		if n > 50 {
			t.Errorf("the client keeps paging: %d requests", n)
			w.WriteHeader(http.StatusTeapot)
			return
		}
		skip, _ := strconv.Atoi(r.URL.Query().Get("skip"))
		fmt.Fprint(w, page(skip))
	}))
	t.Cleanup(srv.Close)
	return srv, func() int { mu.Lock(); defer mu.Unlock(); return calls }
}

func members(from, n int) string {
	items := make([]string, n)
	for i := range items {
		items[i] = fmt.Sprintf(`{"user_id":"u%d","email":"u%d@example.com","name":"U","enterprise_role":"account_member","created_at":"2025-01-01T00:00:00Z"}`, from+i, from+i)
	}
	return "[" + strings.Join(items, ",") + "]"
}

func TestListMembersPaginationGuards(t *testing.T) {
	tests := []struct {
		name      string
		page      func(skip int) string
		wantCalls int
		wantCount int
	}{
		{
			name: "cursor that never advances",
			page: func(int) string {
				return `{"items":` + members(0, 200) + `,"has_more":true,"next_cursor":0,"total":5000}`
			},
			wantCalls: 1, wantCount: 200,
		},
		{
			name: "empty page that claims more",
			page: func(skip int) string {
				return `{"items":[],"has_more":true,"next_cursor":` + strconv.Itoa(skip+200) + `}`
			},
			wantCalls: 1, wantCount: 0,
		},
		{
			name: "has_more without next_cursor advances by the page size",
			page: func(skip int) string {
				if skip >= 400 {
					return `{"items":` + members(skip, 10) + `,"has_more":false,"next_cursor":null}`
				}
				return `{"items":` + members(skip, 200) + `,"has_more":true,"next_cursor":null}`
			},
			wantCalls: 3, wantCount: 410,
		},
		{
			name: "next_cursor is followed",
			page: func(skip int) string {
				if skip == 0 {
					return `{"items":` + members(0, 200) + `,"has_more":true,"next_cursor":1000}`
				}
				return `{"items":` + members(skip, 5) + `,"has_more":false}`
			},
			wantCalls: 2, wantCount: 205,
		},
		{
			name: "total without has_more",
			page: func(skip int) string {
				return `{"items":` + members(skip, min(200, 300-skip)) + `,"total":300}`
			},
			wantCalls: 2, wantCount: 300,
		},
		{
			name:      "no pagination fields: the whole list",
			page:      func(int) string { return `{"members":` + members(0, 200) + `}` },
			wantCalls: 1, wantCount: 200,
		},
		{
			name: "overlapping pages are de-duplicated",
			page: func(skip int) string {
				if skip == 0 {
					return `{"items":` + members(0, 200) + `,"has_more":true,"next_cursor":150}`
				}
				return `{"items":` + members(150, 100) + `,"has_more":false}`
			},
			wantCalls: 2, wantCount: 250,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv, calls := pagedServer(t, tt.page)
			c, err := devin.New(srv.URL, "k")
			require.NoError(t, err)
			got, err := c.ListMembers(context.Background(), devin.ListMembersOptions{})
			require.NoError(t, err)
			assert.Len(t, got, tt.wantCount)
			assert.Equal(t, tt.wantCalls, calls())
		})
	}
}

func TestListMembersEndlessServerIsBounded(t *testing.T) {
	// Always "more", always advancing: the client gives up with an error instead of
	// looping forever (bounded by its page cap; a small page keeps this fast).
	var calls int
	var mu sync.Mutex
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		mu.Unlock()
		skip, _ := strconv.Atoi(r.URL.Query().Get("skip"))
		fmt.Fprintf(w, `{"items":[{"user_id":"u%d","email":"u%d@x.io"}],"has_more":true,"next_cursor":%d}`, skip, skip, skip+1)
	}))
	defer srv.Close()
	c, err := devin.New(srv.URL, "k")
	require.NoError(t, err)
	_, err = c.ListMembers(context.Background(), devin.ListMembersOptions{})
	require.ErrorIs(t, err, apiclient.ErrDecode)
	assert.Contains(t, err.Error(), "did not end")
	assert.Equal(t, 2000, calls)
}

func TestGetAndRemoveMember(t *testing.T) {
	fake := newFake(t)
	m := fake.AddMember(devinsandbox.Member{Email: "ada@example.com", Name: "Ada Lovelace", Role: "account_admin"})
	c, _ := newClient(t, fake)
	ctx := context.Background()

	got, err := c.GetMember(ctx, m.UserID)
	require.NoError(t, err)
	assert.Equal(t, devin.Member{UserID: m.UserID, Email: "ada@example.com", Name: "Ada Lovelace", Role: "account_admin",
		CreatedAt: testNow(), LastLoginKnown: true, SessionsCreated: 0}, *got)

	require.NoError(t, c.RemoveMember(ctx, m.UserID))
	_, found := fake.MemberByEmail("ada@example.com")
	assert.False(t, found)
	err = c.RemoveMember(ctx, m.UserID)
	require.ErrorIs(t, err, apiclient.ErrNotFound)
}

func TestListRoles(t *testing.T) {
	t.Run("bare array from the fake", func(t *testing.T) {
		fake := newFake(t)
		c, _ := newClient(t, fake)
		roles, err := c.ListRoles(context.Background())
		require.NoError(t, err)
		assert.Contains(t, roles, devin.Role{ID: "account_admin", Name: "Admin", Type: "account"})
		assert.Len(t, roles, 4)
	})
	for name, body := range map[string]string{
		"wrapped in items":     `{"items":[{"role_id":"r1","role_name":"Admin","role_type":"account"}],"total":1,"has_more":false}`,
		"short field names":    `[{"id":"r1","name":"Admin","type":"account"}]`,
		"wrapped in roles key": `{"roles":[{"role_id":"r1","role_name":"Admin","role_type":"account"}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, body) }))
			defer srv.Close()
			c, err := devin.New(srv.URL, "k")
			require.NoError(t, err)
			roles, err := c.ListRoles(context.Background())
			require.NoError(t, err)
			assert.Equal(t, []devin.Role{{ID: "r1", Name: "Admin", Type: "account"}}, roles)
		})
	}
}

func TestAssignRole(t *testing.T) {
	fake := newFake(t)
	seeded := fake.SeedMembers(150)
	c, _ := newClient(t, fake)
	ids := make([]string, len(seeded))
	for i, m := range seeded {
		ids[i] = m.UserID
	}
	require.NoError(t, c.AssignRole(context.Background(), ids, "account_admin"))

	for _, m := range fake.Members() {
		assert.Equal(t, "account_admin", m.Role)
	}
	reqs := fake.Requests()
	require.Len(t, reqs, 2, "batches of 100")
	var body struct {
		UserIDs []string `json:"user_ids"`
		RoleID  string   `json:"role_id"`
	}
	require.NoError(t, json.Unmarshal(reqs[0].Body, &body))
	assert.Equal(t, http.MethodPatch, reqs[0].Method)
	assert.Equal(t, "/v2/enterprise/members/roles", reqs[0].Path)
	assert.Len(t, body.UserIDs, 100)
	assert.Equal(t, "account_admin", body.RoleID)
}
