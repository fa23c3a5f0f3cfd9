package closest

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestNames(t *testing.T) {
	names := []string{"Engineering", "Research", "Eng Ops", "Marketing", " ", "research-2"}
	tests := []struct {
		name string
		ref  string
		n    int
		want []string
	}{
		{"one typo, case ignored", "enginering", 3, []string{"Engineering"}},
		{"a prefix counts as near", "eng", 3, []string{"Engineering", "Eng Ops"}},
		{"nearest first, at most n", "reserch", 1, []string{"Research"}},
		{"nothing near", "zzzzzz", 3, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Names(tt.ref, names, tt.n))
		})
	}
}
