package devin

import (
	"context"
	"encoding/json"
	"net/http"
	"net/mail"
	"strings"

	"devin-chatops/apiclient"
)

// Invite outcome statuses.
const (
	StatusInvited       = "invited"
	StatusAlreadyMember = "already_member"
	StatusFailed        = "failed"
)

// lookupThreshold is how many emails Invite checks one by one with
// ListMembers(email=) before it lists every member once instead: a re-run of a large
// invite would otherwise cost one request per email.
const lookupThreshold = 25

// InviteRequest is a bulk invitation.
type InviteRequest struct {
	Emails []string
	// Role is "" or "member" for the default member role, "admin", or any account
	// role ID or name from ListRoles.
	Role string
	// OrgID, when set, adds every invited (or already present) user to this
	// organization.
	OrgID string
}

// InviteOutcome is what happened to one email.
type InviteOutcome struct {
	Email  string
	UserID string
	Status string // StatusInvited, StatusAlreadyMember or StatusFailed
	Reason string // for StatusFailed: one sentence for the user
}

// InviteResult holds one outcome per distinct email, in the order given.
type InviteResult struct {
	Outcomes []InviteOutcome
}

// InviteCounts tallies outcomes by status.
type InviteCounts struct {
	Invited       int
	AlreadyMember int
	Failed        int
}

// Counts tallies the outcomes by status.
func (r *InviteResult) Counts() InviteCounts {
	var n InviteCounts
	if r == nil {
		return n
	}
	for _, o := range r.Outcomes {
		switch o.Status {
		case StatusInvited:
			n.Invited++
		case StatusAlreadyMember:
			n.AlreadyMember++
		default:
			n.Failed++
		}
	}
	return n
}

// Invite invites emails to the enterprise, 100 per request, then sets their role and
// organization when asked. The API reports only the users it newly invited, so any
// other email is looked up: found means already a member, absent means the API did
// not invite it. Re-running an invite is safe: everyone comes back already_member.
//
// A request that fails marks its emails failed and the rest still run, except a 401
// or 403, which no later request could survive: Invite then stops and returns that
// error along with the outcomes so far (the rest marked failed). An unknown Role is
// reported before anything is sent.
func (c *Client) Invite(ctx context.Context, req InviteRequest) (*InviteResult, error) {
	res, pending := prepareOutcomes(req.Emails)
	if len(pending) == 0 {
		return res, nil
	}
	roleID, err := c.resolveRole(ctx, req.Role)
	if err != nil {
		return nil, err
	}
	run := inviteRun{c: c, res: res}

	if err := run.send(ctx, pending); err != nil {
		return res, err
	}
	if err := run.lookUp(ctx, pending, roleID != "" || req.OrgID != ""); err != nil {
		return res, err
	}
	if roleID != "" {
		err := run.apply(ctx, "the role was not set", func(ids []string) error {
			return c.AssignRole(ctx, ids, roleID)
		})
		if err != nil {
			return res, err
		}
	}
	if req.OrgID != "" {
		err := run.apply(ctx, "not added to the organization", func(ids []string) error {
			return c.AddOrgMembers(ctx, req.OrgID, ids, "")
		})
		if err != nil {
			return res, err
		}
	}
	return res, nil
}

// prepareOutcomes keeps one outcome per distinct email (case-insensitive), marks
// malformed addresses failed without sending them (one bad address would make the
// API reject its whole batch), and returns the indexes of the rest.
func prepareOutcomes(emails []string) (*InviteResult, []int) {
	res := &InviteResult{}
	seen := map[string]bool{}
	var pending []int
	for _, e := range emails {
		e = strings.TrimSpace(e)
		key := strings.ToLower(e)
		if e == "" || seen[key] {
			continue
		}
		seen[key] = true
		if a, err := mail.ParseAddress(e); err != nil || a.Address != e {
			res.Outcomes = append(res.Outcomes, InviteOutcome{Email: e, Status: StatusFailed, Reason: "not a valid email address"})
			continue
		}
		pending = append(pending, len(res.Outcomes))
		res.Outcomes = append(res.Outcomes, InviteOutcome{Email: e})
	}
	return res, pending
}

// inviteRun is the state of one Invite call; outcomes with an empty Status are still
// undecided.
type inviteRun struct {
	c   *Client
	res *InviteResult
}

func (r *inviteRun) out(i int) *InviteOutcome { return &r.res.Outcomes[i] }

// send posts the invitations in batches and marks the emails the API reports as
// invited.
func (r *inviteRun) send(ctx context.Context, pending []int) error {
	batches := chunks(pending, maxBatch)
	for bi, batch := range batches {
		emails := make([]string, len(batch))
		for j, i := range batch {
			emails[j] = r.out(i).Email
		}
		invited, err := r.c.postInvite(ctx, emails)
		if err != nil {
			r.failAll(batch, apiclient.UserMessage(err))
			if isAuthFailure(err) || ctx.Err() != nil {
				for _, rest := range batches[bi+1:] {
					r.failAll(rest, "not sent: "+apiclient.UserMessage(err))
				}
				return err
			}
			continue
		}
		for _, i := range batch {
			o := r.out(i)
			if id, ok := invited[strings.ToLower(o.Email)]; ok {
				o.Status, o.UserID = StatusInvited, id
			}
		}
	}
	return nil
}

// postInvite sends one batch and returns the invited emails (lower-cased) with their
// user IDs where the API gave them.
func (c *Client) postInvite(ctx context.Context, emails []string) (map[string]string, error) {
	body := struct {
		Emails []string `json:"emails"`
	}{emails}
	var resp inviteResponse
	if err := c.call(ctx, http.MethodPost, "/members/invite", nil, body, &resp); err != nil {
		return nil, err
	}
	return resp.invited(), nil
}

// inviteResponse accepts the schema's {"invitee_user_id_to_email": {id: email}} and
// the examples' {"invited": [...]}, whose items are emails or member objects.
type inviteResponse struct {
	InviteeUserIDToEmail map[string]*string `json:"invitee_user_id_to_email"`
	Invited              []json.RawMessage  `json:"invited"`
}

func (r *inviteResponse) invited() map[string]string {
	out := make(map[string]string, len(r.InviteeUserIDToEmail)+len(r.Invited))
	for id, email := range r.InviteeUserIDToEmail {
		if email == nil || *email == "" {
			continue
		}
		e := *email
		// Tolerate a server that keys the map by email instead of user ID.
		if strings.Contains(id, "@") && !strings.Contains(e, "@") {
			id, e = e, id
		}
		out[strings.ToLower(e)] = id
	}
	for _, raw := range r.Invited {
		var email string
		if json.Unmarshal(raw, &email) == nil {
			// The examples list emails only; keep an ID the map already gave.
			if k := strings.ToLower(email); k != "" {
				if _, ok := out[k]; !ok {
					out[k] = ""
				}
			}
			continue
		}
		var m memberJSON
		if json.Unmarshal(raw, &m) == nil && m.Email != "" {
			out[strings.ToLower(m.Email)] = firstNonEmpty(m.UserID, m.ID)
		}
	}
	return out
}

// lookUp decides the emails the API did not report as invited (already a member, or
// not invited at all) and, when a role or org follows, finds the user IDs of invited
// emails the API did not give one for.
func (r *inviteRun) lookUp(ctx context.Context, pending []int, needIDs bool) error {
	var todo []int
	for _, i := range pending {
		o := r.out(i)
		if o.Status == "" || (needIDs && o.Status == StatusInvited && o.UserID == "") {
			todo = append(todo, i)
		}
	}
	if len(todo) == 0 {
		return nil
	}
	emails := make([]string, len(todo))
	for j, i := range todo {
		emails[j] = r.out(i).Email
	}
	found, failed, err := r.c.membersByEmail(ctx, emails)
	for _, i := range todo {
		o := r.out(i)
		key := strings.ToLower(o.Email)
		m, ok := found[key]
		switch {
		case ok && o.Status == StatusInvited:
			o.UserID = m.UserID
		case ok:
			o.Status, o.UserID = StatusAlreadyMember, m.UserID
		case o.Status == StatusInvited:
			// Invited, but its ID is unknown; apply() reports the role/org it missed.
		case failed[key] != nil:
			o.Status = StatusFailed
			o.Reason = "its invitation could not be checked: " + apiclient.UserMessage(failed[key])
		default:
			o.Status, o.Reason = StatusFailed, "not invited by the API"
		}
	}
	return err
}

// membersByEmail finds members by email (lower-cased keys). Lookup failures are
// returned per email, except a 401/403, which is returned as the error.
func (c *Client) membersByEmail(ctx context.Context, emails []string) (map[string]Member, map[string]error, error) {
	found := map[string]Member{}
	failed := map[string]error{}
	index := func(ms []Member) {
		for _, m := range ms {
			found[strings.ToLower(m.Email)] = m
		}
	}
	if len(emails) > lookupThreshold {
		ms, err := c.ListMembers(ctx, ListMembersOptions{})
		if err != nil {
			for _, e := range emails {
				failed[strings.ToLower(e)] = err
			}
			if isAuthFailure(err) {
				return found, failed, err
			}
		}
		index(ms)
		return found, failed, nil
	}
	for n, e := range emails {
		ms, err := c.ListMembers(ctx, ListMembersOptions{Email: e})
		if err != nil {
			failed[strings.ToLower(e)] = err
			if isAuthFailure(err) || ctx.Err() != nil {
				// No later lookup can succeed: the unchecked emails fail with the
				// same cause rather than look "not invited".
				for _, rest := range emails[n+1:] {
					failed[strings.ToLower(rest)] = err
				}
				return found, failed, err
			}
			continue
		}
		// Match here too: a server that ignores the filter returns everyone.
		for _, m := range ms {
			if strings.EqualFold(m.Email, e) {
				found[strings.ToLower(e)] = m
			}
		}
	}
	return found, failed, nil
}

// apply runs step (set role, add to org) for every user the invite resolved, in
// batches; a failing batch marks its users failed with what was missed.
func (r *inviteRun) apply(ctx context.Context, missed string, step func(ids []string) error) error {
	return r.applyTo(ctx, missed, "", step)
}

// applyTo is apply to the outcomes of one status only ("" for every user the invite
// resolved).
func (r *inviteRun) applyTo(ctx context.Context, missed, only string, step func(ids []string) error) error {
	var eligible []int
	for i := range r.res.Outcomes {
		o := r.out(i)
		if only != "" && o.Status != only {
			continue
		}
		if o.Status == StatusInvited || o.Status == StatusAlreadyMember || (o.Status == StatusFailed && o.UserID != "") {
			if o.UserID == "" {
				r.partialFailure(o, missed+": the API did not return the user's ID")
				continue
			}
			eligible = append(eligible, i)
		}
	}
	batches := chunks(eligible, maxBatch)
	for bi, batch := range batches {
		ids := make([]string, len(batch))
		for j, i := range batch {
			ids[j] = r.out(i).UserID
		}
		err := step(ids)
		if err == nil {
			continue
		}
		for _, i := range batch {
			r.partialFailure(r.out(i), missed+": "+apiclient.UserMessage(err))
		}
		if isAuthFailure(err) || ctx.Err() != nil {
			for _, rest := range batches[bi+1:] {
				for _, i := range rest {
					r.partialFailure(r.out(i), missed+": "+apiclient.UserMessage(err))
				}
			}
			return err
		}
	}
	return nil
}

// partialFailure marks a user the invite did reach as failed, keeping what did work
// in the reason ("invited, but the role was not set: …").
func (r *inviteRun) partialFailure(o *InviteOutcome, what string) {
	switch o.Status {
	case StatusInvited:
		o.Reason = "invited, but " + what
	case StatusAlreadyMember:
		o.Reason = "already a member, but " + what
	default:
		o.Reason += "; " + what
	}
	o.Status = StatusFailed
}

func (r *inviteRun) failAll(batch []int, reason string) {
	for _, i := range batch {
		o := r.out(i)
		o.Status, o.Reason = StatusFailed, reason
	}
}
