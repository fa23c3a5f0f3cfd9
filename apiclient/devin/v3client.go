package devin

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"sync"

	"devin-chatops/apiclient"
)

// The permissions of a v3 service user's role, one per endpoint group: a 403 names
// the one its call needs so the admin knows what to grant.
const (
	PermManageAccountMembership  = "ManageAccountMembership"
	PermManageOrganizations      = "ManageOrganizations"
	PermViewAccountConsumption   = "ViewAccountConsumption (formerly ManageBilling)"
	PermManageGitIntegrations    = "ManageGitIntegrations"
	PermManageEnterpriseSettings = "ManageEnterpriseSettings"
	PermViewAccountSessions      = "ViewAccountSessions"
)

const (
	// basePathV3 is appended to DEVIN_API_URL for the enterprise endpoints.
	basePathV3 = "/v3/enterprise"
	// pageFirst is the largest page v3 serves ("first" is 1 to 200).
	pageFirst = 200
)

// HintsV3 are what a Slack user is told when v3 refuses the service user's
// credential: a 403 names the permission the call needs.
func HintsV3() apiclient.Hints {
	return apiclient.Hints{
		Unauthorized:        "The Devin service user's credential was rejected (401): it is missing, revoked or invalid, or it is a v2 key (v3 needs a cog_ service-user credential).",
		Forbidden:           "The Devin service user lacks a permission this call needs (403): check its role's permissions.",
		ForbiddenPermission: "The Devin service user lacks the {permission} permission (403): grant it to the service user's role.",
	}
}

// ClientV3 calls the Devin API v3 (DEVIN_API_URL + "/v3/enterprise") with a
// service user's credential. It implements API with the same domain types as the v2
// Client. It is safe for concurrent use.
type ClientV3 struct {
	c *Client // the shared transport, rooted at /v3/enterprise

	roleMu sync.Mutex
	roles  []Role // V6, kept once read: built-in role IDs do not change

	cons consumptionCache

	orgMu   sync.Mutex
	orgRead map[string]orgSnapshot // by org ID: the last ListOrgMembers, for one AddOrgMembers
	// orgWrites counts this client's calls that may change organization membership
	// (AddOrgMembers, RemoveMember): a listing that overlapped one is not kept.
	orgWrites uint64
}

// NewV3 returns a v3 client for the Devin API at baseURL (for example
// "https://api.devin.ai"; a URL ending in /v3/enterprise or /v2/enterprise is accepted
// too). apiKey is a service user's credential (cog_…); it is sent as a Bearer token
// and never appears in an error or a log line.
func NewV3(baseURL, apiKey string, opts ...Option) (*ClientV3, error) {
	c, err := newCore(baseURL, apiKey, basePathV3, HintsV3(), opts)
	if err != nil {
		return nil, err
	}
	return &ClientV3{c: c}, nil
}

// Version is "v3".
func (v *ClientV3) Version() string { return V3 }

// String describes the client without its key.
func (v *ClientV3) String() string { return "devin.ClientV3(" + v.c.display + ")" }

// GoString keeps %#v from dumping the key.
func (v *ClientV3) GoString() string { return v.String() }

// LogValue keeps slog from dumping the key.
func (v *ClientV3) LogValue() slog.Value { return slog.StringValue(v.String()) }

// BaseURL is the enterprise root the client calls, without credentials.
func (v *ClientV3) BaseURL() string { return v.c.display }

// BaseURL is the enterprise root the client calls, without credentials.
func (c *Client) BaseURL() string { return c.display }

// call sends one request to path (relative to /v3/enterprise, already escaped) and
// decodes a 2xx body into out (skipped when out is nil or the body is empty).
func (v *ClientV3) call(ctx context.Context, perm, method, path string, query url.Values, in, out any) error {
	resp, err := v.c.send(ctx, perm, method, v.c.base+path, query, in)
	if err != nil {
		return err
	}
	if out == nil || len(resp.Body) == 0 {
		return nil
	}
	if err := json.Unmarshal(resp.Body, out); err != nil {
		return v.c.decodeError(method, path, resp.Status, err)
	}
	return nil
}

// cursorPage is v3's page envelope: {"items", "has_next_page", "end_cursor", "total"}.
type cursorPage[T any] struct {
	Items       []T     `json:"items"`
	HasNextPage bool    `json:"has_next_page"`
	EndCursor   *string `json:"end_cursor"`
}

// listPages walks a cursor listing at path (relative to /v3/enterprise), passing each
// page's items to keep. It asks for first = min(200, what is still wanted) items a
// page (want 0 = all; 200 once want items were read), and stops when keep returns
// false, when the server says there is no next page or gives no cursor, or when a
// cursor repeats (a server that would serve the same page forever). With want set,
// keep says when it has enough: a caller that drops items (a filter the server
// ignored) reads on past them rather than stopping at want items read.
func listPages[T any](ctx context.Context, v *ClientV3, perm, path string, query url.Values, want int, keep func([]T) bool) error {
	u := v.c.base + path
	read := 0
	seen := map[string]bool{}
	after := ""
	for pages := 0; ; pages++ {
		if pages == maxPages {
			return v.listError(path, fmt.Errorf("the listing did not end after %d pages", maxPages))
		}
		first := pageFirst
		if want > 0 && want-read > 0 && want-read < first {
			first = want - read
		}
		q := url.Values{}
		for k, vs := range query {
			q[k] = vs
		}
		q.Set("first", strconv.Itoa(first))
		if after != "" {
			q.Set("after", after)
		}
		resp, err := v.c.send(ctx, perm, http.MethodGet, u, q, nil)
		if err != nil {
			return err
		}
		var p cursorPage[T]
		if err := json.Unmarshal(resp.Body, &p); err != nil {
			return v.c.decodeError(http.MethodGet, path, resp.Status, err)
		}
		read += len(p.Items)
		if !keep(p.Items) || len(p.Items) == 0 {
			return nil
		}
		if !p.HasNextPage || p.EndCursor == nil || *p.EndCursor == "" {
			return nil
		}
		if seen[*p.EndCursor] {
			// The same cursor twice would loop over the same pages. Say so rather than
			// pass a listing that may be partial as complete: a member missing from it
			// would read as "not a member".
			return v.listError(path, fmt.Errorf("the listing repeated its cursor after %d pages", pages+1))
		}
		seen[*p.EndCursor] = true
		after = *p.EndCursor
	}
}

func (v *ClientV3) listError(path string, err error) error {
	return &apiclient.Error{API: APIName, Kind: apiclient.KindDecode, Method: http.MethodGet, Path: v.c.basePath + path, Err: err}
}
