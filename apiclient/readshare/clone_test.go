package readshare_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"devin-chatops/apiclient/devin"
	"devin-chatops/apiclient/github"
)

// references lists the fields of struct type t through which a copy shares memory
// with the original (pointers, maps, slices, interfaces…; a time.Time is a value).
func references(t reflect.Type) []string {
	var out []string
	for f := range t.Fields() {
		switch f.Type.Kind() {
		case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Chan, reflect.Func, reflect.Interface, reflect.UnsafePointer:
			out = append(out, f.Name)
		case reflect.Struct, reflect.Array:
			if f.Type != reflect.TypeFor[time.Time]() {
				out = append(out, f.Name+" (look inside)")
			}
		}
	}
	return out
}

// TestClonesCoverEveryReference fails when an answer type gains a field that the
// clones in clone.go do not copy: add it there, then here.
func TestClonesCoverEveryReference(t *testing.T) {
	tests := []struct {
		typ    reflect.Type
		copied []string
	}{
		{reflect.TypeFor[devin.Member](), []string{"LastLogin", "LoginCount"}},
		{reflect.TypeFor[devin.Organization](), []string{"MaxCycleACULimit", "MaxSessionACULimit", "CreatedAt"}},
		{reflect.TypeFor[devin.OrgMember](), nil},
		{reflect.TypeFor[devin.Cycle](), []string{"ACUsUsed"}},
		{reflect.TypeFor[devin.Consumption](), []string{"ByDate", "ByOrg", "ByUser", "ByUserApprox"}},
		{reflect.TypeFor[devin.UserApprox](), []string{"Partial"}},
		{reflect.TypeFor[devin.AuditLogEntry](), []string{"Extra"}},
		{reflect.TypeFor[devin.SessionInsight](), []string{"PullRequests", "Suggestions"}},
		{reflect.TypeFor[devin.PullRequest](), nil},
		{reflect.TypeFor[devin.GrantedGitPermission](), []string{"RepoPaths", "GroupPrefixes"}},
		{reflect.TypeFor[github.Team](), []string{"MembersCount", "GroupID"}},
		{reflect.TypeFor[github.User](), nil},
	}
	for _, tt := range tests {
		t.Run(tt.typ.String(), func(t *testing.T) {
			assert.ElementsMatch(t, tt.copied, references(tt.typ))
		})
	}
}
