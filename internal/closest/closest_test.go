package closest

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestNames(t *testing.T) {
	names := []string{"Engineering", "Research", "Data Science", "Design", "engineering ", "Platform"}
	tests := []struct {
		name string
		ref  string
		n    int
		want []string
	}{
		{"a typo, case folded", "ENGINERING", 3, []string{"Engineering"}},
		{"a part of a name", "science", 3, []string{"Data Science"}},
		{"nearest first", "Desing", 3, []string{"Design"}},
		{"at most n", "e", 1, []string{"Engineering"}},
		{"nothing near", "Marketing and Sales", 3, []string{}},
		{"an empty reference suggests only short names", "", 3, []string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, Names(tt.ref, names, tt.n))
		})
	}
}

func TestDistance(t *testing.T) {
	assert.Equal(t, 0, distance("", ""))
	assert.Equal(t, 3, distance("kitten", "sitting"))
	assert.Equal(t, 1, distance("长城", "长成"), "counts runes, not bytes")
}
