package approvalslack

import (
	"github.com/slack-go/slack"

	"devin-chatops/approvals"
	"devin-chatops/slackui"
)

// maxApproverChars bounds the approver mentions on a card: far more approvers than
// any team configures, well within a context element and the fallback text.
const maxApproverChars = 1500

// withApprovers adds to a pending card the approvers it waits for, as mentions: in the
// fallback text, which is what Slack's notification shows, and in a context line just
// above the buttons. A card past pending asks nobody any more, so it mentions nobody.
// User and user-group IDs become mentions, anything else inert text (never
// @channel or @here).
func withApprovers(m slackui.Message, state approvals.State, approvers []string) slackui.Message {
	if state != approvals.StatePending || len(approvers) == 0 {
		return m
	}
	line := "Approvers: " + approverMentions(approvers)
	m.Text = slackui.Clip(m.Text+" · "+line, slackui.MaxMessageText)
	block := slack.NewContextBlock("", slack.NewTextBlockObject(slack.MarkdownType, line, false, false))
	at := len(m.Blocks)
	for i, b := range m.Blocks {
		if b.BlockType() == slack.MBTAction {
			at = i
			break
		}
	}
	blocks := make([]slack.Block, 0, len(m.Blocks)+1)
	blocks = append(blocks, m.Blocks[:at]...)
	blocks = append(blocks, block)
	m.Blocks = append(blocks, m.Blocks[at:]...)
	return m
}

// approverMentions is "<@U1>, <@U2>, <!subteam^S1>".
func approverMentions(ids []string) string {
	names := make([]string, len(ids))
	for i, id := range ids {
		names[i] = slackui.UserOrGroupMention(id, 40)
	}
	return slackui.JoinLimited(names, ", ", 0, maxApproverChars)
}
