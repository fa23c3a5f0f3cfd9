package share

import (
	"fmt"
	"runtime/debug"
)

// PanicError is what a waiter panics with when the shared call panicked. The call runs
// on its own goroutine, where a panic would end the process; raising it again in each
// waiter leaves it to the waiters' own recovery (the bot's worker pool has one).
type PanicError struct {
	Value any
	// Stack is the panicking goroutine's stack, which the waiter's would not show.
	Stack []byte
}

func newPanicError(v any) *PanicError { return &PanicError{Value: v, Stack: debug.Stack()} }

func (p *PanicError) Error() string {
	return fmt.Sprintf("shared call panicked: %v\n\n%s", p.Value, p.Stack)
}

// Unwrap returns the panic value when it is an error.
func (p *PanicError) Unwrap() error {
	err, _ := p.Value.(error)
	return err
}
