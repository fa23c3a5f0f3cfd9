package commands

import (
	"context"
	"errors"
	"log/slog"
	"regexp"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"devin-chatops/apiclient"
	"devin-chatops/audit"
	"devin-chatops/clock"
	"devin-chatops/slackui"
)

// DevinAPI is every Devin Enterprise API call the commands make (*devin.Client).
type DevinAPI interface {
	MemberLister
	OrgLister
	OrgFinder
	OrgMemberLister
	AuditLogReader
	SessionInsightReader
	GitPermissionLister
}

// GitHubAPI is every GitHub Enterprise Teams API call the commands make (*github.Client).
type GitHubAPI interface {
	TeamLister
	TeamGetter
	TeamMemberLister
	UserGetter
}

// Approvals is every approval-service call the commands make (*approvals.Service).
type Approvals interface {
	Submitter
	PendingLister
}

// RequestDesk answers about one approval request (*approvalslack.Handler): it
// withdraws one, and shows one in full. Both replies are safe mrkdwn.
type RequestDesk interface {
	// Cancel withdraws request id on user's behalf; done is false when it was refused,
	// and reply says why.
	Cancel(ctx context.Context, user, id string) (reply string, done bool, err error)
	// Detail is request id in full for user (a long item list goes to them as a file);
	// found is false for an unknown request, and reply says so.
	Detail(ctx context.Context, user, id string) (reply slackui.Message, found bool, err error)
}

// AuditAppender stores audit events with their outbox entries (*store.DB).
type AuditAppender interface {
	AppendAudit(ctx context.Context, events ...audit.Event) error
}

// Kicker wakes the audit echoer after an event was stored (*audit.Echoer).
type Kicker interface{ Kick() }

// Deps are the router's collaborators. A nil Devin, GitHub or Approvals means that part
// is not configured: the commands that need it are not offered, and typing one gets a
// reply that names the settings that turn it on.
//
// Leave a field nil, never a nil pointer in the interface (a nil *devin.Client stored
// in Devin is not a nil interface, and would be called).
type Deps struct {
	Devin     DevinAPI
	GitHub    GitHubAPI
	Approvals Approvals
	// Desk answers cancel ID and requests ID; set it with Approvals.
	Desk RequestDesk
	// Usage builds usage reports (over the Devin API).
	Usage UsageReports
	// Audit records one event per command; Kicker, optional, is told after each.
	Audit  AuditAppender
	Kicker Kicker
	// ApprovalChannel is the channel ID the "waiting for approval in #…" reply names.
	ApprovalChannel string
	// GitConnectionID is the Devin git connection repository permissions are granted
	// on (DEVIN_GIT_CONNECTION_ID); empty turns `permission add` off.
	GitConnectionID string
	// Grants lists active grants for `grants` (set it with Approvals).
	Grants GrantLister
	// GrantMax is the longest `--for` (GRANT_MAX; default 90 days).
	GrantMax time.Duration
	// DevinAPIVersion is the Devin API version the client speaks ("v2" or "v3"):
	// v2's key is a person's and dies with their membership, v3's service user is not.
	DevinAPIVersion string
	// CommandTimeout bounds one command's API calls (default 25 s). The reply goes
	// through response_url, which stays valid for 30 minutes, so this is about not
	// leaving a user waiting, not about Slack's 3-second ack.
	CommandTimeout time.Duration
}

// configured is the set of backends deps provides.
func (d Deps) configured() backend {
	var have backend
	if d.Approvals != nil {
		have |= needsApprovals
	}
	if d.Devin != nil {
		have |= needsDevin
	}
	if d.GitHub != nil {
		have |= needsGitHub
	}
	if d.Usage != nil {
		have |= needsReports
	}
	if d.GitConnectionID != "" {
		have |= needsGitConnection
	}
	return have
}

const (
	defaultCommandTimeout = 25 * time.Second
	// auditWriteTimeout bounds the audit write that follows a command, which runs even
	// when the command itself ran out of time.
	auditWriteTimeout = 5 * time.Second
	// maxAuditDetail is how much of the typed command an audit event keeps.
	maxAuditDetail = 1000
)

// Audit outcomes of a command event.
const (
	outcomeOK      = "ok"
	outcomeRefused = "refused"
	outcomeError   = "error"
)

// Router answers /devin slash commands. It is safe for concurrent use: it holds no
// mutable state.
type Router struct {
	deps    Deps
	log     *slog.Logger
	clock   clock.Clock
	timeout time.Duration
	// all is every command, for parsing; enabled, the ones whose backends are
	// configured, in help order; have, what is configured.
	all     []spec
	enabled []spec
	have    backend
}

// NewRouter builds a Router. A nil logger means slog.Default(); a nil clock, the wall
// clock. Only the commands whose backends deps configures are registered.
func NewRouter(deps Deps, logger *slog.Logger, clk clock.Clock) *Router {
	if logger == nil {
		logger = slog.Default()
	}
	timeout := deps.CommandTimeout
	if timeout <= 0 {
		timeout = defaultCommandTimeout
	}
	r := &Router{deps: deps, log: logger, clock: clock.OrSystem(clk), timeout: timeout, all: registry(), have: deps.configured()}
	for _, s := range r.all {
		if s.needs.missing(r.have) == "" {
			r.enabled = append(r.enabled, s)
		}
	}
	return r
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
	l := lex(sc.Text)
	ev := audit.Event{Kind: audit.KindCommand, Actor: sc.UserID, Detail: auditDetail(l), At: r.clock.Now().UTC()}

	s, cmd, err := parseLine(r.all, l)
	if err != nil {
		// The command the words selected, even when its arguments are wrong, so a
		// refused "invite" is recorded as one; empty when no command is recognised.
		if s != nil {
			ev.Command = s.name
		}
		ev.Outcome = outcomeRefused
		r.record(ctx, ev)
		return usageReply(err)
	}
	ev.Command = cmd.Name()

	cctx, cancel := context.WithTimeout(ctx, r.timeout)
	reply, requestID, err := r.dispatch(cctx, call{user: sc.UserID, channel: sc.ChannelID}, cmd)
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

// dispatch runs cmd with the registered command of its name. A command that is not
// registered because what it needs is not configured is refused with what would turn
// it on.
func (r *Router) dispatch(ctx context.Context, c call, cmd Command) (slackui.Reply, string, error) {
	s := findSpec(r.enabled, cmd.Name())
	if s == nil {
		if all := findSpec(r.all, cmd.Name()); all != nil {
			if msg := all.needs.missing(r.have); msg != "" {
				return slackui.Reply{}, "", refuse(msg)
			}
		}
		return slackui.Reply{}, "", notWired(cmd.Name())
	}
	env := &runEnv{
		devin:           r.deps.Devin,
		github:          r.deps.GitHub,
		usage:           r.deps.Usage,
		approvals:       r.deps.Approvals,
		desk:            r.deps.Desk,
		approvalChannel: r.deps.ApprovalChannel,
		gitConnectionID: r.deps.GitConnectionID,
		grantMax:        r.deps.GrantMax,
		devinVersion:    r.deps.DevinAPIVersion,
		grants:          r.deps.Grants,
		now:             r.clock.Now(),
		log:             r.log,
		enabled:         r.enabled,
		have:            r.have,
	}
	return s.run(ctx, env, c, cmd)
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
// clipped, without the user name and password of any URL (a pasted clone URL may carry
// a token). It is raw text: audit.Format escapes it when it echoes the event.
func auditDetail(l line) string {
	return slackui.Clip(urlCredentials.ReplaceAllString("/devin "+l.readable(), "${1}[redacted]@"), maxAuditDetail)
}

// urlCredentials is the scheme and userinfo of a URL ("https://user:token@").
var urlCredentials = regexp.MustCompile(`(?i)\b([a-z][a-z0-9+.-]*://)[^\s/?#@<>|]+@`)
