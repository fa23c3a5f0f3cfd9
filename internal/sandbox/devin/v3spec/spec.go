// Package v3spec holds the fake Devin's copy of Cognition's OpenAPI description of
// part of the Devin API v3 (users, roles, organizations, ACU limits, git connections
// and permissions, …) and checks requests against it, so the bot's v3 requests are
// held to Cognition's contract rather than to the fake's reading of it.
package v3spec

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// openapi.json is the reference description, kept verbatim.
//
//go:embed openapi.json
var specJSON []byte

// Spec routes and validates requests against the description. It is safe for
// concurrent use.
type Spec struct {
	doc    *openapi3.T
	router routers.Router
}

var (
	loadOnce sync.Once
	loaded   *Spec
	loadErr  error
)

// Load parses the embedded description once per process: every fake of a test run
// shares it, since parsing it is the slowest part of starting one.
func Load() (*Spec, error) {
	loadOnce.Do(func() { loaded, loadErr = parse(specJSON) })
	return loaded, loadErr
}

func parse(raw []byte) (*Spec, error) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(raw)
	if err != nil {
		return nil, fmt.Errorf("v3spec: load: %w", err)
	}
	if err := doc.Validate(loader.Context, openapi3.DisableExamplesValidation()); err != nil {
		return nil, fmt.Errorf("v3spec: not a valid OpenAPI document: %w", err)
	}
	// No servers: routes match on the path alone, whatever host the fake listens on.
	doc.Servers = nil
	r, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("v3spec: router: %w", err)
	}
	return &Spec{doc: doc, router: r}, nil
}

// Describes reports whether the description has an operation for method and path.
func (s *Spec) Describes(method, path string) bool {
	req, err := http.NewRequest(method, path, nil)
	if err != nil {
		return false
	}
	_, _, err = s.router.FindRoute(req)
	return err == nil
}

// Violation is a request the description does not allow: Field locates it the way
// a FastAPI validation error does ("body", "query"/"path" and a name), Msg says why.
type Violation struct {
	Loc []any
	Msg string
}

func (v *Violation) Error() string { return fmt.Sprintf("%v: %s", v.Loc, v.Msg) }

// ErrNotDescribed is returned for a request whose method and path the description
// does not cover; the fake's own handlers check those.
var ErrNotDescribed = errors.New("v3spec: operation not in the description")

// Validate checks one request (its method, escaped path with query, headers and
// body) against the description. It returns ErrNotDescribed when the description has
// no such operation, a *Violation when the request breaks it, nil when it is valid.
func (s *Spec) Validate(ctx context.Context, method, rawPathQuery string, header http.Header, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, method, rawPathQuery, bytes.NewReader(body))
	if err != nil {
		return &Violation{Loc: []any{"path"}, Msg: err.Error()}
	}
	req.Header = header.Clone()
	if len(body) == 0 {
		req.Body = http.NoBody
	}
	route, params, err := s.router.FindRoute(req)
	if err != nil {
		return ErrNotDescribed
	}
	in := &openapi3filter.RequestValidationInput{
		Request:    req,
		PathParams: params,
		Route:      route,
		Options: &openapi3filter.Options{
			RejectWhenRequestBodyNotSpecified: true,
			AuthenticationFunc:                openapi3filter.NoopAuthenticationFunc,
			MultiError:                        false,
		},
	}
	if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
		return toViolation(err)
	}
	return nil
}

// ValidateResponse checks an answer (status, headers, body) to a request against the
// operation's documented response; ErrNotDescribed when the description has no such
// operation or documents no response for that status. The fake's tests use it to hold
// the fake's answers to the description too.
func (s *Spec) ValidateResponse(ctx context.Context, method, rawPathQuery string, status int, header http.Header, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, method, rawPathQuery, http.NoBody)
	if err != nil {
		return err
	}
	route, params, err := s.router.FindRoute(req)
	if err != nil || route.Operation.Responses.Status(status) == nil {
		return ErrNotDescribed
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 status,
		Header:                 header,
		Body:                   io.NopCloser(bytes.NewReader(body)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true},
	}
	return openapi3filter.ValidateResponse(ctx, in)
}

// toViolation turns kin-openapi's error into a located, readable one.
func toViolation(err error) *Violation {
	var reqErr *openapi3filter.RequestError
	if errors.As(err, &reqErr) {
		loc := []any{"body"}
		if p := reqErr.Parameter; p != nil {
			loc = []any{p.In, p.Name}
		}
		var schemaErr *openapi3.SchemaError
		if errors.As(err, &schemaErr) {
			for _, part := range schemaErr.JSONPointer() {
				loc = append(loc, part)
			}
			return &Violation{Loc: loc, Msg: firstLine(schemaErr.Reason)}
		}
		msg := reqErr.Reason
		if msg == "" && reqErr.Err != nil {
			msg = reqErr.Err.Error()
		}
		return &Violation{Loc: loc, Msg: firstLine(msg)}
	}
	return &Violation{Loc: []any{"request"}, Msg: firstLine(err.Error())}
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	return s
}
