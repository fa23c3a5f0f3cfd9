package commands

import "devin-chatops/slackui"

// helpReply answers /devin help [COMMAND]. The help text is built from the command
// table and is safe mrkdwn; a long overview is split into sections rather than clipped.
func helpReply(h Help) slackui.Reply {
	return slackui.Reply{Message: textMessage(HelpText(h.Topic))}
}
