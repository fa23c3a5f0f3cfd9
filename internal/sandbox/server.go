// Package sandbox holds the in-process stand-ins for Slack, the Devin API and GitHub
// that let people try the bot without keys (console mode) and that the tests run
// against. This package is what they share: an HTTP server on a free loopback port.
//
// It replaces net/http/httptest, which would link test infrastructure (and its test
// TLS certificate) into the production binary through console mode.
package sandbox

import (
	"context"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"sync"
	"time"
)

// Server is an HTTP server listening on 127.0.0.1 at a port the system chose.
type Server struct {
	// URL is the server's origin, e.g. http://127.0.0.1:1234, without a trailing slash.
	URL string

	srv       *http.Server
	served    chan struct{} // closed when Serve has returned
	transport *http.Transport
	closeOnce sync.Once
}

// readHeaderTimeout bounds a request's headers; the sandboxes' own delays (latency
// injection) happen after them, in the handlers.
const readHeaderTimeout = 30 * time.Second

// Start serves h on a fresh loopback port until Close. Like httptest.NewServer it
// panics when no port can be had: a sandbox without a socket is a broken machine, not
// an error a caller can handle.
func Start(h http.Handler) *Server {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(fmt.Sprintf("sandbox: listen on a loopback port: %v", err))
	}
	s := &Server{
		URL: "http://" + ln.Addr().String(),
		srv: &http.Server{
			Handler:           h,
			ReadHeaderTimeout: readHeaderTimeout,
			// A client hanging up mid-request is routine here (tests cut connections
			// on purpose); net/http's complaints about it would only clutter the
			// console.
			ErrorLog: log.New(io.Discard, "", 0),
		},
		served:    make(chan struct{}),
		transport: http.DefaultTransport.(*http.Transport).Clone(),
	}
	go func() {
		defer close(s.served)
		_ = s.srv.Serve(ln) // returns http.ErrServerClosed after Close
	}()
	return s
}

// Client is an HTTP client for this server; Close drops its idle connections.
func (s *Server) Client() *http.Client { return &http.Client{Transport: s.transport} }

// Close stops accepting connections, waits for the requests in progress to finish (as
// httptest.Server.Close does) and returns once the server's goroutines are gone.
// Hijacked connections (WebSockets) are the caller's to close. Close may be called
// more than once.
func (s *Server) Close() {
	s.closeOnce.Do(func() {
		_ = s.srv.Shutdown(context.Background())
		<-s.served
		s.transport.CloseIdleConnections()
	})
}
