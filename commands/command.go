// Package commands is the /devin grammar and the commands behind it. Each command lives
// in its own file: its parsed type, its spec (grammar, help, what it needs) and how it
// runs. registry.go lists them in help order; the Router parses a line once and runs the
// command it names. Parsing is pure: no I/O, no clock, no state.
package commands

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"time"

	"devin-chatops/slackui"
)

// Command is one parsed /devin request.
type Command interface {
	// Name is the command as typed after /devin, e.g. "team add".
	Name() string
	// Changes reports whether the command changes access, so it must be approved first.
	Changes() bool
}

// spec describes one /devin command. It is the one source for parsing, for the usage
// lines that errors show, for help and for running, so they cannot drift apart.
type spec struct {
	name    string // the words after /devin that select it, e.g. "team add"
	args    string // positional arguments as usage shows them, e.g. "TEAM LOGIN…"
	flags   []flagSpec
	summary string   // one line for the overview
	details []string // extra lines for `/devin help COMMAND`
	example string   // a complete, valid command line (tests parse every one)
	changes bool     // needs approval before it runs
	needs   backend  // what must be configured for it to run
	build   func(*input) (Command, error)
	run     runFunc
}

// flagSpec describes one --flag of a command.
type flagSpec struct {
	name  string // without the dashes
	value string // placeholder for its value; empty for a switch such as --post
	help  string
}

// usage is the command's usage line, e.g. "/devin team list TEAM".
func (s *spec) usage() string {
	var b strings.Builder
	b.WriteString("/devin ")
	b.WriteString(s.name)
	if s.args != "" {
		b.WriteString(" ")
		b.WriteString(s.args)
	}
	for _, f := range s.flags {
		b.WriteString(" [")
		b.WriteString(f.usage())
		b.WriteString("]")
	}
	return b.String()
}

// usage is the flag as typed: "--org ORG", or "--post" for a switch.
func (f flagSpec) usage() string {
	if f.value == "" {
		return "--" + f.name
	}
	return "--" + f.name + " " + f.value
}

// verb is the first word of the command's name: "team" for "team add".
func (s *spec) verb() string {
	v, _, _ := strings.Cut(s.name, " ")
	return v
}

func (s *spec) flag(name string) *flagSpec {
	for i := range s.flags {
		if s.flags[i].name == name {
			return &s.flags[i]
		}
	}
	return nil
}

// findSpec is the command of table called name, or nil.
func findSpec(table []spec, name string) *spec {
	for i := range table {
		if table[i].name == name {
			return &table[i]
		}
	}
	return nil
}

// backend is a set of the services a command needs configured before it can run.
type backend uint8

const (
	needsApprovals backend = 1 << iota
	needsDevin
	needsGitHub
	// needsReports: the usage reports, built on the Devin API.
	needsReports
	// needsGitConnection: the Devin git connection repository permissions are granted
	// on (DEVIN_GIT_CONNECTION_ID).
	needsGitConnection
)

// Messages for what is not configured. They name the settings to fix it.
const (
	msgDevinNotConfigured     = "Devin commands are not configured: set DEVIN_API_KEY."
	msgGitHubNotConfigured    = "Team commands are not configured: set GITHUB_TOKEN and GITHUB_ENTERPRISE."
	msgApprovalsNotConfigured = "Approvals are not configured."
	msgGitConnectionMissing   = "Repository permissions are not configured: set DEVIN_GIT_CONNECTION_ID to the Devin git connection they are granted on."
)

// missing names the first of the needed backends that have lacks, or is "" when none
// is missing. Approvals come first: without them no change can be requested at all.
func (needs backend) missing(have backend) string {
	switch lacking := needs &^ have; {
	case lacking&needsApprovals != 0:
		return msgApprovalsNotConfigured
	case lacking&(needsDevin|needsReports) != 0:
		return msgDevinNotConfigured
	case lacking&needsGitHub != 0:
		return msgGitHubNotConfigured
	case lacking&needsGitConnection != 0:
		return msgGitConnectionMissing
	}
	return ""
}

// runEnv is what a command runs with. The backends a command's spec needs are set;
// the others may be nil.
type runEnv struct {
	devin           DevinAPI
	github          GitHubAPI
	usage           UsageReports
	approvals       Approvals
	desk            RequestDesk
	approvalChannel string
	gitConnectionID string
	grantMax        time.Duration
	devinVersion    string // "v3" when the Devin credential is a service user's
	grants          GrantLister
	now             time.Time
	log             *slog.Logger
	// enabled are the commands that can run, in help order; have is what is configured.
	enabled []spec
	have    backend
}

// call is one slash command as a command sees it.
type call struct {
	user    string // Slack user ID
	channel string // where it was typed
}

// runFunc runs a parsed command. requestID is set when a change was submitted for
// approval.
type runFunc func(ctx context.Context, env *runEnv, c call, cmd Command) (reply slackui.Reply, requestID string, err error)

// notWired is a command the router has no run for, or one whose spec builds one type
// and runs another: a programming error, and one that must not look like the user's
// fault.
func notWired(name string) error {
	return &failure{msg: "That command is not wired up yet.", err: errors.New("no handler for " + name)}
}

// runs adapts a run function over the command's own type C.
func runs[C Command](run func(ctx context.Context, env *runEnv, c call, cmd C) (slackui.Reply, string, error)) runFunc {
	return func(ctx context.Context, env *runEnv, c call, cmd Command) (slackui.Reply, string, error) {
		typed, ok := cmd.(C)
		if !ok {
			return slackui.Reply{}, "", notWired(cmd.Name())
		}
		return run(ctx, env, c, typed)
	}
}

// answers adapts the run function of a read-only command over C, which submits nothing.
func answers[C Command](run func(ctx context.Context, env *runEnv, cmd C) (slackui.Reply, error)) runFunc {
	return runs(func(ctx context.Context, env *runEnv, _ call, cmd C) (slackui.Reply, string, error) {
		reply, err := run(ctx, env, cmd)
		return reply, "", err
	})
}
