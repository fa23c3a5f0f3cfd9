package slacksandbox

import (
	"encoding/json"
	"fmt"

	"github.com/slack-go/slack"
)

// Limits Slack enforces (or silently truncates at). Sources: Block Kit reference and
// python-slack-sdk's validators; see shared/reference/slack-socketmode.md §5.
const (
	maxMessageBlocks   = 50
	maxModalBlocks     = 100
	maxMessageText     = 40000
	maxSectionText     = 3000
	maxSectionFields   = 10
	maxFieldText       = 2000
	maxHeaderText      = 150
	maxID              = 255
	maxButtonText      = 75
	maxButtonValue     = 2000
	maxURL             = 3000
	maxActionsElements = 25
	maxContextElements = 10
	maxInputLabel      = 2000
	maxModalTitle      = 24
	maxPrivateMetadata = 3000
	maxAckBytes        = 20480
)

const (
	errInvalidBlocks       = "invalid_blocks"
	errInvalidBlocksFormat = "invalid_blocks_format"
)

// checkMessage validates a message write. It returns the error code for the first
// problem and every problem found. Every limit violation answers invalid_blocks (our
// contract, simpler for the bot than Slack's mix of codes); unparsable blocks answer
// invalid_blocks_format.
func checkMessage(text string, blocksRaw json.RawMessage, hasBlocks bool) (string, []string) {
	code := ""
	var problems []string
	add := func(c string, p ...string) {
		if len(p) == 0 {
			return
		}
		if code == "" {
			code = c
		}
		problems = append(problems, p...)
	}
	if n := runes(text); n > maxMessageText {
		add(errInvalidBlocks, fmt.Sprintf("text is %d chars, max %d", n, maxMessageText))
	}
	if hasBlocks {
		blocks, err := decodeJSONArray(blocksRaw)
		if err != nil {
			add(errInvalidBlocksFormat, fmt.Sprintf("blocks is not a JSON array: %v", err))
			return code, problems
		}
		add(errInvalidBlocks, checkBlocks(blocks, maxMessageBlocks)...)
		add(errInvalidBlocks, checkDecodes(blocksRaw)...)
	}
	return code, problems
}

// checkDecodes catches shapes Slack would reject that the structural checks miss, by
// requiring the blocks to round-trip through slack-go's own decoder.
func checkDecodes(blocksRaw json.RawMessage) []string {
	var b slack.Blocks
	if err := json.Unmarshal(blocksRaw, &b); err != nil {
		return []string{fmt.Sprintf("blocks do not decode with slack-go: %v", err)}
	}
	return nil
}

func checkBlocks(blocks []any, max int) []string {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if len(blocks) > max {
		add("%d blocks, max %d", len(blocks), max)
	}
	seen := map[string]bool{}
	for i, b := range blocks {
		m, ok := b.(map[string]any)
		if !ok {
			add("block %d is not an object", i)
			continue
		}
		typ := str(m, "type")
		label := fmt.Sprintf("block %d (%s", i, typ)
		if id, ok := m["block_id"]; ok {
			ids, _ := id.(string)
			label += " " + ids
			switch {
			case ids == "":
				add("block %d: block_id must be a non-empty string", i)
			case runes(ids) > maxID:
				add("block %d: block_id is %d chars, max %d", i, runes(ids), maxID)
			case seen[ids]:
				add("block %d: duplicate block_id %q", i, ids)
			}
			seen[ids] = true
		}
		label += ")"
		if typ == "" {
			add("block %d has no type", i)
			continue
		}
		problems = append(problems, checkBlock(label, typ, m)...)
	}
	return problems
}

func checkBlock(label, typ string, m map[string]any) []string {
	var problems []string
	add := func(format string, args ...any) {
		problems = append(problems, label+": "+fmt.Sprintf(format, args...))
	}
	switch typ {
	case "section":
		text, hasText := m["text"]
		fields := arr(m, "fields")
		if !hasText && len(fields) == 0 {
			add("section needs text or fields")
		}
		if hasText {
			problems = append(problems, checkTextObject(label+" text", text, maxSectionText, false)...)
		}
		if len(fields) > maxSectionFields {
			add("%d fields, max %d", len(fields), maxSectionFields)
		}
		for j, f := range fields {
			problems = append(problems, checkTextObject(fmt.Sprintf("%s field %d", label, j), f, maxFieldText, false)...)
		}
		if acc := obj(m, "accessory"); acc != nil {
			problems = append(problems, checkElement(label+" accessory", acc)...)
		}
	case "header":
		problems = append(problems, checkTextObject(label+" text", m["text"], maxHeaderText, true)...)
	case "actions":
		els := arr(m, "elements")
		if len(els) == 0 {
			add("actions block has no elements")
		}
		if len(els) > maxActionsElements {
			add("%d elements, max %d", len(els), maxActionsElements)
		}
		actionIDs := map[string]bool{}
		for j, e := range els {
			el, ok := e.(map[string]any)
			if !ok {
				add("element %d is not an object", j)
				continue
			}
			problems = append(problems, checkElement(fmt.Sprintf("%s element %d", label, j), el)...)
			// Slack requires action_ids to be unique within their block.
			if id := str(el, "action_id"); id != "" {
				if actionIDs[id] {
					add("duplicate action_id %q", id)
				}
				actionIDs[id] = true
			}
		}
	case "context":
		els := arr(m, "elements")
		if len(els) == 0 {
			add("context block has no elements")
		}
		if len(els) > maxContextElements {
			add("%d elements, max %d", len(els), maxContextElements)
		}
	case "input":
		problems = append(problems, checkTextObject(label+" label", m["label"], maxInputLabel, true)...)
		if h, ok := m["hint"]; ok {
			problems = append(problems, checkTextObject(label+" hint", h, maxInputLabel, true)...)
		}
		el := obj(m, "element")
		if el == nil {
			add("input block has no element")
		} else {
			problems = append(problems, checkElement(label+" element", el)...)
		}
	}
	return problems
}

func checkTextObject(label string, v any, max int, plainOnly bool) []string {
	o, ok := v.(map[string]any)
	if !ok {
		return []string{label + " is not a text object"}
	}
	var problems []string
	typ := str(o, "type")
	switch {
	case plainOnly && typ != "plain_text":
		problems = append(problems, fmt.Sprintf("%s has type %q, must be plain_text", label, typ))
	case typ != "plain_text" && typ != "mrkdwn":
		problems = append(problems, fmt.Sprintf("%s has type %q, must be plain_text or mrkdwn", label, typ))
	}
	text := str(o, "text")
	if text == "" {
		problems = append(problems, label+" is empty")
	}
	if n := runes(text); n > max {
		problems = append(problems, fmt.Sprintf("%s is %d chars, max %d", label, n, max))
	}
	return problems
}

func checkElement(label string, el map[string]any) []string {
	var problems []string
	add := func(format string, args ...any) {
		problems = append(problems, label+": "+fmt.Sprintf(format, args...))
	}
	if id := str(el, "action_id"); runes(id) > maxID {
		add("action_id is %d chars, max %d", runes(id), maxID)
	}
	if str(el, "type") == "button" {
		problems = append(problems, checkTextObject(label+" text", el["text"], maxButtonText, true)...)
		if n := runes(str(el, "value")); n > maxButtonValue {
			add("button value is %d chars, max %d", n, maxButtonValue)
		}
		if n := runes(str(el, "url")); n > maxURL {
			add("button url is %d chars, max %d", n, maxURL)
		}
		switch style := str(el, "style"); style {
		case "", "primary", "danger":
		default:
			add("button style %q, must be primary or danger", style)
		}
	}
	return problems
}

// checkView validates a modal as sent to views.open/update/push or in an ack.
func checkView(v map[string]any) []string {
	var problems []string
	add := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	if t := str(v, "type"); t != "modal" {
		add("view type is %q, must be modal", t)
	}
	if _, ok := v["title"]; !ok {
		add("view has no title")
	} else {
		problems = append(problems, checkTextObject("view title", v["title"], maxModalTitle, true)...)
	}
	for _, k := range []string{"submit", "close"} {
		if t, ok := v[k]; ok && t != nil {
			problems = append(problems, checkTextObject("view "+k, t, maxModalTitle, true)...)
		}
	}
	if n := runes(str(v, "private_metadata")); n > maxPrivateMetadata {
		add("private_metadata is %d chars, max %d", n, maxPrivateMetadata)
	}
	for _, k := range []string{"callback_id", "external_id"} {
		if n := runes(str(v, k)); n > maxID {
			add("%s is %d chars, max %d", k, n, maxID)
		}
	}
	blocks, ok := v["blocks"].([]any)
	if !ok {
		add("view blocks must be an array")
		return problems
	}
	problems = append(problems, checkBlocks(blocks, maxModalBlocks)...)
	hasInput := false
	for _, b := range blocks {
		if m, ok := b.(map[string]any); ok && str(m, "type") == "input" {
			hasInput = true
		}
	}
	if hasInput && v["submit"] == nil {
		add("a view with input blocks needs a submit button")
	}
	if raw, err := json.Marshal(blocks); err == nil {
		problems = append(problems, checkDecodes(raw)...)
	}
	return problems
}
