package devin

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestFlexTime(t *testing.T) {
	want := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		in       string
		want     time.Time
		dateOnly bool
		wantErr  bool
	}{
		{in: `"2024-01-02T03:04:05Z"`, want: want},
		{in: `"2024-01-02T04:04:05+01:00"`, want: want},
		{in: `"2024-01-02T03:04:05.000000"`, want: want}, // Python isoformat without a zone
		{in: `"2024-01-02 03:04:05"`, want: want},
		{in: `1704164645000`, want: want}, // milliseconds
		{in: `1704164645`, want: want},    // seconds
		{in: `"1704164645000"`, want: want},
		{in: `1704164645.5`, want: want.Add(500 * time.Millisecond)},
		{in: `"2024-01-02"`, want: time.Date(2024, 1, 2, 0, 0, 0, 0, time.UTC), dateOnly: true},
		{in: `null`},
		{in: `""`},
		{in: `"yesterday"`, wantErr: true},
		{in: `true`, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			var f flexTime
			err := json.Unmarshal([]byte(tt.in), &f)
			if tt.wantErr {
				require.Error(t, err)
				return
			}
			require.NoError(t, err)
			assert.True(t, tt.want.Equal(f.t), "got %s", f.t)
			assert.Equal(t, tt.dateOnly, f.dateOnly)
		})
	}
}

func TestFlexNumbers(t *testing.T) {
	var v struct {
		A flexInt   `json:"a"`
		B flexInt   `json:"b"`
		C *flexInt  `json:"c"`
		D flexFloat `json:"d"`
		E flexFloat `json:"e"`
	}
	require.NoError(t, json.Unmarshal([]byte(`{"a":1000.0,"b":"42","c":null,"d":"0.25","e":null}`), &v))
	assert.Equal(t, 1000, v.A.v)
	assert.Equal(t, 42, v.B.v)
	assert.Nil(t, v.C)
	assert.InDelta(t, 0.25, v.D.v, 1e-12)
	assert.False(t, v.E.set)
	assert.Error(t, json.Unmarshal([]byte(`{"a":"many"}`), &v))
}

func TestChunks(t *testing.T) {
	for _, n := range []int{0, 1, 99, 100, 101, 250} {
		s := make([]int, n)
		got := chunks(s, 100)
		total := 0
		for _, c := range got {
			assert.LessOrEqual(t, len(c), 100)
			assert.NotEmpty(t, c)
			total += len(c)
		}
		assert.Equal(t, n, total)
		assert.Equal(t, (n+99)/100, len(got))
	}
}

func TestClip(t *testing.T) {
	assert.Equal(t, "a b c", clip(" a\n b\t\tc "))
	long := strings.Repeat("é", 400)
	got := clip(long)
	assert.LessOrEqual(t, len(got), maxMessage+len("…"))
	assert.True(t, strings.HasSuffix(got, "…"))
	assert.True(t, json.Valid([]byte(fmt.Sprintf("%q", got))))
}

// membersPageJSON is a realistic 200-member page in the schema's shape.
func membersPageJSON(n int) []byte {
	var b strings.Builder
	b.WriteString(`{"items":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"user_id":"email|%016x","email":"user%05d@example.com","name":"User Number %d",`+
			`"enterprise_role":"account_member","created_at":"2025-06-0%dT10:11:12.123456Z","last_login":"2026-03-01T08:00:00Z",`+
			`"login_count":%d,"saml_id":null,"searches_created_count":3,"sessions_created_count":%d}`, i*7919, i, i, i%9+1, i, i%50)
	}
	b.WriteString(`],"total":10000,"skip":0,"limit":200,"has_more":true,"next_cursor":200}`)
	return []byte(b.String())
}

func BenchmarkDecodeMembersPage200(b *testing.B) {
	body := membersPageJSON(200)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	dst := make([]Member, 0, 200)
	for b.Loop() {
		var err error
		var n int
		dst, n, _, err = decodeMembersPage(body, dst[:0])
		if err != nil || n != 200 {
			b.Fatalf("decoded %d members: %v", n, err)
		}
	}
}
