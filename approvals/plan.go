package approvals

import (
	"encoding/json"
	"strings"
)

// The parameters the item-by-item check before a request (the plan) leaves for the card
// and the execution. Invite, team add and team remove set both; an action that does not
// set them is executed as if every item were to change.
const (
	// ParamNoChange lists, as a JSON array, the items the check found already as asked
	// (already a member, already in the team, not in the team): the card shows them as
	// "no change" and the execution sends nothing for them. Its presence, even as "[]",
	// says the items were checked, so the execution can tell "changed since the card
	// was posted" from "never checked" (a request stored before the check existed).
	ParamNoChange = "no_change"
	// ParamSummary is one plain-text line saying what the request will really change,
	// e.g. "adds 2 to ent:platform; 1 already a member". Escape it for mrkdwn.
	ParamSummary = "summary"
)

// ItemKey is how items are compared: emails and GitHub logins ignore case and
// surrounding space.
func ItemKey(item string) string { return strings.ToLower(strings.TrimSpace(item)) }

// NoChangeParam encodes the items found already as asked for ParamNoChange.
func NoChangeParam(items []string) string {
	if items == nil {
		items = []string{}
	}
	b, err := json.Marshal(items)
	if err != nil { // a []string always encodes
		return "[]"
	}
	return string(b)
}

// NoChange returns the items the check before the request found already as asked, by
// ItemKey, and whether the request was checked item by item at all. An unreadable
// parameter counts as checked with no item unchanged: every item is then sent, which
// the actions' own re-check keeps harmless.
func (r Request) NoChange() (same map[string]bool, checked bool) {
	raw, ok := r.Params[ParamNoChange]
	if !ok {
		return nil, false
	}
	var items []string
	if err := json.Unmarshal([]byte(raw), &items); err != nil {
		return map[string]bool{}, true
	}
	same = make(map[string]bool, len(items))
	for _, it := range items {
		same[ItemKey(it)] = true
	}
	return same, true
}
