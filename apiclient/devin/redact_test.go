package devin_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/apiclient"
	"devin-chatops/apiclient/devin"
)

// A server that echoes the credential in a long message must not leak part of it:
// the message is cut to a few hundred bytes, and a cut through the key would leave a
// prefix that no longer matches the key when it is redacted.
func TestEchoedKeyCutByTheClipIsStillRedacted(t *testing.T) {
	const key = "cog_TOPSECRETTOPSECRETTOPSECRETTOPSECRET"
	for _, pad := range []int{270, 285, 295} {
		detail := strings.Repeat("x", pad) + " " + key + " trailing words"
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/problem+json")
			w.WriteHeader(http.StatusBadRequest)
			_ = json.NewEncoder(w).Encode(map[string]any{"title": "Bad Request", "status": 400, "detail": detail,
				"errors": []any{map[string]any{"loc": []any{"body", "emails"}, "msg": detail, "type": "value_error"}}})
		}))
		c, err := devin.NewV3(srv.URL, key)
		require.NoError(t, err)
		_, err = c.ListRoles(t.Context())
		srv.Close()
		require.Error(t, err)
		for _, s := range []string{err.Error(), fmt.Sprintf("%+v", err), apiclient.UserMessage(err)} {
			assert.NotContains(t, s, "cog_TOPSE", "pad %d", pad)
		}
	}
}
