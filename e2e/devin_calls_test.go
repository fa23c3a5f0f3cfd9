package e2e

import (
	"net/url"
	"sort"
	"strings"

	"devin-chatops/internal/harness"
)

// The Devin API calls of a test, named by operation rather than by path, so one
// assertion holds whichever API version the suite runs against (E2E_DEVIN_API_VERSION).

// devinOps lists the Devin API calls from the from-th on as "operation", followed by
// the path parameters' values in name order and an email filter if any:
// "orgs.members.list org-eng", "members.list?email=ada@example.com".
func devinOps(env *harness.Env, from int) []string {
	var out []string
	for _, r := range env.Devin.Requests()[from:] {
		out = append(out, describeCall(string(r.Op), r.Params, r.RawQuery))
	}
	return out
}

func describeCall(op string, params map[string]string, rawQuery string) string {
	names := make([]string, 0, len(params))
	for n := range params {
		names = append(names, n)
	}
	sort.Strings(names)
	parts := []string{op}
	for _, n := range names {
		parts = append(parts, params[n])
	}
	call := strings.Join(parts, " ")
	if q, err := url.ParseQuery(rawQuery); err == nil && q.Get("email") != "" {
		call += "?email=" + q.Get("email")
	}
	return call
}

// devinWrites counts the calls so far that could change something at Devin: every
// method but GET.
func devinWrites(env *harness.Env) int {
	n := 0
	for _, r := range env.Devin.Requests() {
		if r.Method != "GET" {
			n++
		}
	}
	return n
}

// isV3 says whether the suite runs against Devin API v3.
func isV3(env *harness.Env) bool { return env.DevinAPIVersion == "v3" }

// devinOrgUsageCall is the call that reads one organization's consumption this
// cycle: v2's daily consumption (filtered by org), v3's per-organization daily.
func devinOrgUsageCall(env *harness.Env, orgID string) string {
	if isV3(env) {
		return "consumption.daily.org " + orgID
	}
	return "consumption.daily"
}

// sessionStatus is how a session the fake stores with a v2 status shows: v3 has its
// own status words (a finished session has "exit", a blocked one is "suspended").
func sessionStatus(env *harness.Env, v2 string) string {
	if !isV3(env) {
		return v2
	}
	switch v2 {
	case "finished":
		return "exit"
	case "blocked":
		return "suspended"
	}
	return v2
}
