package github

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"devin-chatops/apiclient"
)

// listAll GETs first and follows Link rel="next" until it is absent, decoding each
// page as []T. Items repeated across pages (the list changed while we read it) are
// kept once, by key.
func listAll[T any](ctx context.Context, c *Client, first string, key func(T) int64) ([]T, error) {
	var all []T
	seen := map[int64]bool{}
	visited := map[string]bool{}
	next := first
	for pages := 0; next != ""; pages++ {
		if pages == maxPages || visited[next] {
			return nil, &apiclient.Error{
				API: APIName, Kind: apiclient.KindDecode, Method: http.MethodGet, Path: pathOf(first),
				Message: fmt.Sprintf("pagination did not end after %d pages", pages),
			}
		}
		visited[next] = true
		resp, err := c.do(ctx, http.MethodGet, next, nil, http.StatusOK)
		if err != nil {
			return nil, err
		}
		var page []T
		if err := c.decodeJSON(http.MethodGet, next, resp, &page); err != nil {
			return nil, err
		}
		for _, item := range page {
			if k := key(item); !seen[k] {
				seen[k] = true
				all = append(all, item)
			}
		}
		if next, err = c.nextPage(next, resp); err != nil {
			return nil, err
		}
	}
	return all, nil
}

// nextPage is the rel="next" URL of a response, resolved against the page it came
// from. It must point at the base URL's scheme and host: the token goes with every
// request, so a link elsewhere is refused rather than followed.
func (c *Client) nextPage(current string, resp *apiclient.Response) (string, error) {
	link := nextLink(resp.Header.Values("Link"))
	if link == "" {
		return "", nil
	}
	cur, err := url.Parse(current)
	if err != nil {
		return "", err
	}
	u, err := cur.Parse(link)
	if err != nil || !c.sameOrigin(u) {
		e := c.decodeError(http.MethodGet, current, resp, nil)
		e.Message = "the next-page link does not point to the configured GitHub host"
		return "", e
	}
	return u.String(), nil
}

func (c *Client) sameOrigin(u *url.URL) bool {
	if !strings.EqualFold(u.Scheme, c.scheme) || u.User != nil {
		return false
	}
	return hostPort(u.Scheme, u.Host) == hostPort(c.scheme, c.host)
}

// hostPort normalises host[:port] so "api.github.com" and "API.github.com:443" match.
func hostPort(scheme, host string) string {
	u := url.URL{Host: host}
	port := u.Port()
	if port == "" {
		port = "80"
		if strings.EqualFold(scheme, "https") {
			port = "443"
		}
	}
	return strings.ToLower(u.Hostname()) + ":" + port
}

// nextLink finds rel="next" in RFC 8288 Link header values such as
// `<https://…?page=2>; rel="next", <https://…?page=5>; rel="last"`. The URL is taken
// from between the angle brackets, so commas inside it do not split it.
func nextLink(values []string) string {
	for _, v := range values {
		for rest := v; ; {
			open := strings.IndexByte(rest, '<')
			if open < 0 {
				break
			}
			end := strings.IndexByte(rest[open:], '>')
			if end < 0 {
				break
			}
			target := rest[open+1 : open+end]
			rest = rest[open+end+1:]
			params := rest
			if i := strings.IndexByte(rest, '<'); i >= 0 {
				params = rest[:i]
			}
			if hasRel(params, "next") {
				return target
			}
		}
	}
	return ""
}

func hasRel(params, want string) bool {
	for _, p := range strings.Split(params, ";") {
		name, val, ok := strings.Cut(strings.TrimSpace(p), "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(name), "rel") {
			continue
		}
		val = strings.Trim(strings.TrimSpace(strings.TrimRight(strings.TrimSpace(val), ",")), `"`)
		for _, r := range strings.Fields(val) {
			if strings.EqualFold(r, want) {
				return true
			}
		}
	}
	return false
}

// firstPage is the query of the first request of every list.
func firstPage() url.Values {
	return url.Values{"per_page": {strconv.Itoa(perPage)}}
}
