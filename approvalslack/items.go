package approvalslack

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"devin-chatops/approvals"
	"devin-chatops/slackui"
)

// The "Show all N" button of a card whose item list (or outcome list) is cut. It sits
// on the section of the cut list; its value is the request ID.
const (
	// ItemsBlockIDPrefix starts the block_id of that section: "items:R7K3QX0".
	ItemsBlockIDPrefix = "items:"
	// ActionIDShowItems is the button's action_id.
	ActionIDShowItems = "show_items"
)

// maxListSections bounds the sections a full list may take in a message; a longer
// list goes into a text file instead, which reads better than a wall of sections.
const maxListSections = 5

// showAllIf gives the section of a cut list the "Show all N" button, when cut.
func showAllIf(cut bool, r approvals.Request, s *slack.SectionBlock) *slack.SectionBlock {
	if !cut {
		return s
	}
	s.BlockID = ItemsBlockIDPrefix + r.ID
	s.Accessory = slack.NewAccessory(slack.NewButtonBlockElement(ActionIDShowItems, r.ID,
		slack.NewTextBlockObject(slack.PlainTextType, "Show all "+slackui.Int(len(r.Items)), false, false)))
	return s
}

// fullLines are every item of r as mrkdwn bullets, escaped: with its outcome once it
// has one (failures first, as on the card), else as listed.
func fullLines(r approvals.Request) []string {
	lines := outcomeBullets(r.Outcomes)
	done := make(map[string]bool, len(r.Outcomes))
	for _, o := range r.Outcomes {
		done[o.Item] = true
	}
	// Before execution, the items the check found already so are marked, so that a
	// long list still tells the approver what will really change.
	same, _ := r.NoChange()
	for _, it := range r.Items {
		if !done[it] {
			line := "• " + slackui.Inert(it, maxItemRunes)
			if same[approvals.ItemKey(it)] {
				line += " — no change"
			}
			lines = append(lines, line)
		}
	}
	return lines
}

// fullListSections packs r's full item list into sections under heading, or reports
// that it needs more than maxListSections of them.
func fullListSections(r approvals.Request, heading string) ([]slack.Block, bool) {
	var (
		blocks []slack.Block
		b      strings.Builder
	)
	b.WriteString(heading)
	for _, line := range fullLines(r) {
		if b.Len()+1+len(line) > listBudget {
			if len(blocks)+1 >= maxListSections {
				return nil, false
			}
			blocks = append(blocks, slackui.Section(b.String()))
			b.Reset()
		} else if b.Len() > 0 {
			b.WriteString("\n")
		}
		b.WriteString(line)
	}
	return append(blocks, slackui.Section(b.String())), true
}

// itemsFile is r's full item list as a plain-text file: a line per item, with its
// outcome once it has one. A file is not mrkdwn, so nothing in it is escaped; each
// item is folded to one line so that none can pose as another.
func itemsFile(r approvals.Request) slackui.File {
	var b strings.Builder
	fmt.Fprintf(&b, "Request %s: %s\n%s\n\n", r.ID, title(r), itemCount(r.Action, len(r.Items)))
	oneLine := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	done := make(map[string]bool, len(r.Outcomes))
	for _, o := range r.Outcomes {
		done[o.Item] = true
		line := oneLine(o.Item) + " — " + approvals.OutcomeLabel(o.Status, 1)
		if o.Reason != "" {
			line += ": " + oneLine(o.Reason)
		}
		b.WriteString(line + "\n")
	}
	same, _ := r.NoChange()
	for _, it := range r.Items {
		if !done[it] {
			line := oneLine(it)
			if same[approvals.ItemKey(it)] {
				line += " — no change"
			}
			b.WriteString(line + "\n")
		}
	}
	return slackui.File{
		Name:    r.ID + "-" + strings.ReplaceAll(strings.ToLower(itemNoun(r.Action)), " ", "-") + ".txt",
		Title:   fmt.Sprintf("Request %s: all %s", r.ID, itemCount(r.Action, len(r.Items))),
		Comment: fmt.Sprintf("All %s of request `%s` (%s).", itemCount(r.Action, len(r.Items)), slackui.Inert(r.ID, 20), slackui.Escape(title(r))),
		Data:    []byte(b.String()),
	}
}

// ShowItems is a click on a card's "Show all N" button.
type ShowItems struct {
	User      string // who clicked
	RequestID string // the button's value
	Channel   string // where the card is
	MessageTS string // the card's ts
}

// HandleShowItems shows whoever clicked "Show all N" the full item list of the card:
// ephemeral beside the card when it fits, else as a text file in a DM. It is read-only
// and needs no approver rights, so it shows nothing the card does not: the items and
// their outcomes, and only for the card the click came from (a button value is only
// as good as the message that carries it).
func (h *Handler) HandleShowItems(ctx context.Context, c ShowItems) {
	r, err := h.dec.Get(ctx, c.RequestID)
	switch {
	case errors.Is(err, approvals.ErrNotFound):
		h.tell(ctx, c.Channel, c.User, fmt.Sprintf("Request %s does not exist.", slackui.Inert(c.RequestID, 20)))
		return
	case err != nil:
		h.log.ErrorContext(ctx, "cannot read request to show its items", "request_id", c.RequestID, "err", err)
		h.tell(ctx, c.Channel, c.User, "I could not read that request just now. Try again in a minute.")
		return
	case r.CardTS == "" || r.CardChannel != c.Channel || r.CardTS != c.MessageTS:
		h.log.WarnContext(ctx, "show-all click not from the request's card; refused", "request_id", r.ID,
			"user", c.User, "channel", c.Channel, "ts", c.MessageTS)
		h.tell(ctx, c.Channel, c.User, "That button does not belong to this request's card.")
		return
	}
	heading := fmt.Sprintf("*All %s of request `%s` (%s):*", itemCount(r.Action, len(r.Items)), r.ID, slackui.Escape(title(r)))
	if blocks, ok := fullListSections(r, heading); ok {
		msg := slackui.Message{Text: slackui.Clip(heading, slackui.MaxMessageText), Blocks: blocks}
		if err := h.poster.Ephemeral(ctx, c.Channel, c.User, msg); err != nil {
			h.log.WarnContext(ctx, "full item list not shown", "request_id", r.ID, "user", c.User, "err", err)
		}
		return
	}
	if _, err := h.poster.UploadDM(ctx, c.User, itemsFile(r)); err != nil {
		h.log.WarnContext(ctx, "full item list not sent as a file", "request_id", r.ID, "user", c.User, "err", err)
		h.tell(ctx, c.Channel, c.User, fmt.Sprintf("The %s of request `%s` are too many to show here, and I could not send them to you as a file just now. Try again in a minute.",
			itemCount(r.Action, len(r.Items)), r.ID))
		return
	}
	h.tell(ctx, c.Channel, c.User, fmt.Sprintf("I sent you all %s of request `%s` as a text file in a direct message.",
		itemCount(r.Action, len(r.Items)), r.ID))
}
