package console

import (
	"fmt"
	"html"
	"regexp"
	"strings"

	"github.com/slack-go/slack"

	slacksandbox "devin-chatops/internal/sandbox/slack"
)

// render turns a message into terminal text: headers, sections, fields and context
// lines in order, buttons as [N Label] (N from nums, by block and action ID; [Label]
// without one), shared files as one line each, and Slack's <@U…>, <#C…>,
// <!subteam^S…>, <url|label> and <!date…|fallback> forms written out, with people,
// groups and channels shown by their console names.
func (p *printer) render(c slacksandbox.Content, nums map[string]int) string {
	return p.withNames(withFiles(renderBlocks(c, nums), c.Files, p.fileText))
}

// previewLines is how much of a text file is shown, as Slack previews a snippet.
const previewLines = 15

// withFiles appends a line per shared file to body. A terminal cannot show the chart,
// so the line says that it arrived, under which title and how big; a text file's
// first lines follow, when text (may be nil) has its contents.
func withFiles(body string, files []slacksandbox.SharedFile, text func(id string) (string, bool)) string {
	if len(files) == 0 {
		return body
	}
	var b strings.Builder
	if body = strings.TrimRight(body, "\n"); body != "" {
		b.WriteString(body + "\n")
	}
	for _, f := range files {
		what := "file"
		if strings.HasPrefix(f.Mimetype, "image/") {
			what = "chart" // the bot uploads images only as charts
		}
		title := f.Title
		if title == "" {
			title = f.Name
		}
		// Rounded up, so a small file does not read as 0 KB.
		fmt.Fprintf(&b, "[%s uploaded: %s (%d KB)]\n", what, title, (f.Size+1023)/1024)
		if text == nil || !strings.HasPrefix(f.Mimetype, "text/") {
			continue
		}
		if t, ok := text(f.ID); ok {
			lines := strings.Split(strings.TrimRight(t, "\n"), "\n")
			for _, l := range lines[:min(len(lines), previewLines)] {
				b.WriteString("  " + l + "\n")
			}
			if more := len(lines) - previewLines; more > 0 {
				fmt.Fprintf(&b, "  … %d more %s\n", more, plural(more, "line", "lines"))
			}
		}
	}
	return b.String()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// withNames replaces mentions of the console's people and groups (@U…, @S…) and
// references to its channels (#C…) with their names, as Slack shows them.
func (p *printer) withNames(s string) string {
	s = mention.ReplaceAllStringFunc(s, func(m string) string { return "@" + p.name(m[1:]) })
	return channelRef.ReplaceAllStringFunc(s, func(m string) string { return "#" + p.channelName(m[1:]) })
}

var (
	mention    = regexp.MustCompile(`@[UWS][A-Z0-9]+`)
	channelRef = regexp.MustCompile(`#[CGD][A-Z0-9]+`)
)

func renderBlocks(c slacksandbox.Content, nums map[string]int) string {
	if len(c.Blocks) == 0 {
		return plain(c.Text)
	}
	var b strings.Builder
	for _, blk := range c.Blocks {
		switch x := blk.(type) {
		case *slack.HeaderBlock:
			if x.Text != nil {
				b.WriteString("== " + plain(x.Text.Text) + " ==\n")
			}
		case *slack.SectionBlock:
			if x.Text != nil {
				b.WriteString(plain(x.Text.Text) + "\n")
			}
			for _, f := range x.Fields {
				b.WriteString("  " + plain(f.Text) + "\n")
			}
			if x.Accessory != nil && x.Accessory.ButtonElement != nil {
				b.WriteString(buttonLabel(nums, x.BlockID, x.Accessory.ButtonElement) + "\n")
			}
		case *slack.ContextBlock:
			parts := []string{}
			for _, e := range x.ContextElements.Elements {
				if t, ok := e.(*slack.TextBlockObject); ok {
					parts = append(parts, plain(t.Text))
				}
			}
			b.WriteString(strings.Join(parts, " · ") + "\n")
		case *slack.DividerBlock:
			b.WriteString("────────\n")
		case *slack.ActionBlock:
			parts := []string{}
			for _, e := range x.Elements.ElementSet {
				if btn, ok := e.(*slack.ButtonBlockElement); ok {
					parts = append(parts, buttonLabel(nums, x.BlockID, btn))
				}
			}
			b.WriteString(strings.Join(parts, " ") + "\n")
		case *slack.InputBlock:
			if x.Label != nil {
				b.WriteString("✎ " + x.Label.Text + "\n")
			}
		}
	}
	return b.String()
}

// buttonLabel is [N Label], or [Label] for a button without a number; a link
// button shows where it leads.
func buttonLabel(nums map[string]int, blockID string, btn *slack.ButtonBlockElement) string {
	label := btn.ActionID
	if btn.Text != nil {
		label = btn.Text.Text
	}
	if btn.URL != "" {
		label += " ↗ " + btn.URL
	}
	if n, ok := nums[blockID+"/"+btn.ActionID]; ok {
		return fmt.Sprintf("[%d %s]", n, label)
	}
	return "[" + label + "]"
}

var slackRef = regexp.MustCompile(`<([^<>|]+)(?:\|([^<>]*))?>`)

func plain(s string) string {
	s = slackRef.ReplaceAllStringFunc(s, func(m string) string {
		sub := slackRef.FindStringSubmatch(m)
		target, label := sub[1], sub[2]
		switch {
		case strings.HasPrefix(target, "@"):
			return "@" + strings.TrimPrefix(target, "@")
		case strings.HasPrefix(target, "#"):
			if label != "" {
				return "#" + label
			}
			return target
		case strings.HasPrefix(target, "!date"):
			return label
		case strings.HasPrefix(target, "!subteam^"):
			if label != "" {
				return "@" + strings.TrimPrefix(label, "@")
			}
			return "@" + strings.TrimPrefix(target, "!subteam^")
		case strings.HasPrefix(target, "!"):
			return "@" + strings.TrimPrefix(target, "!")
		case label != "":
			return label + " (" + target + ")"
		default:
			return target
		}
	})
	return html.UnescapeString(s)
}
