package closest

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestNames(t *testing.T) {
	names := []string{"Engineering", "Research", "Data Science", "data", " ", "Eng Ops"}
	tests := []struct {
		name string
		ref  string
		n    int
		want []string
	}{
		{"a typo, nearest first", "Enginering", 3, []string{"Engineering"}},
		{"case is ignored", "RESEARCH", 3, []string{"Research"}},
		{"a prefix counts as near", "eng", 3, []string{"Engineering", "Eng Ops"}},
		{"at most n", "eng", 1, []string{"Engineering"}},
		{"contained counts as near, ties keep the list's order", "data", 3, []string{"data", "Data Science"}},
		{"nothing near", "Sales", 3, []string{}},
		{"blank names are never offered", "", 3, []string{"Engineering", "Research", "Data Science"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Names(tt.ref, names, tt.n))
		})
	}
}
