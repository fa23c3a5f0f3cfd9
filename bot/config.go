package bot

import (
	"net/http"
	"time"

	"github.com/slack-go/slack"
)

// Config is the bot's runtime configuration. Zero values take the defaults below.
type Config struct {
	BotToken string // xoxb-…: every Web API call
	AppToken string // xapp-…: apps.connections.open only
	// APIURL is the Slack Web API base and must end in "/"; empty means Slack's.
	APIURL string
	// Workers is the number of handler goroutines. Handlers mostly wait on the Devin
	// and GitHub APIs, so many cheap goroutines keep a burst's last answer close to its
	// first (200 commands on a 2 s API: 26 s for the last answer with 16, 8 s with 64).
	Workers int
	// QueueSize bounds the acked work waiting for a worker.
	QueueSize int
	// DedupeTTL is how long envelope and event IDs are remembered; at least
	// MinDedupeTTL. Slack's last event retry comes 5 minutes after the first delivery.
	DedupeTTL time.Duration
	// ShutdownTimeout bounds how long Run waits for in-flight work after ctx ends.
	ShutdownTimeout time.Duration
	// PingInterval is slack-go's watchdog: with no server ping for this long the
	// connection is considered dead and reopened.
	PingInterval time.Duration
	// AckTimeout bounds one ack. Acks only block while the socket is down (slack-go
	// queues 20), and an ack later than Slack's 3 s deadline is useless anyway.
	AckTimeout time.Duration
	// HTTPClient is used for Web API calls; nil means a client with a 30 s timeout.
	HTTPClient *http.Client
}

// Config defaults.
const (
	DefaultWorkers         = 64
	DefaultQueueSize       = 1024
	DefaultDedupeTTL       = 10 * time.Minute
	MinDedupeTTL           = DefaultDedupeTTL
	DefaultShutdownTimeout = 20 * time.Second
	DefaultPingInterval    = 30 * time.Second
	DefaultAckTimeout      = 2 * time.Second
	defaultHTTPTimeout     = 30 * time.Second
	// dedupeMaxEntries bounds dedupe memory; 100k IDs cover far more than 10 minutes of
	// any realistic traffic for one workspace.
	dedupeMaxEntries = 100_000
	// maxBusyReplies bounds the goroutines telling users the bot is busy, so an
	// overload cannot turn into unbounded goroutine growth.
	maxBusyReplies = 32
	// ackFlushDelay lets acks already handed to slack-go reach the socket before
	// shutdown closes it.
	ackFlushDelay = 200 * time.Millisecond
	// slackAckDeadline is how long Slack waits for an ack.
	slackAckDeadline = 3 * time.Second
	// ackLogMaxEntries bounds the acks remembered for re-sending after a reconnect.
	ackLogMaxEntries = 4096
	// restartReplyTimeout bounds the reply to a command cut off by shutdown.
	restartReplyTimeout = 3 * time.Second
	// cancelledWorkWait is how long Run waits, after the shutdown deadline cancelled
	// the handlers, for them to return (and record what they did).
	cancelledWorkWait = 3 * time.Second
	// replyTimeout bounds one reply through a response_url.
	replyTimeout = 30 * time.Second
)

func (c Config) withDefaults() Config {
	if c.Workers <= 0 {
		c.Workers = DefaultWorkers
	}
	if c.QueueSize <= 0 {
		c.QueueSize = DefaultQueueSize
	}
	if c.DedupeTTL < MinDedupeTTL {
		c.DedupeTTL = MinDedupeTTL
	}
	if c.ShutdownTimeout <= 0 {
		c.ShutdownTimeout = DefaultShutdownTimeout
	}
	if c.PingInterval <= 0 {
		c.PingInterval = DefaultPingInterval
	}
	if c.AckTimeout <= 0 {
		c.AckTimeout = DefaultAckTimeout
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: defaultHTTPTimeout}
	}
	return c
}

// NewSlackClient builds the Web API client for cfg. Build it once and share it between
// the Poster and the Bot (WithSlackClient). Web API debug stays off: slack-go's
// OptionDebug makes Slack recycle the socket every ~6 minutes.
func NewSlackClient(cfg Config) *slack.Client {
	cfg = cfg.withDefaults()
	opts := []slack.Option{
		slack.OptionAppLevelToken(cfg.AppToken),
		slack.OptionHTTPClient(cfg.HTTPClient),
	}
	if cfg.APIURL != "" {
		opts = append(opts, slack.OptionAPIURL(cfg.APIURL))
	}
	return slack.New(cfg.BotToken, opts...)
}
