package slacksandbox

import (
	"bytes"
	"encoding/json"
	"io"
	"math"
	"mime"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// apiResult is a Web API response body; every answer is HTTP 200 unless a fault says
// otherwise, with ok:false for errors, as Slack does.
type apiResult map[string]any

func apiError(code string, messages ...string) apiResult {
	res := apiResult{"ok": false, "error": code}
	if len(messages) > 0 {
		msgs := make([]string, len(messages))
		for i, m := range messages {
			msgs[i] = "[ERROR] " + m
		}
		res["response_metadata"] = map[string]any{"messages": msgs}
	}
	return res
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// params reads a Web API request the way Slack does: form bodies (what slack-go sends
// for chat.* and users.*) and JSON bodies (views.*, apps.connections.open) alike.
type params struct {
	form url.Values
	json map[string]json.RawMessage
}

func parseParams(r *http.Request, body []byte) (params, error) {
	query := r.URL.Query()
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "application/json" {
		var m map[string]json.RawMessage
		if len(bytes.TrimSpace(body)) > 0 {
			if err := json.Unmarshal(body, &m); err != nil {
				return params{}, err
			}
		}
		return params{form: query, json: m}, nil
	}
	values, err := url.ParseQuery(string(body))
	if err != nil {
		return params{}, err
	}
	for k, v := range query {
		if _, ok := values[k]; !ok {
			values[k] = v
		}
	}
	return params{form: values}, nil
}

func (p params) get(name string) string {
	if raw, ok := p.json[name]; ok {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			return s
		}
		if string(raw) == "null" {
			return ""
		}
		return string(raw)
	}
	return p.form.Get(name)
}

func (p params) has(name string) bool {
	if _, ok := p.json[name]; ok {
		return true
	}
	_, ok := p.form[name]
	return ok
}

// jsonValue returns a JSON-valued parameter such as blocks or view. Form posts carry it
// as a JSON string; JSON bodies carry it inline (or, from some clients, as a string).
func (p params) jsonValue(name string) (json.RawMessage, bool) {
	if raw, ok := p.json[name]; ok {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			if s == "" {
				return nil, false
			}
			return json.RawMessage(s), true
		}
		if string(raw) == "null" {
			return nil, false
		}
		return raw, true
	}
	if v := p.form.Get(name); v != "" {
		return json.RawMessage(v), true
	}
	return nil, false
}

type apiMethod func(r *http.Request, p params) apiResult

func (s *Server) apiMethods() map[string]apiMethod {
	return map[string]apiMethod{
		"auth.test":             s.authTest,
		"apps.connections.open": s.appsConnectionsOpen,
		"chat.postMessage":      s.chatPostMessage,
		"chat.update":           s.chatUpdate,
		"chat.postEphemeral":    s.chatPostEphemeral,
		"conversations.open":    s.conversationsOpen,
		"users.info":            s.usersInfo,
		"usergroups.users.list": s.usergroupsUsersList,
		"views.open":            s.viewsOpen,
		"views.update":          s.viewsUpdate,

		"files.getUploadURLExternal":   s.filesGetUploadURLExternal,
		"files.completeUploadExternal": s.filesCompleteUploadExternal,
	}
}

func (s *Server) handleAPI(w http.ResponseWriter, r *http.Request) {
	method := strings.TrimPrefix(r.URL.Path, "/api/")
	body, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	if err != nil {
		writeJSON(w, http.StatusOK, apiError("request_timeout"))
		return
	}
	if s.beginCall(w, r, method) {
		return
	}
	h, ok := s.apiMethods()[method]
	if !ok {
		writeJSON(w, http.StatusOK, apiError("unknown_method"))
		return
	}
	p, err := parseParams(r, body)
	if err != nil {
		writeJSON(w, http.StatusOK, apiError("invalid_form_data"))
		return
	}
	if code := s.authenticate(r, p, method); code != "" {
		writeJSON(w, http.StatusOK, apiError(code))
		return
	}
	writeJSON(w, http.StatusOK, h(r, p))
}

// beginCall counts the call, applies injected latency and answers injected faults.
// It reports whether the call was answered.
func (s *Server) beginCall(w http.ResponseWriter, r *http.Request, method string) bool {
	f := s.takeFault(r, method)
	switch {
	case f.limited:
		writeRateLimited(w, f.retryAfter)
		return true
	case f.failCode != "":
		writeJSON(w, http.StatusOK, apiError(f.failCode))
		return true
	}
	return false
}

// fault is what the injected faults make of one call.
type fault struct {
	limited    bool
	retryAfter time.Duration
	failCode   string
}

// takeFault counts the call, applies injected latency and uses up the next injected
// fault of method, if any. Endpoints that do not answer in the Web API's shape (the
// upload URL) share it with beginCall and write the fault their own way.
func (s *Server) takeFault(r *http.Request, method string) fault {
	s.mu.Lock()
	s.calls[method]++
	delay := s.latency[method]
	s.notifyLocked()
	s.mu.Unlock()
	s.sleep(r.Context(), delay)

	s.mu.Lock()
	defer s.mu.Unlock()
	if rl := s.rateLimits[method]; rl != nil && rl.left > 0 {
		rl.left--
		return fault{limited: true, retryAfter: rl.retryAfter}
	}
	if f := s.failures[method]; f != nil && f.left > 0 {
		f.left--
		return fault{failCode: f.code}
	}
	return fault{}
}

func writeRateLimited(w http.ResponseWriter, retryAfter time.Duration) {
	// slack-go only builds a *slack.RateLimitedError when Retry-After is present.
	w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(retryAfter.Seconds()))))
	writeJSON(w, http.StatusTooManyRequests, apiError("ratelimited"))
}

func (s *Server) authenticate(r *http.Request, p params, method string) string {
	token := ""
	if h := r.Header.Get("Authorization"); strings.HasPrefix(h, "Bearer ") {
		token = strings.TrimPrefix(h, "Bearer ")
	}
	if method == "apps.connections.open" {
		// Slack accepts the app-level token for this method only in the header.
		switch token {
		case s.opts.AppToken:
			return ""
		case "":
			return "not_authed"
		case s.opts.BotToken:
			return "not_allowed_token_type"
		default:
			return "invalid_auth"
		}
	}
	if token == "" {
		token = p.form.Get("token")
	}
	switch token {
	case s.opts.BotToken:
		return ""
	case "":
		return "not_authed"
	case s.opts.AppToken:
		return "not_allowed_token_type"
	default:
		return "invalid_auth"
	}
}

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

// decodeView reads the view parameter; problems are returned for a view that is not
// a JSON object so the caller can answer like for any other invalid view.
func decodeView(p params) (map[string]any, string) {
	raw, ok := p.jsonValue("view")
	if !ok {
		return nil, "view parameter is missing"
	}
	var v map[string]any
	if err := decodeJSON(raw, &v); err != nil {
		return nil, "view is not a JSON object: " + err.Error()
	}
	return v, ""
}

// storeViewDefLocked fills block ids into def and returns the normalized blocks.
func (s *Server) storeViewDefLocked(v *storedView, def map[string]any) {
	blocks, _ := def["blocks"].([]any)
	s.fillIDsLocked(blocks)
	raw, _ := json.Marshal(blocks)
	v.def = def
	v.blocks = raw
	v.hash = s.nextTSLocked() + "." + s.hexLocked(4)
}

func (s *Server) viewsOpen(_ *http.Request, p params) apiResult {
	def, bad := decodeView(p)
	if bad != "" {
		return apiError("invalid_arguments", bad)
	}
	triggerID := p.get("trigger_id")
	if problems := checkView(def); len(problems) > 0 {
		s.violate("views.open", problems)
		return apiError(errInvalidBlocks, problems...)
	}

	s.mu.Lock()
	trig := s.triggers[triggerID]
	switch {
	case trig == nil:
		s.mu.Unlock()
		return apiError("invalid_trigger_id")
	case trig.used:
		s.mu.Unlock()
		return apiError("exchanged_trigger_id")
	case s.opts.Now().Sub(trig.issued) > triggerTTL:
		s.mu.Unlock()
		return apiError("expired_trigger_id")
	}
	trig.used = true
	v := &storedView{id: s.newIDLocked("V"), user: trig.user, openedAt: s.opts.Now()}
	v.rootID = v.id
	s.storeViewDefLocked(v, def)
	s.views[v.id] = v
	s.viewOrder = append(s.viewOrder, v)
	snap := s.snapshotView(v)
	obj := s.viewObject(v)
	s.notifyLocked()
	s.mu.Unlock()

	s.emit(Write{Method: "views.open", User: v.user, Content: snap.Content})
	return apiResult{"ok": true, "view": obj}
}

func (s *Server) viewsUpdate(_ *http.Request, p params) apiResult {
	def, bad := decodeView(p)
	if bad != "" {
		return apiError("invalid_arguments", bad)
	}
	viewID, externalID, hash := p.get("view_id"), p.get("external_id"), p.get("hash")

	s.mu.Lock()
	var v *storedView
	if viewID != "" {
		v = s.views[viewID]
	} else if externalID != "" {
		for _, cand := range s.viewOrder {
			if str(cand.def, "external_id") == externalID {
				v = cand
			}
		}
	}
	switch {
	case v == nil || v.closed:
		s.mu.Unlock()
		return apiError("not_found")
	case hash != "" && hash != v.hash:
		s.mu.Unlock()
		return apiError("hash_conflict")
	}
	s.mu.Unlock()

	if problems := checkView(def); len(problems) > 0 {
		s.violate("views.update "+v.id, problems)
		return apiError(errInvalidBlocks, problems...)
	}

	s.mu.Lock()
	s.storeViewDefLocked(v, def)
	v.updates++
	snap := s.snapshotView(v)
	obj := s.viewObject(v)
	s.notifyLocked()
	s.mu.Unlock()

	s.emit(Write{Method: "views.update", User: v.user, Content: snap.Content})
	return apiResult{"ok": true, "view": obj}
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
