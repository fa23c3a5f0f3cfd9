package share

import (
	"reflect"
	"time"
)

// holdsReferences reports whether a value of t can share memory with its copies: it
// is, or contains, a pointer, map, slice, channel, function or interface. A result of
// such a type needs a Clone, or one caller could change what the others see.
func holdsReferences(t reflect.Type) bool {
	if t == reflect.TypeFor[time.Time]() {
		// A value despite its *Location: nothing outside package time can change
		// what that points to.
		return false
	}
	switch t.Kind() {
	case reflect.Array:
		return holdsReferences(t.Elem())
	case reflect.Struct:
		for f := range t.Fields() {
			if holdsReferences(f.Type) {
				return true
			}
		}
		return false
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Chan, reflect.Func, reflect.Interface, reflect.UnsafePointer:
		return true
	default:
		return false
	}
}
