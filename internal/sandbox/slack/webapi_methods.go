package slacksandbox

import (
	"net/http"
	"net/url"
	"sort"
	"strings"
)

func (s *Server) authTest(*http.Request, params) apiResult {
	return apiResult{
		"ok":                    true,
		"url":                   "https://" + s.opts.TeamDomain + ".slack.com/",
		"team":                  "Fake Workspace",
		"user":                  "devin",
		"team_id":               s.opts.TeamID,
		"user_id":               s.opts.BotUserID,
		"bot_id":                s.opts.BotID,
		"is_enterprise_install": false,
	}
}

func (s *Server) appsConnectionsOpen(*http.Request, params) apiResult {
	s.mu.Lock()
	ticket := s.hexLocked(16)
	s.tickets[ticket] = false
	s.mu.Unlock()
	u := "ws" + strings.TrimPrefix(s.http.URL, "http") + "/link/?ticket=" + ticket + "&app_id=" + url.QueryEscape(s.opts.AppID)
	return apiResult{"ok": true, "url": u}
}

// resolveChannelLocked maps a user id to the bot's DM with that user, as chat.postMessage does.
func (s *Server) resolveChannelLocked(channel string) string {
	if strings.HasPrefix(channel, "U") || strings.HasPrefix(channel, "W") {
		id, _ := s.dmChannelLocked([]string{channel})
		return id
	}
	return channel
}

func (s *Server) dmChannelLocked(users []string) (id string, existed bool) {
	key := append([]string(nil), users...)
	sort.Strings(key)
	k := strings.Join(key, ",")
	if id, ok := s.dms[k]; ok {
		return id, true
	}
	prefix := "D"
	if len(users) > 1 {
		prefix = "G"
	}
	id = s.newIDLocked(prefix)
	s.dms[k] = id
	return id, false
}

func (s *Server) recordMessageLocked(m *storedMessage) Message {
	snap := s.snapshotMessage(m)
	s.msgHistory = append(s.msgHistory, snap)
	s.notifyLocked()
	return snap
}

func (s *Server) recordEphemeralLocked(e *storedEphemeral) Ephemeral {
	snap := s.snapshotEphemeral(e)
	s.ephHistory = append(s.ephHistory, snap)
	s.notifyLocked()
	return snap
}

func (s *Server) chatPostMessage(_ *http.Request, p params) apiResult {
	channel := p.get("channel")
	if channel == "" {
		return apiError("channel_not_found")
	}
	text := p.get("text")
	blocks, hasBlocks := p.jsonValue("blocks")
	if !hasBlocks && text == "" && !p.has("attachments") {
		return apiError("no_text")
	}
	if code, problems := checkMessage(text, blocks, hasBlocks); len(problems) > 0 {
		s.violate("chat.postMessage "+channel, problems)
		return apiError(code, problems...)
	}

	s.mu.Lock()
	m := &storedMessage{
		channel:  s.resolveChannelLocked(channel),
		ts:       s.nextTSLocked(),
		threadTS: p.get("thread_ts"),
		text:     text,
	}
	if hasBlocks {
		m.blocks = s.normalizeBlocksLocked(blocks)
	}
	s.messages[m.channel+"/"+m.ts] = m
	s.messageOrder = append(s.messageOrder, m)
	snap := s.recordMessageLocked(m)
	obj := s.messageObject(m)
	s.mu.Unlock()

	s.emit(Write{Method: "chat.postMessage", Channel: m.channel, TS: m.ts, Content: snap.Content})
	return apiResult{"ok": true, "channel": m.channel, "ts": m.ts, "message": obj}
}

func (s *Server) chatUpdate(_ *http.Request, p params) apiResult {
	channel, ts := p.get("channel"), p.get("ts")
	text := p.get("text")
	hasText := p.has("text")
	blocks, hasBlocks := p.jsonValue("blocks")
	if !hasText && !hasBlocks {
		return apiError("no_text")
	}

	s.mu.Lock()
	m := s.messages[s.resolveChannelLocked(channel)+"/"+ts]
	if m == nil || m.deleted {
		s.mu.Unlock()
		return apiError("message_not_found")
	}
	s.mu.Unlock()

	if code, problems := checkMessage(text, blocks, hasBlocks); len(problems) > 0 {
		s.violate("chat.update "+channel+" "+ts, problems)
		return apiError(code, problems...)
	}

	s.mu.Lock()
	if hasText {
		m.text = text
	}
	// Like Slack, an update without blocks keeps the previous ones.
	if hasBlocks {
		m.blocks = s.normalizeBlocksLocked(blocks)
	}
	m.updates++
	snap := s.recordMessageLocked(m)
	obj := s.messageObject(m)
	// Another update may change m as soon as the lock is released.
	gotChannel, gotTS, gotText := m.channel, m.ts, m.text
	s.mu.Unlock()

	s.emit(Write{Method: "chat.update", Channel: gotChannel, TS: gotTS, Content: snap.Content})
	return apiResult{"ok": true, "channel": gotChannel, "ts": gotTS, "text": gotText, "message": obj}
}

func (s *Server) chatPostEphemeral(_ *http.Request, p params) apiResult {
	channel, user := p.get("channel"), p.get("user")
	if channel == "" {
		return apiError("channel_not_found")
	}
	text := p.get("text")
	blocks, hasBlocks := p.jsonValue("blocks")
	if !hasBlocks && text == "" && !p.has("attachments") {
		return apiError("no_text")
	}
	s.mu.Lock()
	_, known := s.users[user]
	s.mu.Unlock()
	if !known {
		return apiError("user_not_found")
	}
	if code, problems := checkMessage(text, blocks, hasBlocks); len(problems) > 0 {
		s.violate("chat.postEphemeral "+channel+" "+user, problems)
		return apiError(code, problems...)
	}

	s.mu.Lock()
	e := &storedEphemeral{user: user}
	e.channel = s.resolveChannelLocked(channel)
	e.ts = s.nextTSLocked()
	e.threadTS = p.get("thread_ts")
	e.text = text
	if hasBlocks {
		e.blocks = s.normalizeBlocksLocked(blocks)
	}
	s.ephemerals = append(s.ephemerals, e)
	snap := s.recordEphemeralLocked(e)
	s.mu.Unlock()

	s.emit(Write{Method: "chat.postEphemeral", Channel: e.channel, TS: e.ts, User: user, Content: snap.Content, Ephemeral: true})
	return apiResult{"ok": true, "message_ts": e.ts}
}

func (s *Server) conversationsOpen(_ *http.Request, p params) apiResult {
	if ch := p.get("channel"); ch != "" {
		return apiResult{"ok": true, "no_op": true, "already_open": true, "channel": map[string]any{"id": ch}}
	}
	var users []string
	for _, u := range strings.Split(p.get("users"), ",") {
		if u = strings.TrimSpace(u); u != "" {
			users = append(users, u)
		}
	}
	if len(users) == 0 {
		return apiError("users_list_not_supplied")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, u := range users {
		if _, ok := s.users[u]; !ok {
			return apiError("user_not_found")
		}
	}
	id, existed := s.dmChannelLocked(users)
	ch := map[string]any{"id": id}
	if len(users) == 1 {
		ch["is_im"] = true
		ch["user"] = users[0]
	} else {
		ch["is_mpim"] = true
	}
	return apiResult{"ok": true, "no_op": existed, "already_open": existed, "channel": ch}
}

func (s *Server) usersInfo(_ *http.Request, p params) apiResult {
	id := p.get("user")
	s.mu.Lock()
	name, ok := s.users[id]
	s.mu.Unlock()
	isBot := id == s.opts.BotUserID
	if isBot {
		name, ok = "devin", true
	}
	if !ok {
		return apiError("user_not_found")
	}
	return apiResult{"ok": true, "user": map[string]any{
		"id":        id,
		"team_id":   s.opts.TeamID,
		"name":      name,
		"deleted":   false,
		"color":     "9f69e7",
		"real_name": name,
		"tz":        "Europe/Paris",
		"tz_label":  "Central European Time",
		"tz_offset": 3600,
		"profile": map[string]any{
			"real_name":               name,
			"real_name_normalized":    name,
			"display_name":            name,
			"display_name_normalized": name,
			"team":                    s.opts.TeamID,
		},
		"is_admin":    false,
		"is_owner":    false,
		"is_bot":      isBot,
		"is_app_user": false,
		"updated":     1700000000,
	}}
}

func (s *Server) usergroupsUsersList(_ *http.Request, p params) apiResult {
	s.mu.Lock()
	defer s.mu.Unlock()
	members, ok := s.groups[p.get("usergroup")]
	if !ok {
		return apiError("no_such_subteam")
	}
	return apiResult{"ok": true, "users": append([]string{}, members...)}
}

// DMUser returns the user of a one-to-one DM channel the bot opened (or posted to by
// user ID).
func (s *Server) DMUser(channel string) (string, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for users, id := range s.dms {
		if id == channel && !strings.Contains(users, ",") {
			return users, true
		}
	}
	return "", false
}
