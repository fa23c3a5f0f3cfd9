package bot

import (
	"bytes"
	"context"
	"errors"

	"github.com/slack-go/slack"

	"devin-chatops/slackui"
)

// The three steps of Slack's file upload, as the poster names them for pacing,
// Retry-After windows and errors. The POST of the bytes goes to a URL Slack hands out,
// not to a Web API method.
const (
	methodGetUploadURL   = "files.getUploadURLExternal"
	methodUploadURL      = "upload_url"
	methodCompleteUpload = "files.completeUploadExternal"
)

// Upload shares f in channel and returns the new file's ID. It runs Slack's upload
// flow: files.getUploadURLExternal, a POST of the bytes to the URL it returns, then
// files.completeUploadExternal, which posts the file (with f.Comment, in f.ThreadTS's
// thread when set) and is paced like any message in channel.
//
// The first two steps are retried like chat.update, since repeating them is harmless:
// an upload URL that is never completed is discarded by Slack, and a second POST of
// the same bytes replaces the first. The completion is not repeated once it may have
// reached Slack, as for chat.postMessage.
func (p *Poster) Upload(ctx context.Context, channel string, f slackui.File) (string, error) {
	if channel == "" {
		return "", refuseUpload(errors.New("upload: empty channel"))
	}
	if err := checkFile(f); err != nil {
		return "", err
	}
	var up *slack.GetUploadURLExternalResponse
	err := p.do(ctx, methodGetUploadURL, "", func(ctx context.Context) error {
		r, err := p.api.GetUploadURLExternalContext(ctx, slack.GetUploadURLExternalParameters{
			FileName: f.Name,
			FileSize: len(f.Data),
		})
		if err == nil && (r == nil || r.UploadURL == "" || r.FileID == "") {
			return errors.New("files.getUploadURLExternal returned no upload URL")
		}
		up = r
		return err
	})
	if err != nil {
		return "", err
	}
	// The upload URL is signed: it stays out of every error (classify scrubs the
	// *url.Error that carries it) and out of the logs.
	err = p.do(ctx, methodUploadURL, "", func(ctx context.Context) error {
		return p.api.UploadToURL(ctx, slack.UploadToURLParameters{
			UploadURL: up.UploadURL,
			Reader:    bytes.NewReader(f.Data), // a new reader per attempt
			Filename:  f.Name,
		})
	})
	if err != nil {
		return "", err
	}
	title := f.Title
	if title == "" {
		title = f.Name
	}
	err = p.do(ctx, methodCompleteUpload, channel, func(ctx context.Context) error {
		_, err := p.api.CompleteUploadExternalContext(ctx, slack.CompleteUploadExternalParameters{
			Files:           []slack.FileSummary{{ID: up.FileID, Title: title}},
			Channel:         channel,
			InitialComment:  f.Comment,
			ThreadTimestamp: f.ThreadTS,
		})
		return err
	})
	if err != nil {
		return "", err
	}
	return up.FileID, nil
}

// UploadDM shares f with user in the bot's direct-message channel with them.
func (p *Poster) UploadDM(ctx context.Context, user string, f slackui.File) (string, error) {
	if user == "" {
		return "", refuseUpload(errors.New("upload: empty user"))
	}
	// Checked before conversations.open, so a bad file costs no call at all.
	if err := checkFile(f); err != nil {
		return "", err
	}
	channel, err := p.dmChannel(ctx, user)
	if err != nil {
		return "", err
	}
	id, err := p.Upload(ctx, channel, f)
	if dmChannelGone(classify(methodCompleteUpload, err)) {
		// The cached channel went away; the next DM reopens it.
		p.forgetDM(user)
	}
	return id, err
}

// checkFile refuses what Slack would refuse anyway (it wants a name and at least one
// byte), before any call.
func checkFile(f slackui.File) error {
	switch {
	case len(f.Data) == 0:
		return refuseUpload(errors.New("upload: no data"))
	case f.Name == "":
		return refuseUpload(errors.New("upload: empty file name"))
	}
	return nil
}

// refuseUpload is a caller's mistake found before any call: no retry can fix it.
func refuseUpload(err error) *slackui.Error {
	return &slackui.Error{Kind: slackui.Permanent, Method: methodGetUploadURL, Err: err}
}
