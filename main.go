// Command devin-chatops is a Slack bot that runs a Devin Enterprise account and GitHub
// Enterprise teams from chat, with approvals and an audit trail.
//
//	devin-chatops run          connect to Slack (Socket Mode) with the environment's configuration
//	devin-chatops console [--db PATH]  the real bot against in-process fakes; type /devin commands
//	devin-chatops healthcheck  probe /healthz on HTTP_ADDR (for container health checks)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
	_ "time/tzdata" // CRON_TZ zones work in the scratch image, which has no zoneinfo

	"devin-chatops/app"
	"devin-chatops/config"
	"devin-chatops/internal/console"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

const usage = `usage: devin-chatops [run|console [--db PATH]|healthcheck]

  run          connect to Slack with the configuration in the environment (default)
  console      run the bot against in-process fakes of Slack, Devin and GitHub; its
               requests and audit log go to a temporary database removed at exit, or
               to the SQLite file PATH with --db (DATABASE_URL is not used)
  healthcheck  exit 0 when /healthz on HTTP_ADDR answers 200
`

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	cmd := "run"
	if len(args) > 0 {
		cmd = args[0]
	}
	signals := []os.Signal{os.Interrupt, syscall.SIGTERM}
	if cmd == "console" {
		// A closed terminal sends SIGHUP; stopping on it (rather than dying) lets the
		// console remove its temporary database.
		signals = append(signals, syscall.SIGHUP)
	}
	ctx, stop := signal.NotifyContext(context.Background(), signals...)
	defer stop()

	switch cmd {
	case "run":
		return runBot(ctx, stderr)
	case "console":
		return runConsole(ctx, args[1:], stdin, stdout, stderr)
	case "healthcheck":
		return healthcheck(stderr)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "unknown subcommand %q\n%s", cmd, usage)
		return 2
	}
}

func runBot(ctx context.Context, stderr io.Writer) int {
	cfg, err := config.Load(config.ModeRun)
	if err != nil {
		fmt.Fprintln(stderr, "devin-chatops cannot start:")
		for _, line := range strings.Split(err.Error(), "\n") {
			fmt.Fprintln(stderr, "  "+line)
		}
		return 1
	}
	logger := newLogger(cfg, stderr)
	a, err := app.New(ctx, cfg, logger, app.Options{})
	if err != nil {
		logger.Error("start-up failed", "error", err)
		return 1
	}
	logger.Info("devin-chatops starting", "http_addr", cfg.HTTPAddr, "devin", cfg.DevinEnabled(), "github", cfg.GitHubEnabled())
	if cfg.UsageReportChannel != "" {
		logger.Info("usage reports scheduled", "channel", cfg.UsageReportChannel, "schedule", cfg.UsageReportSchedule, "alert_thresholds", cfg.UsageAlertThresholds)
	}
	if err := a.Run(ctx); err != nil {
		logger.Error("devin-chatops stopped", "error", err)
		return 1
	}
	logger.Info("devin-chatops stopped")
	return 0
}

func runConsole(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("console", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var opts console.Options
	fs.StringVar(&opts.DBPath, "db", "", "keep requests and the audit log in the SQLite file `PATH` (default: a temporary one, removed at exit)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "console: unexpected argument %q\n%s", fs.Arg(0), usage)
		return 2
	}
	cfg, err := config.Load(config.ModeConsole)
	if err != nil {
		fmt.Fprintln(stderr, "devin-chatops console cannot start:")
		for _, line := range strings.Split(err.Error(), "\n") {
			fmt.Fprintln(stderr, "  "+line)
		}
		return 1
	}
	if err := console.Run(ctx, cfg, opts, stdin, stdout, stderr); err != nil && !errors.Is(err, context.Canceled) {
		fmt.Fprintln(stderr, "console:", err)
		return 1
	}
	return 0
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	if cfg.LogFormat == "text" {
		return slog.New(slog.NewTextHandler(w, opts))
	}
	return slog.New(slog.NewJSONHandler(w, opts))
}

func healthcheck(stderr io.Writer) int {
	addr := os.Getenv("HTTP_ADDR")
	if addr == "" {
		addr = ":8080"
	}
	if strings.HasPrefix(addr, ":") {
		addr = "127.0.0.1" + addr
	}
	client := &http.Client{Timeout: 3 * time.Second}
	resp, err := client.Get("http://" + addr + "/healthz")
	if err != nil {
		fmt.Fprintln(stderr, "healthcheck:", err)
		return 1
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		fmt.Fprintln(stderr, "healthcheck: /healthz answered", resp.Status)
		return 1
	}
	return 0
}
