package slacksandbox

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
)

const (
	triggerTTL       = 3 * time.Second
	responseURLTTL   = 30 * time.Minute
	responseURLUses  = 5
	maxModalStackLen = 3
)

// flexBool accepts true/false and "true"/"false": slack-go sends booleans, while
// Slack's docs show strings.
type flexBool bool

func (b *flexBool) UnmarshalJSON(data []byte) error {
	switch strings.Trim(string(data), `"`) {
	case "true":
		*b = true
	case "false", "", "null":
		*b = false
	default:
		return fmt.Errorf("not a boolean: %s", data)
	}
	return nil
}

// replyBody is a response_url post or a slash-command ack payload.
type replyBody struct {
	Text            string          `json:"text"`
	Blocks          json.RawMessage `json:"blocks"`
	ResponseType    string          `json:"response_type"`
	ReplaceOriginal flexBool        `json:"replace_original"`
	DeleteOriginal  flexBool        `json:"delete_original"`
	ThreadTS        string          `json:"thread_ts"`
}

func (b replyBody) hasBlocks() bool {
	// slack-go always sends "blocks", as null when there are none.
	return len(b.Blocks) > 0 && string(b.Blocks) != "null"
}

func (s *Server) handleResponse(w http.ResponseWriter, r *http.Request) {
	id := strings.TrimPrefix(r.URL.Path, "/response/")
	body, err := io.ReadAll(io.LimitReader(r.Body, 8<<20))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, apiError("invalid_payload"))
		return
	}
	if s.beginCall(w, r, "response_url") {
		return
	}
	var reply replyBody
	if err := json.Unmarshal(body, &reply); err != nil {
		writeJSON(w, http.StatusOK, apiError("invalid_payload", err.Error()))
		return
	}
	if !reply.hasBlocks() && reply.Text == "" && !bool(reply.DeleteOriginal) {
		writeJSON(w, http.StatusOK, apiError("no_text"))
		return
	}
	if code, problems := checkMessage(reply.Text, reply.Blocks, reply.hasBlocks()); len(problems) > 0 {
		s.violate("response_url "+id, problems)
		writeJSON(w, http.StatusOK, apiError(code, problems...))
		return
	}

	s.mu.Lock()
	ru := s.responseURLs[id]
	code := ""
	switch {
	case ru == nil:
		code = "invalid_url"
	case s.opts.Now().Sub(ru.issued) > responseURLTTL:
		code = "expired_url"
	case ru.uses >= responseURLUses:
		code = "used_url"
	}
	if code != "" {
		s.mu.Unlock()
		// Slack answers dead response URLs with 404; slack-go then reports a status error.
		writeJSON(w, http.StatusNotFound, apiError(code))
		return
	}
	ru.uses++
	resp, write := s.applyReplyLocked(ru, reply, body, "response_url")
	ru.responses = append(ru.responses, resp)
	s.notifyLocked()
	s.mu.Unlock()

	s.emit(write)
	writeJSON(w, http.StatusOK, apiResult{"ok": true})
}

// applyReplyLocked shows a reply the way Slack would: delete or replace the message the
// interaction came from, post in channel, or show an ephemeral to the user.
func (s *Server) applyReplyLocked(ru *responseURL, reply replyBody, raw json.RawMessage, method string) (Response, Write) {
	resp := Response{
		ResponseType:    reply.ResponseType,
		ReplaceOriginal: bool(reply.ReplaceOriginal),
		DeleteOriginal:  bool(reply.DeleteOriginal),
		ThreadTS:        reply.ThreadTS,
		At:              s.opts.Now(),
	}
	if resp.ResponseType == "" {
		resp.ResponseType = "ephemeral"
	}
	var blocks json.RawMessage
	if reply.hasBlocks() {
		blocks = s.normalizeBlocksLocked(reply.Blocks)
	}
	resp.Content = makeContent(reply.Text, blocks, raw)
	write := Write{Method: method, Channel: ru.channel, User: ru.user, Content: resp.Content}

	// The original is the clicked message, or for a slash command the app's previous
	// ephemeral reply (Slack never lets an app edit the user's own invocation).
	var origMsg *storedMessage
	var origEph *storedEphemeral
	switch {
	case ru.srcMsg != nil:
		origMsg = ru.srcMsg
	case ru.srcEph != nil:
		origEph = ru.srcEph
	case ru.lastEph != nil:
		origEph = ru.lastEph
	}
	hasOrig := (origMsg != nil && !origMsg.deleted) || (origEph != nil && !origEph.deleted)

	switch {
	case resp.DeleteOriginal && hasOrig:
		write.Deleted, write.Ephemeral = true, origMsg == nil
		if origMsg != nil {
			origMsg.deleted = true
			write.TS = origMsg.ts
			s.recordMessageLocked(origMsg)
		} else {
			origEph.deleted = true
			write.TS = origEph.ts
			s.recordEphemeralLocked(origEph)
		}
	case resp.ReplaceOriginal && hasOrig:
		target := origMsg
		if target == nil {
			target = &origEph.storedMessage
		}
		target.text, target.blocks = reply.Text, blocks
		target.updates++
		resp.TS, write.TS = target.ts, target.ts
		write.Replaced, write.Ephemeral = true, origMsg == nil
		if origMsg != nil {
			s.recordMessageLocked(origMsg)
		} else {
			s.recordEphemeralLocked(origEph)
		}
	case resp.DeleteOriginal:
		// Nothing left to delete; Slack accepts it silently.
	case resp.ResponseType == "in_channel":
		m := &storedMessage{channel: ru.channel, ts: s.nextTSLocked(), threadTS: reply.ThreadTS, text: reply.Text, blocks: blocks}
		s.messages[m.channel+"/"+m.ts] = m
		s.messageOrder = append(s.messageOrder, m)
		s.recordMessageLocked(m)
		resp.TS, write.TS = m.ts, m.ts
	default:
		write.Ephemeral = true
		e := &storedEphemeral{user: ru.user, viaResponseURL: true}
		e.channel, e.ts, e.threadTS, e.text, e.blocks = ru.channel, s.nextTSLocked(), reply.ThreadTS, reply.Text, blocks
		s.ephemerals = append(s.ephemerals, e)
		s.recordEphemeralLocked(e)
		ru.lastEph = e
		resp.TS, write.TS = e.ts, e.ts
	}
	return resp, write
}

// applySlashAck shows a slash command's ack payload, which Slack treats like a first
// response_url reply that costs no use.
func (s *Server) applySlashAck(env *envelope, payload json.RawMessage) {
	var reply replyBody
	if err := json.Unmarshal(payload, &reply); err != nil {
		s.violate("ack "+env.id, []string{"slash command ack payload is not a message: " + err.Error()})
		return
	}
	if !reply.hasBlocks() && reply.Text == "" {
		return
	}
	if _, problems := checkMessage(reply.Text, reply.Blocks, reply.hasBlocks()); len(problems) > 0 {
		s.violate("ack "+env.id, problems)
		return
	}
	s.mu.Lock()
	ru := s.responseURLs[env.responseID]
	if ru == nil {
		s.mu.Unlock()
		return
	}
	_, write := s.applyReplyLocked(ru, reply, payload, "ack")
	s.notifyLocked()
	s.mu.Unlock()
	s.emit(write)
}

// applyViewSubmissionAck applies response_action; an ack without payload closes the view.
func (s *Server) applyViewSubmissionAck(env *envelope, payload json.RawMessage) {
	var ack struct {
		ResponseAction string            `json:"response_action"`
		View           map[string]any    `json:"view"`
		Errors         map[string]string `json:"errors"`
	}
	if len(payload) > 0 {
		if err := decodeJSON(payload, &ack); err != nil {
			s.violate("ack "+env.id, []string{"view_submission ack payload is invalid: " + err.Error()})
			return
		}
	}
	where := "ack " + env.id + " (view " + env.viewID + ")"
	if ack.ResponseAction == "update" || ack.ResponseAction == "push" {
		if ack.View == nil {
			s.violate(where, []string{"response_action " + ack.ResponseAction + " without a view"})
			return
		}
		if problems := checkView(ack.View); len(problems) > 0 {
			s.violate(where, problems)
			return
		}
	}

	s.mu.Lock()
	v := s.views[env.viewID]
	if v == nil {
		s.mu.Unlock()
		return
	}
	var problems []string
	switch ack.ResponseAction {
	case "":
		v.closed = true
	case "clear":
		for _, other := range s.viewOrder {
			if other.rootID == v.rootID {
				other.closed = true
			}
		}
	case "update":
		s.storeViewDefLocked(v, ack.View)
		v.updates++
		v.errors = nil
	case "push":
		depth := 0
		for _, other := range s.viewOrder {
			if other.rootID == v.rootID && !other.closed {
				depth++
			}
		}
		if depth >= maxModalStackLen {
			problems = append(problems, fmt.Sprintf("push_limit_reached: the modal stack already holds %d views", depth))
			break
		}
		pushed := &storedView{id: s.newIDLocked("V"), user: v.user, rootID: v.rootID, prevID: v.id, openedAt: s.opts.Now()}
		s.storeViewDefLocked(pushed, ack.View)
		s.views[pushed.id] = pushed
		s.viewOrder = append(s.viewOrder, pushed)
	case "errors":
		inputs := inputBlockIDs(v.blocks)
		for k := range ack.Errors {
			if !inputs[k] {
				problems = append(problems, fmt.Sprintf("errors key %q is not an input block_id in the view; Slack shows a generic error", k))
			}
		}
		v.errors = ack.Errors
	default:
		problems = append(problems, fmt.Sprintf("unknown response_action %q", ack.ResponseAction))
	}
	snap := s.snapshotView(v)
	s.notifyLocked()
	s.mu.Unlock()

	s.violate(where, problems)
	s.emit(Write{Method: "ack", User: snap.User, Content: snap.Content})
}

func inputBlockIDs(blocksRaw json.RawMessage) map[string]bool {
	ids := map[string]bool{}
	blocks, _ := decodeJSONArray(blocksRaw)
	for _, b := range blocks {
		if m, ok := b.(map[string]any); ok && str(m, "type") == "input" {
			ids[str(m, "block_id")] = true
		}
	}
	return ids
}
