package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"devin-chatops/approvalslack"
	"devin-chatops/commands"
	"devin-chatops/internal/harness"
	slacksandbox "devin-chatops/internal/sandbox/slack"
	"devin-chatops/slackui"
)

// manifestMethodScopes is every Slack Web API method the bot may call, with the bot
// scope it needs ("" when it needs none: auth.test works with any token, views.open
// with a trigger_id, apps.connections.open with the app-level token's
// connections:write, which is not a bot scope).
var manifestMethodScopes = map[string]string{
	"chat.postMessage":      "chat:write",
	"chat.update":           "chat:write",
	"chat.postEphemeral":    "chat:write",
	"conversations.open":    "im:write",
	"users.info":            "users:read",
	"usergroups.users.list": "usergroups:read",
	"views.open":            "",
	"auth.test":             "",
	"apps.connections.open": "",

	"files.getUploadURLExternal":   "files:write",
	"files.completeUploadExternal": "files:write",
}

// manifest is the part of manifest.yaml the bot depends on.
type manifest struct {
	Features struct {
		SlashCommands []struct {
			Command      string `yaml:"command"`
			Description  string `yaml:"description"`
			UsageHint    string `yaml:"usage_hint"`
			ShouldEscape *bool  `yaml:"should_escape"`
		} `yaml:"slash_commands"`
	} `yaml:"features"`
	OAuthConfig struct {
		Scopes struct {
			Bot  []string `yaml:"bot"`
			User []string `yaml:"user"`
		} `yaml:"scopes"`
	} `yaml:"oauth_config"`
	Settings struct {
		Interactivity struct {
			IsEnabled bool `yaml:"is_enabled"`
		} `yaml:"interactivity"`
		SocketModeEnabled  bool `yaml:"socket_mode_enabled"`
		EventSubscriptions *struct {
			BotEvents []string `yaml:"bot_events"`
		} `yaml:"event_subscriptions"`
	} `yaml:"settings"`
}

func readManifest(t *testing.T) ([]byte, manifest) {
	t.Helper()
	raw, err := os.ReadFile("manifest.yaml")
	require.NoError(t, err)
	var m manifest
	require.NoError(t, yaml.Unmarshal(raw, &m))
	return raw, m
}

// manifestSchemaPath looks for shared/reference/slack-manifest.schema.json beside the
// module or any directory above it (the repository lives in main/, next to shared/).
func manifestSchemaPath(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	require.NoError(t, err)
	for {
		p := filepath.Join(dir, "shared", "reference", "slack-manifest.schema.json")
		if _, err := os.Stat(p); err == nil {
			return p
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return ""
		}
		dir = parent
	}
}

// manifestRegexp compiles the schema's ECMA-262 patterns with Go's regexp. Two of them
// (unfurl and outgoing domains) open with a negative lookahead, "^(?!X)Y", which RE2
// lacks; that form means exactly "X does not match at the start, and ^Y matches", and is
// evaluated so. Any other syntax RE2 lacks fails the compile, and so the test.
func manifestRegexp(pattern string) (jsonschema.Regexp, error) {
	rest, ok := strings.CutPrefix(pattern, "^(?!")
	if !ok {
		return regexp.Compile(pattern)
	}
	depth, end, inClass := 1, -1, false
	for i := 0; i < len(rest) && end < 0; i++ {
		switch c := rest[i]; {
		case c == '\\':
			i++
		case inClass:
			inClass = c != ']'
		case c == '[':
			inClass = true
		case c == '(':
			depth++
		case c == ')':
			if depth--; depth == 0 {
				end = i
			}
		}
	}
	if end < 0 {
		return nil, fmt.Errorf("unbalanced lookahead in %q", pattern)
	}
	not, err := regexp.Compile("^(?:" + rest[:end] + ")")
	if err != nil {
		return nil, err
	}
	must, err := regexp.Compile("^" + rest[end+1:])
	if err != nil {
		return nil, err
	}
	return lookahead{src: pattern, not: not, must: must}, nil
}

type lookahead struct {
	src       string
	not, must *regexp.Regexp
}

func (l lookahead) MatchString(s string) bool { return !l.not.MatchString(s) && l.must.MatchString(s) }
func (l lookahead) String() string            { return l.src }

func TestManifestRegexpLookahead(t *testing.T) {
	re, err := manifestRegexp(`^(?![\.\-])([-a-z0-9\.])+([a-z0-9])$`)
	require.NoError(t, err)
	for s, want := range map[string]bool{
		"example.com": true, "a-b.example.com": true,
		".example.com": false, "-example.com": false, "example.com-": false, "Example.com": false,
	} {
		assert.Equal(t, want, re.MatchString(s), s)
	}
	_, err = manifestRegexp(`^(?<=x)y`)
	assert.Error(t, err, "syntax RE2 lacks must not be accepted silently")
}

// TestManifestMatchesSlackSchema validates manifest.yaml against Slack's manifest
// schema, as Slack does when the app is created from it.
func TestManifestMatchesSlackSchema(t *testing.T) {
	schemaPath := manifestSchemaPath(t)
	if schemaPath == "" {
		t.Skip("../shared/reference/slack-manifest.schema.json not found: manifest.yaml not validated against Slack's schema")
	}
	f, err := os.Open(schemaPath)
	require.NoError(t, err)
	defer f.Close()
	schemaDoc, err := jsonschema.UnmarshalJSON(f)
	require.NoError(t, err)
	c := jsonschema.NewCompiler()
	c.DefaultDraft(jsonschema.Draft7) // Slack's v1 schema is written against draft-07
	c.UseRegexpEngine(manifestRegexp)
	require.NoError(t, c.AddResource("slack-manifest.schema.json", schemaDoc))
	schema, err := c.Compile("slack-manifest.schema.json")
	require.NoError(t, err)

	raw, _ := readManifest(t)
	var doc any
	require.NoError(t, yaml.Unmarshal(raw, &doc))
	// Through JSON, so the instance has JSON's types (float64 numbers, string keys).
	js, err := json.Marshal(doc)
	require.NoError(t, err)
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(js))
	require.NoError(t, err)
	assert.NoError(t, schema.Validate(inst))

	// The check can fail: a manifest Slack would refuse is refused here too.
	bad := map[string]any{}
	require.NoError(t, json.Unmarshal(js, &bad))
	bad["settings"].(map[string]any)["socket_mode_enabled"] = "yes"
	badJS, err := json.Marshal(bad)
	require.NoError(t, err)
	badInst, err := jsonschema.UnmarshalJSON(bytes.NewReader(badJS))
	require.NoError(t, err)
	assert.Error(t, schema.Validate(badInst), "the schema must reject a non-boolean socket_mode_enabled")
}

// TestManifestRuntimeSettings checks what the bot relies on: Socket Mode (no public
// URL), interactivity (the Approve and Deny buttons, the deny modal) and /devin with a
// usage hint that names only real commands.
func TestManifestRuntimeSettings(t *testing.T) {
	_, m := readManifest(t)
	assert.True(t, m.Settings.SocketModeEnabled, "socket_mode_enabled")
	assert.True(t, m.Settings.Interactivity.IsEnabled, "interactivity.is_enabled")
	assert.Nil(t, m.Settings.EventSubscriptions, "the bot handles no Events API events; subscribing would need scopes it does not use")

	require.Len(t, m.Features.SlashCommands, 1)
	sc := m.Features.SlashCommands[0]
	assert.Equal(t, "/devin", sc.Command)
	assert.NotEmpty(t, sc.Description)
	require.NotEmpty(t, sc.UsageHint)
	for _, alt := range strings.Split(sc.UsageHint, "|") {
		word := strings.Fields(alt)[0]
		_, err := commands.Parse("help " + word)
		assert.NoError(t, err, "usage_hint names %q, which /devin help does not know", word)
	}
	assert.Empty(t, m.OAuthConfig.Scopes.User, "the bot needs no user token")
}

// TestManifestScopesCoverWhatTheBotCalls runs the bot against the fake Slack through a
// few commands and a full approval cycle (refused click, approval through a user group,
// deny through the modal), then checks that every Web API method the bot called is one
// whose scope the manifest lists, and that the manifest lists no scope the bot did not
// need (least privilege).
func TestManifestScopesCoverWhatTheBotCalls(t *testing.T) {
	_, m := readManifest(t)
	scopes := m.OAuthConfig.Scopes.Bot

	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	env, err := harness.Start(ctx, harness.Options{Slack: slacksandbox.Options{T: t}})
	require.NoError(t, err)
	defer func() { require.NoError(t, env.Close()) }()
	s := env.Slack

	for _, text := range []string{"help", "members", "teams", "usage", "requests"} {
		_, err := s.SlashCommand(harness.Requester, harness.GeneralChannel, text).WaitResponse(ctx)
		require.NoError(t, err, "/devin %s", text)
	}
	card := func(email string) slacksandbox.Message {
		t.Helper()
		_, err := s.SlashCommand(harness.Requester, harness.GeneralChannel, "invite "+email+" --reason scopes").WaitResponse(ctx)
		require.NoError(t, err)
		c, err := s.WaitMessage(ctx, func(m slacksandbox.Message) bool {
			return m.Channel == harness.ApprovalChannel && strings.Contains(m.AllText(), email) && len(m.Buttons()) == 2
		})
		require.NoError(t, err)
		return c
	}
	decided := func(c slacksandbox.Message) {
		t.Helper()
		_, err := s.WaitMessage(ctx, func(m slacksandbox.Message) bool {
			return m.Channel == c.Channel && m.TS == c.TS && m.Updates > 0 && len(m.Buttons()) == 0
		})
		require.NoError(t, err, "card %s was not updated", c.TS)
	}

	// Mallory is no approver: refused, in an ephemeral beside the card. Carol approves
	// through the admins user group; the requester hears the outcome by DM.
	first := card("scopes.one@example.com")
	_, err = s.ClickButton(harness.Mallory, first.Channel, first.TS, approvalslack.ActionIDApprove)
	require.NoError(t, err)
	_, err = s.WaitEphemeral(ctx, func(e slacksandbox.Ephemeral) bool { return e.User == harness.Mallory })
	require.NoError(t, err)
	_, err = s.ClickButton(harness.Carol, first.Channel, first.TS, approvalslack.ActionIDApprove)
	require.NoError(t, err)
	decided(first)
	_, err = s.WaitMessage(ctx, func(m slacksandbox.Message) bool {
		return strings.HasPrefix(m.Channel, "D") && strings.Contains(m.AllText(), "scopes.one@example.com")
	})
	require.NoError(t, err, "the requester is told the outcome by DM")

	// Alice denies through the reason modal.
	second := card("scopes.two@example.com")
	click, err := s.ClickButton(harness.Alice, second.Channel, second.TS, approvalslack.ActionIDDeny)
	require.NoError(t, err)
	view, err := s.WaitView(ctx, func(v slacksandbox.View) bool { return v.User == harness.Alice && !v.Closed })
	require.NoError(t, err, "the deny modal opens (trigger %s)", click.TriggerID)
	_, err = s.SubmitView(harness.Alice, view.ID, map[string]map[string]string{
		approvalslack.DenyReasonBlockID: {approvalslack.DenyReasonActionID: "not needed"},
	})
	require.NoError(t, err)
	decided(second)
	_, err = s.WaitMessage(ctx, func(m slacksandbox.Message) bool {
		return m.Channel == harness.AuditChannel && strings.Contains(m.AllText(), "not needed")
	})
	require.NoError(t, err, "the denial is echoed to the audit channel")

	// The usage report's chart is shared through the poster's Upload: one goes out
	// through the bot's own poster, so files:write is checked like every other scope.
	_, err = env.App.Poster.Upload(ctx, harness.GeneralChannel, slackui.File{
		Name: "usage.png", Title: "Usage", Data: []byte("\x89PNG\r\n\x1a\n"),
	})
	require.NoError(t, err, "the chart upload")

	called := s.Methods()
	t.Logf("Web API methods called: %s", strings.Join(called, ", "))
	needed := map[string]bool{}
	if len(m.Features.SlashCommands) > 0 {
		needed["commands"] = true
	}
	for _, method := range called {
		scope, known := manifestMethodScopes[method]
		if !assert.True(t, known, "the bot called %s, which the scope table does not know", method) {
			continue
		}
		if scope != "" {
			needed[scope] = true
			assert.Contains(t, scopes, scope, "the bot calls %s, which needs %s", method, scope)
		}
	}
	for _, scope := range scopes {
		assert.True(t, needed[scope], "manifest.yaml asks for %s, which nothing the bot calls needs", scope)
	}
	for _, method := range []string{"auth.test", "apps.connections.open", "chat.postMessage", "chat.update",
		"chat.postEphemeral", "conversations.open", "usergroups.users.list", "views.open",
		"files.getUploadURLExternal", "files.completeUploadExternal"} {
		assert.True(t, slices.Contains(called, method), "the run did not exercise %s", method)
	}
}
