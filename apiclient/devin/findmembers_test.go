package devin_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"devin-chatops/apiclient/devin"
)

// listerFake answers ListMembers from members and records each query's email filter.
type listerFake struct {
	mu        sync.Mutex
	members   []devin.Member
	ignoreFil bool // a server that ignores the email filter
	err       error
	queries   []string
}

func (f *listerFake) ListMembers(_ context.Context, opts devin.ListMembersOptions) ([]devin.Member, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queries = append(f.queries, opts.Email)
	if f.err != nil {
		return nil, f.err
	}
	if opts.Email == "" || f.ignoreFil {
		return f.members, nil
	}
	for _, m := range f.members {
		if strings.EqualFold(m.Email, opts.Email) {
			return []devin.Member{m}, nil
		}
	}
	return nil, nil
}

func TestFindMembers(t *testing.T) {
	people := []devin.Member{{UserID: "u1", Email: "Ada@Example.com"}, {UserID: "u2", Email: "grace@example.com"}, {UserID: "", Email: "noid@example.com"}}
	many := make([]string, 26)
	for i := range many {
		many[i] = fmt.Sprintf("p%02d@example.com", i)
	}
	tests := []struct {
		name        string
		fake        *listerFake
		emails      []string
		wantFound   []string
		wantQueries []string // sorted
	}{
		{"a few: one filtered look-up each, repeats once", &listerFake{members: people},
			[]string{"ada@example.com", "nobody@example.com", "ADA@example.com"}, []string{"ada@example.com"},
			[]string{"ada@example.com", "nobody@example.com"}},
		{"a server ignoring the filter matches nobody else", &listerFake{members: people, ignoreFil: true},
			[]string{"ada@example.com"}, []string{"ada@example.com"}, []string{"ada@example.com"}},
		{"a member without a user ID is not found", &listerFake{members: people}, []string{"noid@example.com"}, nil, []string{"noid@example.com"}},
		{"more than 25: one listing", &listerFake{members: append(people, devin.Member{UserID: "u9", Email: "p07@example.com"})},
			append(many, "grace@example.com"), []string{"grace@example.com", "p07@example.com"}, []string{""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := devin.FindMembers(context.Background(), tt.fake, tt.emails)
			require.NoError(t, err)
			var keys []string
			for k := range got {
				keys = append(keys, k)
			}
			assert.ElementsMatch(t, tt.wantFound, keys)
			assert.ElementsMatch(t, tt.wantQueries, tt.fake.queries)
		})
	}
	t.Run("a failed call is the error", func(t *testing.T) {
		boom := errors.New("boom")
		for _, emails := range [][]string{{"a@x.io"}, many} {
			got, err := devin.FindMembers(context.Background(), &listerFake{err: boom}, emails)
			require.ErrorIs(t, err, boom)
			assert.Nil(t, got)
		}
	})
}
