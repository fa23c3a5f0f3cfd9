package slackui

// File is a file the bot shares in a channel, such as a usage report's chart.
type File struct {
	// Name is the file name; Slack takes the file type from its extension ("usage.png").
	Name string
	// Title is shown above the file; empty means Name.
	Title string
	// Comment is the message posted with the file. Like Message.Text it is mrkdwn sent
	// as given: callers escape user-supplied parts with Escape.
	Comment string
	// ThreadTS, when set, shares the file as a reply in that thread.
	ThreadTS string
	Data     []byte
}
