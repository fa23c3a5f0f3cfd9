package harness

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDevinAPIVersion(t *testing.T) {
	tests := []struct {
		name, env, opt, want, wantErr string
	}{
		{name: "default is v3", want: "v3"},
		{name: "the environment picks v2", env: "v2", want: "v2"},
		{name: "the environment in another case", env: " V3 ", want: "v3"},
		{name: "the option wins", env: "v2", opt: "v3", want: "v3"},
		{name: "an unknown version", env: "v4", wantErr: `got "v4"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(DevinVersionEnv, tt.env)
			got, err := DevinAPIVersion(Options{DevinAPIVersion: tt.opt})
			if tt.wantErr != "" {
				require.ErrorContains(t, err, tt.wantErr)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

// An environment serves only its version, with that version's kind of key, and its
// Close fails when the fake saw a request of the other version.
func TestEnvServesOneVersionAndCloseReportsViolations(t *testing.T) {
	for _, tt := range []struct{ version, keyPrefix, other, violation string }{
		{"v3", "cog_", "/v2/enterprise/members", "v2 path called in v3 mode: GET /v2/enterprise/members"},
		{"v2", "apk_user_", "/v3/enterprise/members/users", "v3 path called in v2 mode: GET /v3/enterprise/members/users"},
	} {
		t.Run(tt.version, func(t *testing.T) {
			env, err := Start(t.Context(), Options{DevinAPIVersion: tt.version, NoSeed: true})
			require.NoError(t, err)
			assert.Equal(t, tt.version, env.DevinAPIVersion)
			assert.Equal(t, tt.version, env.Config.DevinAPIVersion)
			assert.True(t, strings.HasPrefix(env.Config.DevinAPIKey.Reveal(), tt.keyPrefix))

			req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, env.Devin.URL()+tt.other, nil)
			require.NoError(t, err)
			req.Header.Set("Authorization", "Bearer "+env.Devin.APIKey())
			resp, err := env.Devin.Client().Do(req)
			require.NoError(t, err)
			resp.Body.Close()
			assert.Equal(t, http.StatusNotFound, resp.StatusCode)

			err = env.Close()
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.violation)
			assert.NotContains(t, err.Error(), env.Devin.APIKey(), "no key in the error")
		})
	}
}
