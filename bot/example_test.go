package bot_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/slack-go/slack"

	"devin-chatops/bot"
	"devin-chatops/slackui"
)

type helpHandler struct{}

func (helpHandler) HandleSlash(context.Context, slack.SlashCommand) slackui.Reply {
	return slackui.Reply{Message: slackui.Text("usage: /devin help")}
}

// The wiring main does: one Slack client shared by the Poster (handed to the packages
// that post) and the Bot; health on its own listener; Run until SIGINT/SIGTERM.
func Example() {
	logger := slog.New(slog.NewJSONHandler(os.Stderr, nil))
	cfg := bot.Config{
		BotToken: os.Getenv("SLACK_BOT_TOKEN"),
		AppToken: os.Getenv("SLACK_APP_TOKEN"),
		APIURL:   "https://slack.com/api/",
	}

	api := bot.NewSlackClient(cfg)
	poster := bot.NewPoster(api, logger)
	var h bot.SlashHandler = helpHandler{} // commands.NewRouter(…) in app
	b := bot.New(cfg, h, logger, bot.WithSlackClient(api), bot.WithResponder(poster))

	health := &http.Server{Addr: ":8080", Handler: b.HealthHandler(), ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := health.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
			logger.Error("health listener", "error", err)
		}
	}()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := b.Run(ctx); err != nil {
		logger.Error("slack bot", "error", err) // e.g. "SLACK_BOT_TOKEN was rejected by Slack (invalid_auth)"
		os.Exit(1)
	}
	_ = health.Shutdown(context.Background())
}
