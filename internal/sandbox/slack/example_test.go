package slacksandbox_test

import (
	"context"
	"strings"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/socketmode"

	slacksandbox "devin-chatops/internal/sandbox/slack"
)

// The shape of an end-to-end test: point the real slack-go client at the fake, send a
// slash command, then click the button the bot really posted.
func Example() {
	fake := slacksandbox.New(slacksandbox.Options{PingInterval: 100 * time.Millisecond})
	defer fake.Close()
	fake.AddUser("U1", "alice")
	fake.AddUserGroup("S_APPROVERS", "U2")

	api := slack.New("xoxb-fake",
		slack.OptionAppLevelToken("xapp-fake"),
		slack.OptionAPIURL(fake.APIURL()))
	client := socketmode.New(api, socketmode.OptionPingInterval(time.Second))
	_ = client // the bot under test runs client.RunContext and handles its Events

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := fake.WaitConnected(ctx, 1); err != nil {
		return
	}
	cmd := fake.SlashCommand("U1", "C_OPS", "grant alice to team-x")
	if _, err := cmd.WaitAck(ctx); err != nil {
		return
	}
	card, err := fake.WaitMessage(ctx, func(m slacksandbox.Message) bool {
		return strings.Contains(m.AllText(), "team-x") && len(m.Buttons()) > 0
	})
	if err != nil {
		return
	}
	click, err := fake.ClickButton("U2", card.Channel, card.TS, "approve")
	if err != nil {
		return
	}
	_, _ = click.WaitAck(ctx)
	// …then assert on fake.Messages, fake.Violations() and fake.Unacked().
}
