package ghspec

import (
	githubsandbox "devin-chatops/internal/sandbox/github"

	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// specFromModuleRoot is where GitHub's Enterprise Teams OpenAPI fragment lives: the
// shared reference folder next to the repository, not inside it.
const specFromModuleRoot = "../shared/reference/github-enterprise-teams-openapi.json"

// Spec validates recorded traffic against GitHub's Enterprise Teams OpenAPI
// description, so the client and the fake are both held to GitHub's contract rather
// than to each other.
type Spec struct {
	File string
	doc  *openapi3.T

	mu      sync.Mutex
	routers map[string]routers.Router // by base URL
}

// LoadSpec finds the description relative to the module root (found by walking up
// from the working directory to go.mod), loads and validates it, and skips tb when the
// file is not there: the reference folder is not part of the repository.
func LoadSpec(tb testing.TB) *Spec {
	tb.Helper()
	file, err := findSpec()
	if err != nil {
		tb.Skipf("ghspec: OpenAPI description not found (%v); skipping spec validation", err)
	}
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromFile(file)
	if err != nil {
		tb.Fatalf("ghspec: load %s: %v", file, err)
	}
	// Example validation stays off: the upstream file has an array operation whose
	// example is an object, and the file is kept verbatim.
	if err := doc.Validate(loader.Context, openapi3.DisableExamplesValidation()); err != nil {
		tb.Fatalf("ghspec: %s is not a valid OpenAPI document: %v", file, err)
	}
	return &Spec{File: file, doc: doc, routers: map[string]routers.Router{}}
}

func findSpec() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			file := filepath.Join(dir, filepath.FromSlash(specFromModuleRoot))
			if _, err := os.Stat(file); err != nil {
				return "", fmt.Errorf("no %s next to module root %s", specFromModuleRoot, dir)
			}
			return file, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// OperationID routes method and a URL below baseURL (as a client would send it) and
// returns the operation's id.
func (s *Spec) OperationID(baseURL, method, rawURL string) (string, error) {
	req, err := http.NewRequest(method, rawURL, nil)
	if err != nil {
		return "", err
	}
	route, _, err := s.route(baseURL, req)
	if err != nil {
		return "", err
	}
	return route.Operation.OperationID, nil
}

// ValidateRequest checks a recorded request against the description: the route
// (method and path), query parameters and body, plus the headers GitHub requires of
// every call, which the description states only as x-request-conventions. baseURL is
// the API base the request was sent to (Server.URL()).
func (s *Spec) ValidateRequest(ctx context.Context, baseURL string, rr githubsandbox.RecordedRequest) error {
	in, err := s.requestInput(baseURL, rr)
	if err != nil {
		return err
	}
	if err := checkConventions(rr); err != nil {
		return fmt.Errorf("%s %s: %w", rr.Method, rr.Path, err)
	}
	if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
		return fmt.Errorf("%s %s: %w", rr.Method, rr.Path, err)
	}
	return nil
}

// ValidateResponse checks the recorded answer to rr against the operation's documented
// response for that status. Statuses the description does not list (GitHub documents
// few errors for these operations) are checked against basic-error instead, which is
// what GitHub sends for every failure.
func (s *Spec) ValidateResponse(ctx context.Context, baseURL string, rr githubsandbox.RecordedRequest) error {
	in, err := s.requestInput(baseURL, rr)
	if err != nil {
		return err
	}
	resp := rr.Response
	if resp.Status == 0 {
		return fmt.Errorf("%s %s: no response was recorded", rr.Method, rr.Path)
	}
	if in.Route.Operation.Responses.Status(resp.Status) == nil && resp.Status >= 400 {
		return s.validateBasicError(rr)
	}
	out := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 resp.Status,
		Header:                 resp.Header,
		Body:                   io.NopCloser(bytes.NewReader(resp.Body)),
		Options:                &openapi3filter.Options{IncludeResponseStatus: true},
	}
	if err := openapi3filter.ValidateResponse(ctx, out); err != nil {
		return fmt.Errorf("%s %s -> %d: %w", rr.Method, rr.Path, resp.Status, err)
	}
	return nil
}

func (s *Spec) validateBasicError(rr githubsandbox.RecordedRequest) error {
	ref := s.doc.Components.Schemas["basic-error"]
	if ref == nil || ref.Value == nil {
		return errors.New("description has no basic-error schema")
	}
	var v any
	if err := json.Unmarshal(rr.Response.Body, &v); err != nil {
		return fmt.Errorf("%s %s -> %d: error body is not JSON: %w", rr.Method, rr.Path, rr.Response.Status, err)
	}
	if err := ref.Value.VisitJSON(v); err != nil {
		return fmt.Errorf("%s %s -> %d: error body is not a basic-error: %w", rr.Method, rr.Path, rr.Response.Status, err)
	}
	return nil
}

func (s *Spec) requestInput(baseURL string, rr githubsandbox.RecordedRequest) (*openapi3filter.RequestValidationInput, error) {
	base, err := url.Parse(baseURL)
	if err != nil {
		return nil, err
	}
	raw := base.Scheme + "://" + base.Host + rr.Path
	if rr.RawQuery != "" {
		raw += "?" + rr.RawQuery
	}
	var body io.Reader
	if len(rr.Body) > 0 {
		body = bytes.NewReader(rr.Body)
	}
	req, err := http.NewRequest(rr.Method, raw, body)
	if err != nil {
		return nil, err
	}
	req.Header = rr.Header.Clone()
	route, params, err := s.route(baseURL, req)
	if err != nil {
		return nil, fmt.Errorf("%s %s: no operation in the description: %w", rr.Method, rr.Path, err)
	}
	return &openapi3filter.RequestValidationInput{
		Request:    req,
		PathParams: params,
		Route:      route,
		Options: &openapi3filter.Options{
			RejectWhenRequestBodyNotSpecified: true,
			AuthenticationFunc:                openapi3filter.NoopAuthenticationFunc,
		},
	}, nil
}

// route finds the operation with the description's servers replaced by baseURL, so a
// fake on 127.0.0.1 (with or without the GHES /api/v3 prefix) routes like GitHub.
func (s *Spec) route(baseURL string, req *http.Request) (*routers.Route, map[string]string, error) {
	s.mu.Lock()
	r, ok := s.routers[baseURL]
	if !ok {
		doc := *s.doc
		doc.Servers = openapi3.Servers{{URL: strings.TrimRight(baseURL, "/")}}
		var err error
		if r, err = gorillamux.NewRouter(&doc); err != nil {
			s.mu.Unlock()
			return nil, nil, err
		}
		s.routers[baseURL] = r
	}
	s.mu.Unlock()
	return r.FindRoute(req)
}

// checkConventions enforces the headers the description lists under
// x-request-conventions, which no operation declares as a parameter.
func checkConventions(rr githubsandbox.RecordedRequest) error {
	h := rr.Header
	if !githubsandbox.AcceptsGitHubJSON(h.Values("Accept")) {
		return fmt.Errorf("Accept is %q, want %s", h.Get("Accept"), githubsandbox.MediaType)
	}
	if v := h.Get("X-GitHub-Api-Version"); v != githubsandbox.APIVersion && v != githubsandbox.NewerAPIVersion {
		return fmt.Errorf("X-GitHub-Api-Version is %q, want %s", v, githubsandbox.APIVersion)
	}
	if !strings.HasPrefix(h.Get("Authorization"), "Bearer ") {
		return errors.New("Authorization is not a Bearer token")
	}
	if h.Get("User-Agent") == "" {
		return errors.New("no User-Agent")
	}
	if len(rr.Body) > 0 && !strings.HasPrefix(h.Get("Content-Type"), "application/json") {
		return fmt.Errorf("Content-Type is %q for a JSON body", h.Get("Content-Type"))
	}
	return nil
}
