package slacksandbox

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
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
