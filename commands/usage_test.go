package commands

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/apiclient"
	"devin-chatops/apiclient/devin"
	"devin-chatops/clock/clocktest"
	"devin-chatops/reports"
	"devin-chatops/slackui"
	"devin-chatops/usage"
)

var (
	aprilCycle = devin.Cycle{Start: time.Date(2024, 4, 1, 8, 0, 0, 0, time.UTC), End: time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC)}
	mayCycle   = devin.Cycle{Start: time.Date(2024, 5, 1, 8, 0, 0, 0, time.UTC), End: time.Date(2024, 6, 1, 8, 0, 0, 0, time.UTC)}
)

func usageEnv() *env {
	e := newEnv()
	e.devin.cycles = []devin.Cycle{aprilCycle, mayCycle}
	e.devin.orgs = []devin.Organization{
		{ID: "org_1", Name: "Platform", MaxCycleACULimit: intp(1000)},
		{ID: "org_2", Name: "Research"},
		{ID: "org_3", Name: "Frozen", MaxCycleACULimit: intp(0)},
		{ID: "org_4", Name: "Idle"},
	}
	byUser := map[string]float64{"u_unknown": 0.5}
	for i := range 11 {
		id := fmt.Sprintf("u%02d", i)
		byUser[id] = float64(10 * (i + 1))
		e.devin.members = append(e.devin.members, devin.Member{UserID: id, Email: id + "@example.com"})
	}
	byUser["u_unknown"] = 200
	e.devin.cons = &devin.Consumption{
		TotalACUs: 1234.56,
		ByOrg:     map[string]float64{"org_1": 500, "org_2": 300.25, "org_x": 10},
		ByUser:    byUser,
		ByDate:    map[string]float64{"2024-05-01": 600, "2024-05-05": 400, "2024-05-12": 234.56},
	}
	return e
}

// fakeSlackFiles records what the usage command posts and uploads.
type fakeSlackFiles struct {
	mu      sync.Mutex
	posts   []string // channel: text
	uploads []string // channel: file name
	postErr error
}

func (f *fakeSlackFiles) Post(_ context.Context, channel string, m slackui.Message) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.postErr != nil {
		return "", f.postErr
	}
	f.posts = append(f.posts, channel+": "+m.Text)
	return "1.0", nil
}

func (f *fakeSlackFiles) Upload(_ context.Context, channel string, file slackui.File) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.uploads = append(f.uploads, channel+": "+file.Name)
	return "F1", nil
}

func (f *fakeSlackFiles) UploadDM(ctx context.Context, user string, file slackui.File) (string, error) {
	return f.Upload(ctx, "DM "+user, file)
}

// withReports gives the env a real report service over its fake Devin.
func withReports(e *env) *fakeSlackFiles {
	files := &fakeSlackFiles{}
	clk := clocktest.New(testNow)
	chart := func(usage.Report) ([]byte, error) { return []byte("png"), nil }
	e.deps.Usage = reports.NewService(reports.NewFetcher(e.devin, clk, nil, 0), usage.Options{}, nil, reports.NewPublisher(files, chart), clk, nil)
	return files
}

func TestUsageReport(t *testing.T) {
	e := usageEnv()
	files := e.files
	r := e.run(t, "usage")
	text := blocksText(r.Message)
	assert.True(t, strings.HasPrefix(r.Text, "Devin usage · May 1 – May 31: 1,234.6 ACUs"), r.Text)
	assertInOrder(t, text, []string{
		"*1,234.6 ACUs* · day 12 of 31",
		"*Daily ACUs* May 1 → May 12",
		"*By organization*",
		"• *Platform* — 500 of 1,000 (50%)",
		"• *Research* — 300.3 (no limit)",
		"• `org_x` — 10 (not in the organizations listing)",
		"• *Frozen* — 0 of a limit of 0 (usage blocked)",
		"• _Not in any organization_ (Cascade, Terminal) — 424.3",
		"*Top 10 users*",
		"1. `u_unknown` — 200 _(no longer a member)_",
		"2. u10@example.com — 110",
		"10. u02@example.com — 30",
		"_The chart is in your direct messages with the bot._",
	})
	assert.NotContains(t, text, "Idle", "an org with no usage and no limit is noise")
	assert.NotContains(t, text, "u01@example.com", "only the top 10")
	assert.False(t, r.InChannel)
	assert.Equal(t, []string{"DM U1: devin-usage-2024-05-01.png"}, files.uploads)
	assert.Equal(t, devin.ConsumptionQuery{Start: mayCycle.Start, End: testNow, TopUsers: 10}, e.devin.consQueries[0],
		"the report reads the top 10 users only, which v3 finds without reading every user")
}

func TestUsagePost(t *testing.T) {
	e := usageEnv()
	files := e.files
	r := e.run(t, "usage --post")
	assert.False(t, r.InChannel, "the bot posted the report itself; the reply only confirms")
	assert.Equal(t, ":white_check_mark: Usage report posted.", r.Text)
	require.Len(t, files.posts, 1)
	assert.Contains(t, files.posts[0], "C1: Devin usage · May 1 – May 31")
	assert.Equal(t, []string{"C1: devin-usage-2024-05-01.png"}, files.uploads)
	assert.Equal(t, outcomeOK, e.audit.last(t).Outcome)
}

func TestUsagePostWhereTheBotIsNotMember(t *testing.T) {
	e := usageEnv()
	files := e.files
	files.postErr = &slackui.Error{Kind: slackui.Permanent, Method: "chat.postMessage", Code: "not_in_channel"}
	r := e.run(t, "usage --post")
	assert.True(t, r.InChannel, "the report still answers in the channel")
	assert.Contains(t, blocksText(r.Message), "Invite the bot to this channel to get the chart")
	assert.Empty(t, files.uploads)
}

func TestUsageCycleAndOrg(t *testing.T) {
	e := usageEnv()
	r := e.run(t, "usage --cycle previous")
	assert.Contains(t, r.Text, "Devin usage · Apr 1 – Apr 30")
	assert.Contains(t, blocksText(r.Message), "complete cycle")
	assert.Equal(t, aprilCycle.Start, e.devin.consQueries[0].Start)

	e = usageEnv()
	r = e.run(t, "usage --org platform")
	text := blocksText(r.Message)
	assert.Contains(t, r.Text, "Devin usage · May 1 – May 31 · Platform")
	assert.NotContains(t, text, "By organization")
	assert.Equal(t, []string{"org_1"}, e.devin.consQueries[0].OrgIDs)

	e = usageEnv()
	r = e.run(t, "usage --org platfrom")
	assert.Equal(t, "No organization is called *platfrom*. Did you mean *Platform*? `/devin orgs` lists them.", r.Text)
	assert.Equal(t, outcomeRefused, e.audit.last(t).Outcome)

	e = usageEnv()
	e.devin.cycles = []devin.Cycle{mayCycle}
	r = e.run(t, "usage --cycle previous")
	assert.Equal(t, "Cannot build that report: there is no complete billing cycle before this one.", r.Text)
}

func TestUsageNamesAreOptional(t *testing.T) {
	e := usageEnv()
	e.devin.orgsErr = apiErr(devin.APIName, apiclient.KindServer, 502)
	e.devin.membersErr = apiErr(devin.APIName, apiclient.KindRateLimited, 429)
	r := e.run(t, "usage")
	text := blocksText(r.Message)
	assert.Contains(t, text, "• `org_1` — 500 (not in the organizations listing)", "no limit is claimed when the limits are unknown")
	assert.Contains(t, text, "2. `u10` — 110\n")
	assert.Contains(t, text, "Organization names and limits could not be read: Devin API is having trouble (502); try again in a few minutes.")
	assert.Contains(t, text, "Member names could not be read: Devin API is rate limiting the bot; try again in 30 seconds.")
	assert.Equal(t, outcomeOK, e.audit.last(t).Outcome)
}

func TestUsageAPIFailureIsReadable(t *testing.T) {
	e := usageEnv()
	e.devin.consErr = apiErr(devin.APIName, apiclient.KindServer, 503)
	r := e.run(t, "usage")
	assert.Contains(t, r.Text, "Devin API is having trouble (503)")
}

func TestUsageHostileNames(t *testing.T) {
	e := usageEnv()
	e.devin.orgs[0].Name = "<!channel>"
	e.devin.members[10].Email = "<@U1>"
	r := e.run(t, "usage")
	assert.NotContains(t, textOf(r.Message), "<!channel>")
	assert.NotContains(t, textOf(r.Message), "<@U1>")
	assert.Contains(t, blocksText(r.Message), "&lt;!channel&gt;")
}

func TestParseUsageAccepts(t *testing.T) {
	assertParses(t, []parseCase{
		{"usage", "usage", Usage{}},
		{"usage --post", "usage --post", Usage{Post: true}},
		{"usage em-dash flag", "usage —post", Usage{Post: true}},
		{"previous cycle", "usage --cycle previous", Usage{Previous: true}},
		{"current cycle", "usage --cycle CURRENT", Usage{}},
		{"one org", "usage --org Platform --post", Usage{Org: "Platform", Post: true}},
	})
}
