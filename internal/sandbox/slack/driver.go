package slacksandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Interaction is the handle on one slash command, click or view submission.
type Interaction struct {
	EnvelopeID  string
	ResponseURL string // "" for view submissions
	TriggerID   string
	// Payload is the envelope payload as sent to the bot.
	Payload json.RawMessage

	s          *Server
	responseID string
}

// WaitAck waits for the bot's ack of this interaction's envelope.
func (i *Interaction) WaitAck(ctx context.Context) (AckRecord, error) {
	return i.s.WaitAck(ctx, i.EnvelopeID)
}

// WaitResponse returns the next post to this interaction's response_url that an
// earlier WaitResponse has not returned.
func (i *Interaction) WaitResponse(ctx context.Context) (Response, error) {
	if i.responseID == "" {
		return Response{}, errors.New("slacksandbox: this interaction has no response_url")
	}
	var r Response
	err := i.s.waitFor(ctx, func() bool {
		ru := i.s.responseURLs[i.responseID]
		if ru.cursor < len(ru.responses) {
			r = ru.responses[ru.cursor]
			ru.cursor++
			return true
		}
		return false
	})
	return r, err
}

// Responses lists every post to this interaction's response_url.
func (i *Interaction) Responses() []Response {
	if i.responseID == "" {
		return nil
	}
	i.s.mu.Lock()
	defer i.s.mu.Unlock()
	return append([]Response(nil), i.s.responseURLs[i.responseID].responses...)
}

// issueLocked registers a fresh trigger_id (3 s, single use) and, when channel is set,
// a response_url (30 min, 5 uses) tied to the message the interaction came from.
func (s *Server) issueLocked(user, channel string, srcMsg *storedMessage, srcEph *storedEphemeral) (triggerID, responseURLStr, responseID string) {
	now := s.opts.Now()
	triggerID = fmt.Sprintf("%d.%d.%s", now.Unix(), s.nextSeqLocked(), s.hexLocked(16))
	s.triggers[triggerID] = &trigger{issued: now, user: user}
	if channel == "" {
		return triggerID, "", ""
	}
	responseID = fmt.Sprintf("%s-%d-%s", s.opts.TeamID, s.nextSeqLocked(), s.hexLocked(12))
	s.responseURLs[responseID] = &responseURL{
		id: responseID, issued: now, user: user, channel: channel, srcMsg: srcMsg, srcEph: srcEph,
	}
	return triggerID, s.http.URL + "/response/" + responseID, responseID
}

func (s *Server) userObjectLocked(user string) map[string]any {
	name := s.ensureUserLocked(user)
	return map[string]any{"id": user, "username": name, "name": name, "team_id": s.opts.TeamID}
}

func (s *Server) teamObject() map[string]any {
	return map[string]any{"id": s.opts.TeamID, "domain": s.opts.TeamDomain}
}

// SlashCommand sends Options.Command (default /devin) with text as user in channel.
func (s *Server) SlashCommand(user, channel, text string) *Interaction {
	s.mu.Lock()
	defer s.mu.Unlock()
	name := s.ensureUserLocked(user)
	triggerID, rurl, rid := s.issueLocked(user, channel, nil, nil)
	// Every value is a string, is_enterprise_install included: slack-go fails to parse a
	// payload without it, and real Socket Mode payloads send it as "false".
	payload, _ := json.Marshal(map[string]string{
		"token":                 s.opts.VerificationToken,
		"team_id":               s.opts.TeamID,
		"team_domain":           s.opts.TeamDomain,
		"channel_id":            channel,
		"channel_name":          s.channelNameLocked(channel),
		"user_id":               user,
		"user_name":             name,
		"command":               s.opts.Command,
		"text":                  text,
		"api_app_id":            s.opts.AppID,
		"is_enterprise_install": "false",
		"response_url":          rurl,
		"trigger_id":            triggerID,
	})
	env := &envelope{
		id:              s.envelopeIDLocked(),
		typ:             "slash_commands",
		payload:         payload,
		acceptsResponse: true,
		label:           fmt.Sprintf("slash command %q by %s in %s", strings.TrimSpace(s.opts.Command+" "+text), user, channel),
		responseID:      rid,
	}
	s.sendEnvelopeLocked(env)
	return &Interaction{EnvelopeID: env.id, ResponseURL: rurl, TriggerID: triggerID, Payload: payload, s: s, responseID: rid}
}

// ClickButton clicks, as user, the first button with actionID in the message (or the
// user's ephemeral) at channel/ts, as the bot last posted or updated it. It fails if
// no such button is there.
func (s *Server) ClickButton(user, channel, ts, actionID string) (*Interaction, error) {
	return s.click(user, channel, ts, "", actionID)
}

// ClickBlockButton is ClickButton restricted to the block blockID, for messages that
// repeat an action_id across blocks.
func (s *Server) ClickBlockButton(user, channel, ts, blockID, actionID string) (*Interaction, error) {
	return s.click(user, channel, ts, blockID, actionID)
}

func (s *Server) click(user, channel, ts, blockID, actionID string) (*Interaction, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var msg *storedMessage
	var eph *storedEphemeral
	if m := s.messages[channel+"/"+ts]; m != nil && !m.deleted {
		msg = m
	} else {
		for _, e := range s.ephemerals {
			if e.channel == channel && e.ts == ts && !e.deleted {
				eph = e
			}
		}
	}
	var stored *storedMessage
	switch {
	case msg != nil:
		stored = msg
	case eph != nil && eph.user != user:
		return nil, fmt.Errorf("slacksandbox: ephemeral %s in %s is shown to %s, not %s", ts, channel, eph.user, user)
	case eph != nil:
		stored = &eph.storedMessage
	default:
		return nil, fmt.Errorf("slacksandbox: no message %s in channel %s", ts, channel)
	}
	blocks, _ := decodeJSONArray(stored.blocks)
	foundBlockID, button := findButtonInBlocks(blocks, blockID, actionID)
	if button == nil {
		var have []string
		for _, b := range findButtons(blocks) {
			have = append(have, b.BlockID+"/"+b.ActionID)
		}
		return nil, fmt.Errorf("slacksandbox: message %s in %s has no button %q (buttons: %s)", ts, channel, actionID, strings.Join(have, ", "))
	}

	triggerID, rurl, rid := s.issueLocked(user, channel, msg, eph)
	action := map[string]any{
		"action_id": actionID,
		"block_id":  foundBlockID, // slack-go only treats actions with a block_id as block actions
		"type":      "button",
		"text":      button["text"],
		"action_ts": s.nextTSLocked(),
	}
	if v, ok := button["value"]; ok {
		action["value"] = v
	}
	if st := str(button, "style"); st != "" {
		action["style"] = st
	}
	p := map[string]any{
		"type":                  "block_actions",
		"team":                  s.teamObject(),
		"user":                  s.userObjectLocked(user),
		"api_app_id":            s.opts.AppID,
		"token":                 s.opts.VerificationToken,
		"container":             map[string]any{"type": "message", "message_ts": ts, "channel_id": channel, "is_ephemeral": eph != nil},
		"trigger_id":            triggerID,
		"channel":               map[string]any{"id": channel, "name": s.channelNameLocked(channel)},
		"response_url":          rurl,
		"state":                 map[string]any{"values": map[string]any{}},
		"actions":               []any{action},
		"enterprise":            nil,
		"is_enterprise_install": false,
	}
	// Slack omits the message for ephemeral sources.
	if msg != nil {
		p["message"] = s.messageObject(msg)
	}
	payload, _ := json.Marshal(p)
	env := &envelope{
		id:              s.envelopeIDLocked(),
		typ:             "interactive",
		payload:         payload,
		acceptsResponse: true,
		label:           fmt.Sprintf("click on %q by %s in %s/%s", actionID, user, channel, ts),
		responseID:      rid,
	}
	s.sendEnvelopeLocked(env)
	return &Interaction{EnvelopeID: env.id, ResponseURL: rurl, TriggerID: triggerID, Payload: payload, s: s, responseID: rid}, nil
}

func findButtonInBlocks(blocks []any, blockID, actionID string) (string, map[string]any) {
	for _, b := range blocks {
		m, ok := b.(map[string]any)
		if !ok {
			continue
		}
		id := str(m, "block_id")
		if blockID != "" && id != blockID {
			continue
		}
		if el := findButtonObject([]any{m}, id, actionID); el != nil {
			return id, el
		}
	}
	return "", nil
}

// SubmitView submits, as user, the open view viewID with values[block_id][action_id].
// Values are strings: the text for text inputs, the option value for selects and radio
// buttons (comma-separated for multi-selects and checkboxes), the id for user or
// conversation selects, YYYY-MM-DD for date pickers.
func (s *Server) SubmitView(user, viewID string, values map[string]map[string]string) (*Interaction, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v := s.views[viewID]
	switch {
	case v == nil:
		return nil, fmt.Errorf("slacksandbox: no view %s", viewID)
	case v.closed:
		return nil, fmt.Errorf("slacksandbox: view %s is closed", viewID)
	case v.user != "" && v.user != user:
		return nil, fmt.Errorf("slacksandbox: view %s is open for %s, not %s", viewID, v.user, user)
	}

	blocks, _ := decodeJSONArray(v.blocks)
	inputs := map[string]map[string]map[string]any{}
	var order []string
	for _, b := range blocks {
		m, ok := b.(map[string]any)
		if !ok || str(m, "type") != "input" {
			continue
		}
		el := obj(m, "element")
		if el == nil {
			continue
		}
		bid := str(m, "block_id")
		inputs[bid] = map[string]map[string]any{str(el, "action_id"): el}
		order = append(order, bid)
	}
	for bid, acts := range values {
		for aid := range acts {
			if inputs[bid][aid] == nil {
				return nil, fmt.Errorf("slacksandbox: view %s has no input %s/%s", viewID, bid, aid)
			}
		}
	}
	state := map[string]any{}
	for _, bid := range order {
		perAction := map[string]any{}
		for aid, el := range inputs[bid] {
			val, provided := values[bid][aid]
			sv, err := inputState(el, val, provided)
			if err != nil {
				return nil, fmt.Errorf("slacksandbox: view %s input %s/%s: %w", viewID, bid, aid, err)
			}
			perAction[aid] = sv
		}
		state[bid] = perAction
	}

	triggerID, _, _ := s.issueLocked(user, "", nil, nil)
	view := s.viewObject(v)
	view["state"] = map[string]any{"values": state}
	payload, _ := json.Marshal(map[string]any{
		"type":                  "view_submission",
		"team":                  s.teamObject(),
		"user":                  s.userObjectLocked(user),
		"api_app_id":            s.opts.AppID,
		"token":                 s.opts.VerificationToken,
		"trigger_id":            triggerID,
		"view":                  view,
		"response_urls":         []any{},
		"enterprise":            nil,
		"is_enterprise_install": false,
	})
	env := &envelope{
		id:              s.envelopeIDLocked(),
		typ:             "interactive",
		payload:         payload,
		acceptsResponse: true,
		label:           fmt.Sprintf("view_submission of %s (%s) by %s", viewID, str(v.def, "callback_id"), user),
		viewID:          viewID,
	}
	s.sendEnvelopeLocked(env)
	return &Interaction{EnvelopeID: env.id, TriggerID: triggerID, Payload: payload, s: s}, nil
}

// inputState is the state.values entry Slack sends for one input element.
func inputState(el map[string]any, val string, provided bool) (map[string]any, error) {
	typ := str(el, "type")
	out := map[string]any{"type": typ}
	findOption := func(value string) (any, error) {
		for _, o := range arr(el, "options") {
			if om, ok := o.(map[string]any); ok && str(om, "value") == value {
				return om, nil
			}
		}
		return nil, fmt.Errorf("no option with value %q", value)
	}
	switch typ {
	case "static_select", "radio_buttons":
		out["selected_option"] = nil
		if provided {
			o, err := findOption(val)
			if err != nil {
				return nil, err
			}
			out["selected_option"] = o
		}
	case "multi_static_select", "checkboxes":
		opts := []any{}
		if provided && val != "" {
			for _, v := range strings.Split(val, ",") {
				o, err := findOption(v)
				if err != nil {
					return nil, err
				}
				opts = append(opts, o)
			}
		}
		out["selected_options"] = opts
	case "users_select":
		out["selected_user"] = nullable(val, provided)
	case "conversations_select":
		out["selected_conversation"] = nullable(val, provided)
	case "channels_select":
		out["selected_channel"] = nullable(val, provided)
	case "datepicker":
		out["selected_date"] = nullable(val, provided)
	case "timepicker":
		out["selected_time"] = nullable(val, provided)
	default:
		out["value"] = nullable(val, provided)
	}
	return out, nil
}

func nullable(val string, provided bool) any {
	if !provided {
		return nil
	}
	return val
}

// SendEvent delivers an events_api envelope and returns its envelope id. payload is
// either a full event_callback (type "event_callback") or just the inner event, such as
// {"type":"app_mention","user":"U1","text":"hi","channel":"C1"}; missing outer fields
// and the inner event_ts/ts are filled in. Unacked events are redelivered with
// retry_attempt and retry_reason "timeout", under new envelope ids.
func (s *Server) SendEvent(payload map[string]any) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	outer := map[string]any{}
	if payload["type"] == "event_callback" {
		for k, v := range payload {
			outer[k] = v
		}
	} else {
		outer["event"] = payload
	}
	inner := map[string]any{}
	if ev, ok := outer["event"].(map[string]any); ok {
		for k, v := range ev {
			inner[k] = v
		}
	}
	ts := s.nextTSLocked()
	if _, ok := inner["event_ts"]; !ok {
		inner["event_ts"] = ts
	}
	if _, ok := inner["ts"]; !ok && (inner["type"] == "message" || inner["type"] == "app_mention") {
		inner["ts"] = ts
	}
	outer["event"] = inner
	defaults := map[string]any{
		"type":                  "event_callback",
		"token":                 s.opts.VerificationToken,
		"team_id":               s.opts.TeamID,
		"api_app_id":            s.opts.AppID,
		"event_id":              s.newIDLocked("Ev"),
		"event_time":            s.opts.Now().Unix(),
		"event_context":         "4-" + s.hexLocked(12),
		"is_ext_shared_channel": false,
		"authorizations": []any{map[string]any{
			"enterprise_id": nil, "team_id": s.opts.TeamID, "user_id": s.opts.BotUserID,
			"is_bot": true, "is_enterprise_install": false,
		}},
	}
	for k, v := range defaults {
		if _, ok := outer[k]; !ok {
			outer[k] = v
		}
	}
	raw, _ := json.Marshal(outer)
	env := &envelope{
		id:      s.envelopeIDLocked(),
		typ:     "events_api",
		payload: raw,
		label:   fmt.Sprintf("event %v (%v)", outer["event_id"], inner["type"]),
	}
	s.sendEnvelopeLocked(env)
	return env.id
}

// Messages returns the current messages of channel ("" for every channel) in post
// order, deleted ones left out.
func (s *Server) Messages(channel string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, m := range s.messageOrder {
		if !m.deleted && (channel == "" || m.channel == channel) {
			out = append(out, s.snapshotMessage(m))
		}
	}
	return out
}

// Message returns the current state of one message.
func (s *Server) Message(channel, ts string) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.messages[channel+"/"+ts]
	if m == nil {
		return Message{}, false
	}
	return s.snapshotMessage(m), true
}

// WaitMessage waits for a channel message version matching pred. Every post and every
// update (chat.update, replace_original, delete_original) is a version, and versions
// are checked oldest first, so a state that was quickly overwritten is still seen.
// Make pred specific (channel, ts, text) when a test posts similar messages twice.
func (s *Server) WaitMessage(ctx context.Context, pred func(Message) bool) (Message, error) {
	var found Message
	err := s.waitFor(ctx, func() bool {
		for _, m := range s.msgHistory {
			if pred(m) {
				found = m
				return true
			}
		}
		return false
	})
	return found, err
}

// Ephemerals returns the current ephemeral messages (chat.postEphemeral and ephemeral
// response_url replies), deleted ones left out.
func (s *Server) Ephemerals() []Ephemeral {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Ephemeral
	for _, e := range s.ephemerals {
		if !e.deleted {
			out = append(out, s.snapshotEphemeral(e))
		}
	}
	return out
}

// WaitEphemeral is WaitMessage for ephemeral messages.
func (s *Server) WaitEphemeral(ctx context.Context, pred func(Ephemeral) bool) (Ephemeral, error) {
	var found Ephemeral
	err := s.waitFor(ctx, func() bool {
		for _, e := range s.ephHistory {
			if pred(e) {
				found = e
				return true
			}
		}
		return false
	})
	return found, err
}

// Views returns every view opened so far, in opening order, closed ones included.
func (s *Server) Views() []View {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]View, 0, len(s.viewOrder))
	for _, v := range s.viewOrder {
		out = append(out, s.snapshotView(v))
	}
	return out
}

// WaitView waits for a view (in its current state) matching pred.
func (s *Server) WaitView(ctx context.Context, pred func(View) bool) (View, error) {
	var found View
	err := s.waitFor(ctx, func() bool {
		for _, v := range s.viewOrder {
			if snap := s.snapshotView(v); pred(snap) {
				found = snap
				return true
			}
		}
		return false
	})
	return found, err
}

// Users lists the registered user ids, sorted.
func (s *Server) Users() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	ids := make([]string, 0, len(s.users))
	for id := range s.users {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return ids
}
