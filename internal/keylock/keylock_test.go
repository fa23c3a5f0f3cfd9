package keylock

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestSetSerialisesPerKey(t *testing.T) {
	var k Set
	var inside atomic.Int32
	var wg sync.WaitGroup
	for range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			unlock := k.Lock("R1")
			defer unlock()
			assert.EqualValues(t, 1, inside.Add(1))
			time.Sleep(time.Millisecond)
			inside.Add(-1)
		}()
	}
	// Another key is not blocked by R1.
	unlock := k.Lock("R2")
	unlock()
	wg.Wait()
	k.mu.Lock()
	defer k.mu.Unlock()
	assert.Empty(t, k.locks, "no mutex outlives its users")
}
