package devin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"devin-chatops/apiclient"
)

// flexTime reads the time formats the API and its examples use: RFC 3339 strings
// (with or without a zone; a missing zone means UTC), bare dates, and Unix
// timestamps in seconds or milliseconds (v2 audit logs use milliseconds).
type flexTime struct {
	t        time.Time
	dateOnly bool // the value was a bare date such as "2025-12-05"
}

func (f *flexTime) UnmarshalJSON(b []byte) error {
	*f = flexTime{}
	if len(b) == 0 || string(b) == "null" {
		return nil
	}
	if b[0] == '"' {
		// Timestamps never need unescaping; skipping a nested json.Unmarshal for them
		// halves the cost of decoding a page of members.
		var s string
		if len(b) >= 2 && b[len(b)-1] == '"' && bytes.IndexByte(b, '\\') < 0 {
			s = string(b[1 : len(b)-1])
		} else if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		return f.parseString(s)
	}
	v, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return fmt.Errorf("time must be a string or a number, got %.20s", b)
	}
	f.t = fromEpoch(v)
	return nil
}

func (f *flexTime) parseString(s string) error {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	// RFC 3339 first (the schema), then the variants Python servers emit: no zone
	// (meaning UTC) and a space instead of the "T".
	layouts := [...]string{
		time.RFC3339Nano,
		"2006-01-02T15:04:05.999999999",
		"2006-01-02 15:04:05.999999999Z07:00",
		"2006-01-02 15:04:05.999999999",
	}
	for _, layout := range layouts {
		if t, err := time.Parse(layout, s); err == nil {
			f.t = t.UTC()
			return nil
		}
	}
	if t, err := time.Parse(time.DateOnly, s); err == nil {
		f.t, f.dateOnly = t, true
		return nil
	}
	if v, err := strconv.ParseFloat(s, 64); err == nil {
		f.t = fromEpoch(v)
		return nil
	}
	return fmt.Errorf("unrecognised time %.40q", s)
}

// fromEpoch reads a Unix timestamp whose unit the API does not always state: values
// of 1e11 and more are milliseconds (1e11 s is the year 5138, 1e11 ms is 1973).
func fromEpoch(v float64) time.Time {
	if math.Abs(v) >= 1e11 {
		return time.UnixMilli(int64(v)).UTC()
	}
	sec, frac := math.Modf(v)
	return time.Unix(int64(sec), int64(frac*1e9)).UTC()
}

// ptr returns nil for an absent time, for the API's nullable fields.
func (f flexTime) ptr() *time.Time {
	if f.t.IsZero() {
		return nil
	}
	t := f.t
	return &t
}

// flexFloat reads a number that may arrive as a JSON number or a numeric string.
type flexFloat struct {
	v   float64
	set bool
}

func (f *flexFloat) UnmarshalJSON(b []byte) error {
	*f = flexFloat{}
	s := string(bytes.Trim(b, `"`))
	if s == "" || s == "null" {
		return nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return fmt.Errorf("number expected, got %.20s", b)
	}
	f.v, f.set = v, true
	return nil
}

func (f flexFloat) ptr() *float64 {
	if !f.set {
		return nil
	}
	v := f.v
	return &v
}

// flexInt reads an integer that may arrive as a JSON number (possibly written as
// 1000.0) or a numeric string.
type flexInt struct {
	v   int
	set bool
}

func (f *flexInt) UnmarshalJSON(b []byte) error {
	var ff flexFloat
	if err := ff.UnmarshalJSON(b); err != nil {
		return err
	}
	*f = flexInt{v: int(ff.v), set: ff.set}
	return nil
}

func (f flexInt) ptr() *int {
	if !f.set {
		return nil
	}
	v := f.v
	return &v
}

// pageMeta is the pagination part of the v2 envelope
// {"items", "total", "skip", "limit", "has_more", "next_cursor"}.
type pageMeta struct {
	Total      *flexInt `json:"total"`
	HasMore    *bool    `json:"has_more"`
	NextCursor *flexInt `json:"next_cursor"`
}

// pageFunc decodes one page body, keeps its items, and says how many items the page
// held (before any filtering) and what its pagination fields were.
type pageFunc func(body []byte) (n int, meta pageMeta, err error)

// paginate walks a skip/limit listing. It stops when the server says there is no
// more, when a page is empty, when the cursor does not advance, when want items have
// been read (want 0 = all), or when a response carries no pagination fields at all
// (the examples' unpaginated shape: the whole list came at once).
func (c *Client) paginate(ctx context.Context, path string, query url.Values, want int, page pageFunc) error {
	skip, read := 0, 0
	for pages := 0; ; pages++ {
		if pages == maxPages {
			return &apiclient.Error{
				API: APIName, Kind: apiclient.KindDecode, Method: http.MethodGet, Path: c.basePath + path,
				Err: fmt.Errorf("the listing did not end after %d pages", maxPages),
			}
		}
		size := pageLimit
		if want > 0 && want-read < size {
			size = want - read
		}
		q := url.Values{}
		for k, vs := range query {
			q[k] = vs
		}
		q.Set("skip", strconv.Itoa(skip))
		q.Set("limit", strconv.Itoa(size))
		resp, err := c.do(ctx, http.MethodGet, path, q, nil)
		if err != nil {
			return err
		}
		n, meta, err := page(resp.Body)
		if err != nil {
			return c.decodeError(http.MethodGet, path, resp.Status, err)
		}
		read += n
		if n == 0 || (want > 0 && read >= want) {
			return nil
		}
		next := skip + n
		if meta.NextCursor != nil && meta.NextCursor.set {
			next = meta.NextCursor.v
		}
		switch {
		case meta.HasMore != nil:
			if !*meta.HasMore {
				return nil
			}
		case meta.NextCursor != nil && meta.NextCursor.set:
			// No has_more, but a cursor to follow.
		case meta.Total != nil && meta.Total.set:
			if next >= meta.Total.v {
				return nil
			}
		default:
			return nil
		}
		if next <= skip {
			// A cursor that does not move would loop forever on the same page.
			return nil
		}
		skip = next
	}
}

// decodeList reads a list that the API serves either as a bare array or wrapped in
// an object under one of keys (first present key wins).
func decodeList[T any](body []byte, keys ...string) ([]T, error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) > 0 && trimmed[0] == '[' {
		var out []T
		err := json.Unmarshal(trimmed, &out)
		return out, err
	}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(trimmed, &obj); err != nil {
		return nil, err
	}
	for _, k := range keys {
		raw, ok := obj[k]
		if !ok || string(raw) == "null" {
			continue
		}
		var out []T
		err := json.Unmarshal(raw, &out)
		return out, err
	}
	return nil, errors.New("no list under " + strings.Join(keys, " or "))
}

// firstNonEmpty returns the first of vs that is not empty: the schema's field name
// first, then the examples' one.
func firstNonEmpty(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// chunks splits s into slices of at most n elements.
func chunks[T any](s []T, n int) [][]T {
	var out [][]T
	for len(s) > n {
		out = append(out, s[:n:n])
		s = s[n:]
	}
	if len(s) > 0 {
		out = append(out, s)
	}
	return out
}

// addRepeated sets key to vs as repeated query keys (org_ids=a&org_ids=b), FastAPI's
// encoding of a list parameter.
func addRepeated(q url.Values, key string, vs []string) {
	for _, v := range vs {
		if v = strings.TrimSpace(v); v != "" {
			q.Add(key, v)
		}
	}
}
