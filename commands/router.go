package commands

import (
	"context"
	"errors"
	"log/slog"
	"reflect"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"devin-chatops/apiclient"
	"devin-chatops/approvals"
	"devin-chatops/audit"
	"devin-chatops/slackui"
)

// DevinAPI is every Devin Enterprise API call the commands make (*devin.Client).
type DevinAPI interface {
	MemberLister
	OrgLister
	OrgFinder
	CycleLister
	ConsumptionReader
	AuditLogReader
}

// GitHubAPI is every GitHub Enterprise Teams API call the commands make (*github.Client).
type GitHubAPI interface {
	TeamLister
	TeamGetter
	TeamMemberLister
}

// Approvals is every approval-service call the router makes (*approvals.Service).
type Approvals interface {
	RequesterChecker
	Submitter
	PendingLister
	ClickHandler
}

// ClickHandler acts on the approval card's buttons and the deny-reason modal; it
// reports whether the interaction was one of those.
type ClickHandler interface {
	HandleInteraction(ctx context.Context, cb slack.InteractionCallback) bool
}

// AuditAppender stores audit events with their outbox entries (*store.DB).
type AuditAppender interface {
	AppendAudit(ctx context.Context, events ...audit.Event) error
}

// Kicker wakes the audit echoer after an event was stored (*audit.Echoer).
type Kicker interface{ Kick() }

// Deps are the router's collaborators. A nil Devin or GitHub means that API is not
// configured, and the commands that need it say so; a nil Approvals means no change
// can be requested.
type Deps struct {
	Devin     DevinAPI
	GitHub    GitHubAPI
	Approvals Approvals
	// Audit records one event per command; Kicker, optional, is told after each.
	Audit  AuditAppender
	Kicker Kicker
	// ApprovalChannel is the channel ID the "waiting for approval in #…" reply names.
	ApprovalChannel string
	// CommandTimeout bounds one command's API calls (default 25 s). The reply goes
	// through response_url, which stays valid for 30 minutes, so this is about not
	// leaving a user waiting, not about Slack's 3-second ack.
	CommandTimeout time.Duration
}

const (
	defaultCommandTimeout = 25 * time.Second
	// auditWriteTimeout bounds the audit write that follows a command, which runs even
	// when the command itself ran out of time.
	auditWriteTimeout = 5 * time.Second
	// maxAuditDetail is how much of the typed command an audit event keeps.
	maxAuditDetail = 1000
)

// Messages for what is not configured. They name the settings to fix it.
const (
	msgDevinNotConfigured     = "Devin commands are not configured: set DEVIN_API_KEY."
	msgGitHubNotConfigured    = "Team commands are not configured: set GITHUB_TOKEN and GITHUB_ENTERPRISE."
	msgApprovalsNotConfigured = "Approvals are not configured."
)

// Audit outcomes of a command event.
const (
	outcomeOK      = "ok"
	outcomeRefused = "refused"
	outcomeError   = "error"
)

// Router answers /devin slash commands and routes the approval card's interactions. It
// implements the bot's Handler. It is safe for concurrent use: it holds no mutable state.
type Router struct {
	deps    Deps
	log     *slog.Logger
	now     func() time.Time
	timeout time.Duration
}

// NewRouter builds a Router. A nil logger means slog.Default(); a nil clock, time.Now.
// Leave Deps.Devin, Deps.GitHub or Deps.Approvals nil (a nil pointer is fine too) when
// that part is not configured.
func NewRouter(deps Deps, logger *slog.Logger, clock func() time.Time) *Router {
	if logger == nil {
		logger = slog.Default()
	}
	if clock == nil {
		clock = time.Now
	}
	// A nil *devin.Client stored in an interface is not a nil interface; treat it as
	// "not configured" rather than as a crash waiting for the first command.
	if isNil(deps.Devin) {
		deps.Devin = nil
	}
	if isNil(deps.GitHub) {
		deps.GitHub = nil
	}
	if isNil(deps.Approvals) {
		deps.Approvals = nil
	}
	if isNil(deps.Audit) {
		deps.Audit = nil
	}
	if isNil(deps.Kicker) {
		deps.Kicker = nil
	}
	timeout := deps.CommandTimeout
	if timeout <= 0 {
		timeout = defaultCommandTimeout
	}
	return &Router{deps: deps, log: logger, now: clock, timeout: timeout}
}

func isNil(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer, reflect.Interface, reflect.Map, reflect.Slice, reflect.Func, reflect.Chan:
		return rv.IsNil()
	}
	return false
}

// call is one slash command as a handler sees it.
type call struct {
	user    string // Slack user ID
	channel string // where it was typed
	text    string // the text after /devin, for the audit log and the request
}

// refusal is an error the user caused or may not get past (not allowed, not configured,
// an unknown organization). Its message is safe mrkdwn shown as is; the audit outcome is
// "refused".
type refusal struct{ msg string }

func (e *refusal) Error() string { return e.msg }

func refuse(msg string) error { return &refusal{msg: msg} }

// failure is an error that is not the API's: msg, one plain sentence, is shown and err
// is logged.
type failure struct {
	msg string
	err error
}

func (e *failure) Error() string { return e.msg + ": " + e.err.Error() }
func (e *failure) Unwrap() error { return e.err }

// HandleSlash parses the command, runs it with a time limit and records it in the audit
// log. Every failure becomes an ephemeral reply of one sentence; nothing is retried.
func (r *Router) HandleSlash(ctx context.Context, sc slack.SlashCommand) slackui.Reply {
	c := call{user: sc.UserID, channel: sc.ChannelID, text: sc.Text}
	ev := audit.Event{Kind: audit.KindCommand, Actor: sc.UserID, Detail: auditDetail(sc.Text), At: r.now().UTC()}

	cmd, err := Parse(sc.Text)
	if err != nil {
		ev.Command, ev.Outcome = commandName(sc.Text), outcomeRefused
		r.record(ctx, ev)
		return usageReply(err)
	}
	ev.Command = cmd.Name()

	cctx, cancel := context.WithTimeout(ctx, r.timeout)
	reply, requestID, err := r.dispatch(cctx, c, cmd)
	cancel()
	ev.RequestID = requestID

	var (
		ref  *refusal
		fail *failure
	)
	switch {
	case err == nil:
		ev.Outcome = outcomeOK
	case errors.As(err, &ref):
		ev.Outcome = outcomeRefused
		reply = slackui.Reply{Message: slackui.Text(ref.msg)}
	case errors.As(err, &fail):
		ev.Outcome = outcomeError
		r.log.WarnContext(ctx, "command failed", "command", cmd.Name(), "user", sc.UserID, "err", err)
		reply = slackui.Reply{Message: slackui.Text(slackui.Escape(fail.msg))}
	default:
		ev.Outcome = outcomeError
		r.log.WarnContext(ctx, "command failed", "command", cmd.Name(), "user", sc.UserID, "err", err)
		reply = slackui.Reply{Message: slackui.Text(slackui.Escape(apiclient.UserMessage(err)))}
	}
	r.record(ctx, ev)
	return reply
}

// dispatch runs cmd. requestID is set when a change was submitted for approval.
func (r *Router) dispatch(ctx context.Context, c call, cmd Command) (reply slackui.Reply, requestID string, err error) {
	switch cmd := cmd.(type) {
	case Help:
		return helpReply(cmd), "", nil
	case Members:
		if r.deps.Devin == nil {
			return reply, "", refuse(msgDevinNotConfigured)
		}
		reply, err = runMembers(ctx, r.deps.Devin, cmd)
	case Orgs:
		if r.deps.Devin == nil {
			return reply, "", refuse(msgDevinNotConfigured)
		}
		reply, err = runOrgs(ctx, r.deps.Devin)
	case Teams:
		if r.deps.GitHub == nil {
			return reply, "", refuse(msgGitHubNotConfigured)
		}
		reply, err = runTeams(ctx, r.deps.GitHub, r.deps.GitHub)
	case TeamList:
		if r.deps.GitHub == nil {
			return reply, "", refuse(msgGitHubNotConfigured)
		}
		reply, err = runTeamList(ctx, r.deps.GitHub, cmd)
	case Usage:
		if r.deps.Devin == nil {
			return reply, "", refuse(msgDevinNotConfigured)
		}
		reply, err = runUsage(ctx, usageDeps{cycles: r.deps.Devin, consumption: r.deps.Devin, orgs: r.deps.Devin, members: r.deps.Devin}, r.log, r.now(), cmd)
	case Audit:
		if r.deps.Devin == nil {
			return reply, "", refuse(msgDevinNotConfigured)
		}
		reply, err = runAudit(ctx, r.deps.Devin, r.deps.Devin, r.log, r.now(), cmd)
	case Requests:
		if r.deps.Approvals == nil {
			return reply, "", refuse(msgApprovalsNotConfigured)
		}
		reply, err = runRequests(ctx, r.deps.Approvals, r.now())
	case Invite:
		if r.deps.Approvals == nil {
			return reply, "", refuse(msgApprovalsNotConfigured)
		}
		if r.deps.Devin == nil {
			return reply, "", refuse(msgDevinNotConfigured)
		}
		return r.change().invite(ctx, c, cmd)
	case TeamAdd:
		return r.teamChange(ctx, c, cmd.Team, cmd.Logins, cmd.Reason, approvals.ActionTeamAdd)
	case TeamRemove:
		return r.teamChange(ctx, c, cmd.Team, cmd.Logins, cmd.Reason, approvals.ActionTeamRemove)
	default:
		// A command the parser knows but the router does not: a programming error, and
		// one that must not look like the user's fault.
		return reply, "", &failure{msg: "That command is not wired up yet.", err: errors.New("no handler for " + cmd.Name())}
	}
	return reply, "", err
}

func (r *Router) teamChange(ctx context.Context, c call, team string, logins []string, reason string, action approvals.Action) (slackui.Reply, string, error) {
	if r.deps.Approvals == nil {
		return slackui.Reply{}, "", refuse(msgApprovalsNotConfigured)
	}
	if r.deps.GitHub == nil {
		return slackui.Reply{}, "", refuse(msgGitHubNotConfigured)
	}
	return r.change().team(ctx, c, team, logins, reason, action)
}

func (r *Router) change() changer {
	ch := changer{requesters: r.deps.Approvals, submitter: r.deps.Approvals, approvalChannel: r.deps.ApprovalChannel}
	if r.deps.Devin != nil {
		ch.orgs = r.deps.Devin
	}
	if r.deps.GitHub != nil {
		ch.teams = r.deps.GitHub
	}
	return ch
}

// record writes the command's audit event. The write gets its own time limit, detached
// from the command's, so a command that ran out of time is still recorded; a failed write
// is logged and never shown to the user as if their command had failed.
func (r *Router) record(ctx context.Context, ev audit.Event) {
	if r.deps.Audit == nil {
		r.log.WarnContext(ctx, "no audit log configured; command not recorded", "command", ev.Command, "user", ev.Actor)
		return
	}
	actx, cancel := context.WithTimeout(context.WithoutCancel(ctx), auditWriteTimeout)
	defer cancel()
	if err := r.deps.Audit.AppendAudit(actx, ev); err != nil {
		r.log.ErrorContext(ctx, "audit event not stored", "command", ev.Command, "user", ev.Actor, "outcome", ev.Outcome, "err", err)
		return
	}
	if r.deps.Kicker != nil {
		r.deps.Kicker.Kick()
	}
}

// HandleInteraction routes the approval card's Approve and Deny buttons and the
// deny-reason modal's submission to the approval service. Everything else is ignored.
func (r *Router) HandleInteraction(ctx context.Context, cb slack.InteractionCallback) {
	if r.deps.Approvals == nil {
		r.log.WarnContext(ctx, "interaction ignored: approvals are not configured", "type", cb.Type, "user", cb.User.ID)
		return
	}
	if !r.deps.Approvals.HandleInteraction(ctx, cb) {
		r.log.DebugContext(ctx, "interaction ignored", "type", cb.Type, "user", cb.User.ID)
	}
}

// usageReply shows what is wrong with the input and the right usage.
func usageReply(err error) slackui.Reply {
	var ue *UsageError
	if !errors.As(err, &ue) {
		return slackui.Reply{Message: slackui.Text("I could not read that command. Try `/devin help`.")}
	}
	text := ue.Msg
	if ue.Usage != "" {
		if strings.Contains(ue.Usage, "\n") {
			text += "\n*Usage:*\n```" + ue.Usage + "```"
		} else {
			text += "\n*Usage:* `" + ue.Usage + "`"
		}
	}
	return slackui.Reply{Message: textMessage(text)}
}

// auditDetail is the command as typed, for the audit log: Slack's forms written out the
// way a person reads them (<mailto:a@b.c|a@b.c> as a@b.c, <@U1|ada> as @ada), on one line,
// clipped. It is raw text: audit.Format escapes it when it echoes the event.
func auditDetail(text string) string {
	return slackui.Clip("/devin "+readableCommand(text), maxAuditDetail)
}

// commandName is the command that text selects even when its arguments are wrong, so a
// refused "invite" is recorded as one; empty when no command is recognised.
func commandName(text string) string {
	words, err := tokenize(text)
	if err != nil || len(words) == 0 {
		return ""
	}
	s, _, err := lookup(commandTable(), words)
	if err != nil || s == nil {
		return ""
	}
	return s.name
}

// readableCommand rewrites a command line with Slack's forms written out, quoting the
// words that need it, so that it reads as the person typed it.
func readableCommand(text string) string {
	words, err := tokenize(text)
	if err != nil {
		return strings.Join(strings.Fields(decodeEntities(text)), " ")
	}
	parts := make([]string, 0, len(words))
	for _, w := range words {
		s := strings.Join(strings.Fields(w.readable()), " ")
		if s == "" || strings.ContainsAny(w.readable(), " \t\n\"") {
			s = `"` + strings.ReplaceAll(s, `"`, `'`) + `"`
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, " ")
}
