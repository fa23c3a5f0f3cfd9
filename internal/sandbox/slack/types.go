package slacksandbox

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/slack-go/slack"
)

// Content is what a message, ephemeral, response or view shows: fallback text and blocks.
type Content struct {
	Text string
	// Blocks are decoded with slack-go, so tests can type-assert *slack.SectionBlock etc.
	Blocks []slack.Block
	// Raw is the stored JSON object (a message as Slack returns it, the response_url
	// body, or the view).
	Raw json.RawMessage
	// Files are the files a message shares (files.completeUploadExternal).
	Files []SharedFile

	rawBlocks json.RawMessage
}

// SharedFile is a file as a message that shares it shows it.
type SharedFile struct {
	ID       string
	Name     string
	Title    string
	Mimetype string // sniffed from the bytes, e.g. "image/png"
	Size     int    // bytes
}

// UploadedFile is a file whose upload files.completeUploadExternal completed.
type UploadedFile struct {
	ID       string
	Channel  string // "" for a file kept private: completed without channel_id
	Name     string
	Title    string
	Comment  string // initial_comment, the text of the sharing message
	ThreadTS string
	// TS is the message that shared the file ("" when private).
	TS   string
	Data []byte
	At   time.Time
}

func makeContent(text string, blocks, raw json.RawMessage) Content {
	c := Content{Text: text, Raw: raw, rawBlocks: blocks}
	if len(blocks) > 0 {
		var b slack.Blocks
		if err := json.Unmarshal(blocks, &b); err == nil {
			c.Blocks = b.BlockSet
		}
	}
	return c
}

// AllText joins the fallback text and every text in the blocks (section, fields,
// context, header, button labels, rich text…), one per line, for substring assertions.
func (c Content) AllText() string {
	parts := []string{}
	if c.Text != "" {
		parts = append(parts, c.Text)
	}
	var blocks any
	if len(c.rawBlocks) > 0 && json.Unmarshal(c.rawBlocks, &blocks) == nil {
		collectText(blocks, &parts)
	}
	return strings.Join(parts, "\n")
}

// Buttons lists the buttons in the blocks, in order.
func (c Content) Buttons() []Button {
	blocks, err := decodeJSONArray(c.rawBlocks)
	if err != nil {
		return nil
	}
	return findButtons(blocks)
}

// Button finds the first button with actionID.
func (c Content) Button(actionID string) (Button, bool) {
	for _, b := range c.Buttons() {
		if b.ActionID == actionID {
			return b, true
		}
	}
	return Button{}, false
}

// Message is the current (or, in WaitMessage, a past) state of a channel message.
type Message struct {
	Content
	Channel  string
	TS       string
	ThreadTS string
	// Updates counts chat.update / replace_original edits applied so far.
	Updates int
	// Deleted is set on the history entry written by delete_original.
	Deleted bool
}

// Ephemeral is a message only one user sees: chat.postEphemeral, or an ephemeral
// response_url reply (ViaResponseURL).
type Ephemeral struct {
	Content
	Channel        string
	User           string
	TS             string
	ThreadTS       string
	ViaResponseURL bool
	Updates        int
	Deleted        bool
}

// Response is one post to a response_url.
type Response struct {
	Content
	ResponseType    string // "ephemeral" unless the bot said "in_channel"
	ReplaceOriginal bool
	DeleteOriginal  bool
	ThreadTS        string
	// TS is the message the response created or replaced ("" for deletes).
	TS string
	At time.Time
}

// View is a modal opened by views.open, in its current state.
type View struct {
	Content
	ID              string
	User            string
	CallbackID      string
	ExternalID      string
	PrivateMetadata string
	Title           string
	Hash            string
	RootViewID      string
	// PreviousViewID is set on views pushed on top of another.
	PreviousViewID string
	Updates        int
	Closed         bool
	// Errors are the field errors from the last view_submission ack with
	// response_action "errors".
	Errors map[string]string
}

// AckRecord is one ack frame received on a socket.
type AckRecord struct {
	EnvelopeID string
	Type       string // events_api, slash_commands, interactive; "" for an unknown envelope
	Payload    json.RawMessage
	Latency    time.Duration
	Duplicate  bool
	// Late is set when the ack came after the deadline had already fired.
	Late         bool
	RetryAttempt int
}

// Button is a button found in stored blocks.
type Button struct {
	ActionID string
	BlockID  string
	Value    string
	Text     string
	Style    string
	URL      string
}

// Write is one thing the bot showed to users, reported to Options.OnWrite.
type Write struct {
	Content
	// Method is the Web API method, "response_url", or "ack" for a slash-command ack
	// payload Slack would show to the user.
	Method  string
	Channel string
	TS      string
	User    string // recipient of ephemerals and views
	Deleted bool
	// Ephemeral is set when only User sees the write: chat.postEphemeral, an
	// ephemeral response_url reply or ack, or an edit of such a reply. A response_url
	// reply with response_type in_channel is a channel message, as in Slack.
	Ephemeral bool
	// Replaced is set when a response_url reply replaced the message it came from
	// (replace_original) instead of posting a new one.
	Replaced bool
}

type storedMessage struct {
	channel  string
	ts       string
	threadTS string
	text     string
	blocks   json.RawMessage
	files    []SharedFile
	updates  int
	deleted  bool
}

type storedEphemeral struct {
	storedMessage
	user           string
	viaResponseURL bool
}

type storedView struct {
	id       string
	user     string
	hash     string
	rootID   string
	prevID   string
	def      map[string]any // the view the bot sent, with block ids filled in
	blocks   json.RawMessage
	updates  int
	closed   bool
	errors   map[string]string
	openedAt time.Time
}

type trigger struct {
	issued time.Time
	used   bool
	user   string
}

type responseURL struct {
	id        string
	issued    time.Time
	uses      int
	user      string
	channel   string
	srcMsg    *storedMessage   // message a clicked button was in
	srcEph    *storedEphemeral // ephemeral a clicked button was in
	lastEph   *storedEphemeral // latest ephemeral reply; replace_original after a slash command edits it
	responses []Response
	cursor    int
}

func (s *Server) messageObject(m *storedMessage) map[string]any {
	obj := map[string]any{
		"type":   "message",
		"user":   s.opts.BotUserID,
		"bot_id": s.opts.BotID,
		"app_id": s.opts.AppID,
		"team":   s.opts.TeamID,
		"text":   m.text,
		"ts":     m.ts,
	}
	if m.blocks != nil {
		obj["blocks"] = m.blocks
	}
	if m.threadTS != "" {
		obj["thread_ts"] = m.threadTS
	}
	if len(m.files) > 0 {
		files := make([]map[string]any, len(m.files))
		for i, f := range m.files {
			files[i] = map[string]any{
				"id": f.ID, "name": f.Name, "title": f.Title, "mimetype": f.Mimetype,
				"filetype": fileType(f.Name), "size": f.Size, "user": s.opts.BotUserID,
			}
		}
		obj["files"] = files
	}
	return obj
}

func (s *Server) snapshotMessage(m *storedMessage) Message {
	raw, _ := json.Marshal(s.messageObject(m))
	c := makeContent(m.text, m.blocks, raw)
	c.Files = append([]SharedFile(nil), m.files...)
	return Message{
		Content:  c,
		Channel:  m.channel,
		TS:       m.ts,
		ThreadTS: m.threadTS,
		Updates:  m.updates,
		Deleted:  m.deleted,
	}
}

func (s *Server) snapshotEphemeral(e *storedEphemeral) Ephemeral {
	obj := s.messageObject(&e.storedMessage)
	obj["channel"] = e.channel
	raw, _ := json.Marshal(obj)
	return Ephemeral{
		Content:        makeContent(e.text, e.blocks, raw),
		Channel:        e.channel,
		User:           e.user,
		TS:             e.ts,
		ThreadTS:       e.threadTS,
		ViaResponseURL: e.viaResponseURL,
		Updates:        e.updates,
		Deleted:        e.deleted,
	}
}

func (s *Server) viewObject(v *storedView) map[string]any {
	obj := map[string]any{}
	for k, val := range v.def {
		obj[k] = val
	}
	obj["id"] = v.id
	obj["team_id"] = s.opts.TeamID
	obj["hash"] = v.hash
	obj["root_view_id"] = v.rootID
	obj["app_id"] = s.opts.AppID
	obj["app_installed_team_id"] = s.opts.TeamID
	obj["bot_id"] = s.opts.BotID
	obj["state"] = map[string]any{"values": map[string]any{}}
	if v.prevID != "" {
		obj["previous_view_id"] = v.prevID
	} else {
		obj["previous_view_id"] = nil
	}
	for _, k := range []string{"private_metadata", "callback_id", "external_id"} {
		if _, ok := obj[k]; !ok {
			obj[k] = ""
		}
	}
	for _, k := range []string{"clear_on_close", "notify_on_close"} {
		if _, ok := obj[k]; !ok {
			obj[k] = false
		}
	}
	if v.blocks != nil {
		obj["blocks"] = v.blocks
	} else {
		obj["blocks"] = []any{}
	}
	return obj
}

func (s *Server) snapshotView(v *storedView) View {
	raw, _ := json.Marshal(s.viewObject(v))
	errs := map[string]string(nil)
	if v.errors != nil {
		errs = map[string]string{}
		for k, e := range v.errors {
			errs[k] = e
		}
	}
	return View{
		Content:         makeContent("", v.blocks, raw),
		ID:              v.id,
		User:            v.user,
		CallbackID:      str(v.def, "callback_id"),
		ExternalID:      str(v.def, "external_id"),
		PrivateMetadata: str(v.def, "private_metadata"),
		Title:           textOf(v.def, "title"),
		Hash:            v.hash,
		RootViewID:      v.rootID,
		PreviousViewID:  v.prevID,
		Updates:         v.updates,
		Closed:          v.closed,
		Errors:          errs,
	}
}
