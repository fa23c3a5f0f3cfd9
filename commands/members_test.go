package commands

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/apiclient/devin"
)

func TestMembers(t *testing.T) {
	login := time.Date(2024, 5, 1, 9, 30, 0, 0, time.UTC)
	ada := devin.Member{UserID: "u1", Email: "ada@example.com", Name: "Ada Lovelace", Role: "account_admin", LastLogin: timep(login)}
	bob := devin.Member{UserID: "u2", Email: "Bob@example.com", Name: "", Role: "account_member", LastLoginKnown: true}
	cy := devin.Member{UserID: "u3", Email: "cy@example.com", Name: "Cy", Role: "account_member"}
	tests := []struct {
		name    string
		text    string
		members []devin.Member
		want    []string // in this order
		notWant []string
		query   string
	}{
		{name: "all members sorted by email", text: "members", members: []devin.Member{cy, bob, ada},
			want: []string{"*3 members* in the Devin enterprise",
				"• *Ada Lovelace* — ada@example.com — account_admin — last login 2024-05-01",
				"• Bob@example.com — account_member — never logged in",
				"• *Cy* — cy@example.com — account_member"},
			// Cy's API reports no logins (v3): nothing is said about them.
			notWant: []string{"cy@example.com — account_member — "}},
		{name: "one member", text: "members", members: []devin.Member{ada}, want: []string{"*1 member* in"}},
		{name: "no members", text: "members", want: []string{"*0 members*", "The enterprise has no members."}},
		{name: "by email", text: "members --email ADA@example.com", members: []devin.Member{ada},
			want: []string{"*Member with the email address* `ada@example.com`", "*Ada Lovelace*"}, query: "ada@example.com"},
		{name: "by email, the API ignoring the filter", text: "members --email ada@example.com", members: []devin.Member{cy, ada, bob},
			want: []string{"*Ada Lovelace*"}, notWant: []string{"cy@example.com", "Bob@"}, query: "ada@example.com"},
		{name: "by email, nobody", text: "members --email zed@example.com", members: []devin.Member{ada},
			want: []string{"No member of the Devin enterprise has the email address `zed@example.com`."}, query: "zed@example.com"},
		{name: "hostile member data is inert", text: "members", members: []devin.Member{
			{UserID: "u9", Email: "<@U999>@evil.io", Name: "<!channel> *boss*", Role: "<https://evil.io|admin>"}},
			want:    []string{"*&lt;!channel&gt; boss*", "&lt;@U999&gt;@evil.io", "&lt;https://evil.io|admin&gt;"},
			notWant: []string{"<!channel>", "<@U999>", "<https://evil.io"}},
		{name: "a member without email shows the user id", text: "members", members: []devin.Member{{UserID: "email|abc", Name: "X"}},
			want: []string{"*X* — email|abc"}},
		{name: "multi-line names stay on one line", text: "members", members: []devin.Member{{UserID: "u1", Email: "a@x.io", Name: "A\n• fake line"}},
			want: []string{"*A • fake line* — a@x.io"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv()
			e.devin.members = tt.members
			r := e.run(t, tt.text)
			text := blocksText(r.Message)
			assertInOrder(t, text, tt.want)
			for _, nw := range tt.notWant {
				assert.NotContains(t, textOf(r.Message), nw)
			}
			require.Len(t, e.devin.memberQueries, 1)
			assert.Equal(t, tt.query, e.devin.memberQueries[0].Email)
			assert.False(t, r.InChannel)
			assert.Equal(t, outcomeOK, e.audit.last(t).Outcome)
		})
	}
}

func TestMembersBlockKitLimits(t *testing.T) {
	for _, name := range []string{"Member", strings.Repeat("&", 80), strings.Repeat("长", 200)} {
		e := newEnv()
		for i := range 2000 {
			e.devin.members = append(e.devin.members, devin.Member{
				UserID: fmt.Sprint(i), Email: fmt.Sprintf("user%04d@example.com", i), Name: name, Role: "account_member"})
		}
		r := e.run(t, "members") // checkLimits runs on every reply
		text := blocksText(r.Message)
		assert.Contains(t, text, "*2,000 members*")
		assert.Contains(t, text, "user0000@example.com")
		assert.Regexp(t, `…and 1,?9\d\d more \(use `+"`--email`"+` to look one up\)`, text)
		assert.LessOrEqual(t, len(r.Blocks), 10)
	}
}

// assertInOrder checks that text holds every want, in order.
func assertInOrder(t *testing.T, text string, want []string) {
	t.Helper()
	rest := text
	for _, w := range want {
		i := strings.Index(rest, w)
		if !assert.GreaterOrEqual(t, i, 0, "want %q (in order) in:\n%s", w, text) {
			return
		}
		rest = rest[i+len(w):]
	}
}

func TestParseMembersAccepts(t *testing.T) {
	assertParses(t, []parseCase{
		{"members", "members", Members{}},
		{"members --email, lower-cased", "members --email Ada@Example.COM", Members{Email: "ada@example.com"}},
		{"members --email=", "members --email=ada@example.com", Members{Email: "ada@example.com"}},
		{"members --email as a Slack mailto", "members --email <mailto:ada@example.com|ada@example.com>", Members{Email: "ada@example.com"}},
		{"members --email= as a Slack mailto", "members --email=<mailto:ada@example.com|ada@example.com>", Members{Email: "ada@example.com"}},
	})
}
