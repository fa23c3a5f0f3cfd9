package bot

import (
	"io"
	"net/http"
)

// HealthHandler serves the process probes and metrics:
//
//	/healthz  200 "ok" while the process runs (liveness)
//	/readyz   200 "ok" while the socket is up and the tokens are valid, else 503 and why
//	/metrics  the Prometheus registry: the bot's counters and whatever the app added
func (b *Bot) HealthHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writePlain(w, http.StatusOK, "ok")
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		if reason := b.notReadyReason(); reason != "" {
			writePlain(w, http.StatusServiceUnavailable, reason)
			return
		}
		writePlain(w, http.StatusOK, "ok")
	})
	mux.Handle("GET /metrics", b.registry.Handler())
	return mux
}

func (b *Bot) notReadyReason() string {
	switch {
	case b.tokensRejected.Load():
		return "slack rejected a token"
	case !b.TokensValid():
		return "slack tokens not verified yet"
	case !b.Connected():
		return "socket mode not connected"
	default:
		return ""
	}
}

func writePlain(w http.ResponseWriter, code int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_, _ = io.WriteString(w, body+"\n")
}
