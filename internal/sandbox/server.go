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

	mu    sync.Mutex
	fresh map[net.Conn]bool // accepted connections that have not sent a request yet
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
		fresh:     map[net.Conn]bool{},
	}
	s.srv.ConnState = s.track
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
		shut := make(chan struct{})
		go func() {
			defer close(shut)
			_ = s.srv.Shutdown(context.Background())
		}()
		// Shutdown counts a connection that has not sent a request yet (a client's
		// spare dial) as idle only after 5 s, and would wait that long for it. Nothing
		// is in progress on such a connection, so it is closed at once.
		tick := time.NewTicker(20 * time.Millisecond)
		defer tick.Stop()
		for done := false; !done; {
			s.closeFresh()
			select {
			case <-shut:
				done = true
			case <-tick.C:
			}
		}
		<-s.served
		s.transport.CloseIdleConnections()
	})
}

// track keeps the set of connections that have not sent a request yet.
func (s *Server) track(c net.Conn, state http.ConnState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if state == http.StateNew {
		s.fresh[c] = true
	} else {
		delete(s.fresh, c)
	}
}

func (s *Server) closeFresh() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.fresh {
		_ = c.Close()
		delete(s.fresh, c)
	}
}
