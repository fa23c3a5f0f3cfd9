package approvals

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCanTransition(t *testing.T) {
	all := []State{StatePending, StateApproved, StateDenied, StateExpired, StateCancelled, StateExecuting, StateDone, StateFailed}
	allowed := map[[2]State]bool{
		{StatePending, StateApproved}:   true,
		{StatePending, StateDenied}:     true,
		{StatePending, StateExpired}:    true,
		{StatePending, StateCancelled}:  true,
		{StateApproved, StateExecuting}: true,
		{StateExecuting, StateDone}:     true,
		{StateExecuting, StateFailed}:   true,
	}
	// Every pair, so that an edge added by mistake fails the test too.
	for _, from := range all {
		for _, to := range all {
			t.Run(string(from)+"->"+string(to), func(t *testing.T) {
				assert.Equal(t, allowed[[2]State{from, to}], CanTransition(from, to))
			})
		}
	}
	assert.False(t, CanTransition("", StatePending), "unknown state")
}

func TestStateFinal(t *testing.T) {
	for s, want := range map[State]bool{
		StatePending: false, StateApproved: false, StateExecuting: false,
		StateDenied: true, StateExpired: true, StateCancelled: true, StateDone: true, StateFailed: true,
	} {
		assert.Equal(t, want, s.Final(), s)
	}
}

func TestNewID(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"zero bytes map to zeros", []byte{0, 0, 0, 0, 0, 0}, "R000000"},
		{"only the low five bits are used", []byte{31, 32, 33, 10, 18, 255}, "RZ01AJZ"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := NewID(bytes.NewReader(tt.in))
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}

	t.Run("crypto/rand by default, always parseable", func(t *testing.T) {
		seen := map[string]bool{}
		for range 200 {
			id, err := NewID(nil)
			require.NoError(t, err)
			require.Len(t, id, 7)
			for _, bad := range "ILOU" {
				assert.NotContains(t, id[1:], string(bad))
			}
			parsed, err := ParseID(strings.ToLower(id))
			require.NoError(t, err)
			assert.Equal(t, id, parsed)
			seen[id] = true
		}
		assert.Greater(t, len(seen), 195, "IDs should practically never repeat")
	})

	t.Run("reader error is returned", func(t *testing.T) {
		_, err := NewID(iotest.ErrReader(errors.New("boom")))
		require.Error(t, err)
	})
	t.Run("short reader is an error", func(t *testing.T) {
		_, err := NewID(bytes.NewReader([]byte{1, 2}))
		require.Error(t, err)
	})
}

func TestParseID(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    string
		wantErr bool
	}{
		{"canonical", "R7K3QX0", "R7K3QX0", false},
		{"lower case", "r7k3qx0", "R7K3QX0", false},
		{"surrounding space and backticks", "  `R7K3QX0` \n", "R7K3QX0", false},
		{"O read as zero", "R7K3QXO", "R7K3QX0", false},
		{"I and L read as one", "RIL1234", "R111234", false},
		{"U is not in the alphabet", "R7K3QXU", "", true},
		{"missing prefix", "7K3QX00", "", true},
		{"too short", "R7K3QX", "", true},
		{"too long", "R7K3QX00", "", true},
		{"punctuation", "R7K-QX0", "", true},
		{"empty", "", "", true},
		{"non-ASCII", "R7K3Qé", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseID(tt.in)
			if tt.wantErr {
				require.ErrorIs(t, err, ErrInvalidID)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}
