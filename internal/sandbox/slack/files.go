package slacksandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"path"
	"strconv"
	"strings"
)

// Slack's file upload flow: files.getUploadURLExternal announces a file (name and
// length) and hands out a signed upload URL, the client POSTs the bytes there, and
// files.completeUploadExternal shares the file into a channel, optionally with a
// comment or in a thread. Until it is completed an upload is invisible.

// UploadMethod names the upload URLs in Calls, RateLimit, FailNext and SetLatency.
// They are not a Web API method, so Methods leaves them out.
const UploadMethod = "upload_url"

// maxUploadBytes bounds one file, to keep a runaway test from filling memory. Slack's
// own limit is far higher, but a chart is a few kilobytes.
const maxUploadBytes = 8 << 20

// pendingUpload is an upload between files.getUploadURLExternal and its completion.
type pendingUpload struct {
	id     string
	name   string
	length int    // announced by files.getUploadURLExternal
	sig    string // the upload URL's signature; without it the URL is refused
	data   []byte // nil until the bytes arrived
}

func (s *Server) filesGetUploadURLExternal(_ *http.Request, p params) apiResult {
	name := p.get("filename")
	length, err := strconv.Atoi(p.get("length"))
	switch {
	case name == "":
		return apiError("invalid_arguments", "filename is required")
	case err != nil || length <= 0:
		return apiError("invalid_arguments", "length must be the file's size in bytes")
	case length > maxUploadBytes:
		return apiError("invalid_arguments", fmt.Sprintf("length %d is over the fake's limit of %d bytes", length, maxUploadBytes))
	}
	s.mu.Lock()
	u := &pendingUpload{id: s.newIDLocked("F"), name: name, length: length, sig: s.hexLocked(16)}
	s.uploads[u.id] = u
	s.mu.Unlock()
	// Slack's upload URLs carry a signature too; the bot must keep it out of its logs.
	return apiResult{"ok": true, "file_id": u.id, "upload_url": s.http.URL + "/upload/" + u.id + "?sig=" + u.sig}
}

// handleUpload receives a file's bytes, as a multipart form field "file" (what
// slack-go sends) or as the raw body. Like Slack's upload endpoint it answers in HTTP
// statuses and plain text, not in the Web API's JSON.
func (s *Server) handleUpload(w http.ResponseWriter, r *http.Request) {
	// The whole body is read before any answer, so a client still sending never sees
	// a reset instead of the answer (a fault included).
	body, err := io.ReadAll(io.LimitReader(r.Body, 2*maxUploadBytes))
	if err != nil {
		http.Error(w, "could not read the body", http.StatusBadRequest)
		return
	}
	switch f := s.takeFault(r, UploadMethod); {
	case f.limited:
		writeRateLimited(w, f.retryAfter)
		return
	case f.failCode != "":
		http.Error(w, f.failCode, http.StatusInternalServerError)
		return
	}
	if r.Method != http.MethodPost {
		http.Error(w, "POST the file", http.StatusMethodNotAllowed)
		return
	}
	data, err := uploadedBytes(r, body)

	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.uploads[strings.TrimPrefix(r.URL.Path, "/upload/")]
	switch {
	case u == nil || r.URL.Query().Get("sig") != u.sig:
		// Unknown, completed already, or a URL whose signature was tampered with.
		http.Error(w, "no such upload", http.StatusNotFound)
		return
	case err != nil:
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	case len(data) != u.length:
		http.Error(w, fmt.Sprintf("got %d bytes, files.getUploadURLExternal announced %d", len(data), u.length), http.StatusBadRequest)
		return
	}
	// A second POST (a client's retry) replaces the first.
	u.data = data
	s.notifyLocked()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprintf(w, "OK - %d", len(data))
}

// uploadedBytes is the file in an upload request: the multipart field "file", or the
// whole body when the request is not multipart.
func uploadedBytes(r *http.Request, body []byte) ([]byte, error) {
	ct, ps, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || ct != "multipart/form-data" {
		return body, nil
	}
	mr := multipart.NewReader(bytes.NewReader(body), ps["boundary"])
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil, errors.New(`multipart body without a "file" field`)
		}
		if err != nil {
			return nil, fmt.Errorf("multipart body: %w", err)
		}
		if part.FormName() == "file" {
			return io.ReadAll(part)
		}
	}
}

// fileSummary is one element of files.completeUploadExternal's files argument.
type fileSummary struct {
	ID    string `json:"id"`
	Title string `json:"title"`
}

func (s *Server) filesCompleteUploadExternal(_ *http.Request, p params) apiResult {
	summaries, bad := decodeFileSummaries(p)
	if bad != "" {
		return apiError("invalid_arguments", bad)
	}
	channel, comment, threadTS := p.get("channel_id"), p.get("initial_comment"), p.get("thread_ts")
	switch {
	case p.has("channels"):
		return apiError("invalid_arguments", "the fake shares files through channel_id only")
	case p.has("blocks") && comment == "":
		return apiError("invalid_arguments", "the fake does not model blocks on a file share")
	case threadTS != "" && channel == "":
		return apiError("invalid_arguments", "thread_ts needs channel_id")
	}
	if code, problems := checkMessage(comment, nil, false); len(problems) > 0 {
		s.violate("files.completeUploadExternal "+channel, problems)
		return apiError(code, problems...)
	}

	s.mu.Lock()
	if channel != "" && !s.knownChannelLocked(channel) {
		s.mu.Unlock()
		return apiError("channel_not_found")
	}
	ups := make([]*pendingUpload, len(summaries))
	for i, f := range summaries {
		u := s.uploads[f.ID]
		switch {
		case u == nil:
			s.mu.Unlock()
			return apiError("file_not_found", "no upload "+f.ID+" is pending: unknown, or completed already")
		case u.data == nil:
			s.mu.Unlock()
			return apiError("file_not_found", "the bytes of "+f.ID+" never reached its upload URL")
		}
		ups[i] = u
	}

	now := s.opts.Now()
	shared := make([]SharedFile, len(ups))
	done := make([]UploadedFile, len(ups))
	reply := make([]map[string]any, len(ups))
	for i, u := range ups {
		title := summaries[i].Title
		if title == "" {
			title = u.name // as Slack does
		}
		shared[i] = SharedFile{ID: u.id, Name: u.name, Title: title, Mimetype: http.DetectContentType(u.data), Size: len(u.data)}
		done[i] = UploadedFile{ID: u.id, Channel: channel, Name: u.name, Title: title, Comment: comment, ThreadTS: threadTS, Data: u.data, At: now}
		reply[i] = map[string]any{"id": u.id, "title": title}
		delete(s.uploads, u.id) // an upload completes once
	}
	var snap Message
	if channel != "" {
		m := &storedMessage{channel: channel, ts: s.nextTSLocked(), threadTS: threadTS, text: comment, files: shared}
		s.messages[m.channel+"/"+m.ts] = m
		s.messageOrder = append(s.messageOrder, m)
		snap = s.recordMessageLocked(m)
		for i := range done {
			done[i].TS = m.ts
		}
	}
	s.files = append(s.files, done...)
	s.notifyLocked()
	s.mu.Unlock()

	if channel != "" {
		s.emit(Write{Method: "files.completeUploadExternal", Channel: channel, TS: snap.TS, Content: snap.Content})
	}
	return apiResult{"ok": true, "files": reply}
}

// decodeFileSummaries reads the files argument: a non-empty JSON array of {id, title}
// without repeats.
func decodeFileSummaries(p params) ([]fileSummary, string) {
	raw, ok := p.jsonValue("files")
	if !ok {
		return nil, "files is required"
	}
	var fs []fileSummary
	if err := json.Unmarshal(raw, &fs); err != nil {
		return nil, "files is not a JSON array of {id, title}: " + err.Error()
	}
	if len(fs) == 0 {
		return nil, "files is empty"
	}
	seen := map[string]bool{}
	for _, f := range fs {
		if f.ID == "" || seen[f.ID] {
			return nil, fmt.Sprintf("files has a missing or repeated id %q", f.ID)
		}
		seen[f.ID] = true
	}
	return fs, ""
}

// knownChannelLocked reports whether the fake knows channel: named with AddChannel, or
// a DM it opened.
func (s *Server) knownChannelLocked(channel string) bool {
	if _, ok := s.channelNames[channel]; ok {
		return true
	}
	for _, id := range s.dms {
		if id == channel {
			return true
		}
	}
	return false
}

// fileType is Slack's filetype: the lower-cased extension, "binary" without one.
func fileType(name string) string {
	if ext := strings.TrimPrefix(path.Ext(name), "."); ext != "" {
		return strings.ToLower(ext)
	}
	return "binary"
}

// Files returns the completed uploads shared in channel ("" for every one, private
// ones included), oldest first.
func (s *Server) Files(channel string) []UploadedFile {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []UploadedFile
	for _, f := range s.files {
		if channel == "" || f.Channel == channel {
			f.Data = bytes.Clone(f.Data)
			out = append(out, f)
		}
	}
	return out
}
