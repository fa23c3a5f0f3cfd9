// Package keylock serialises work per key (a request ID) inside one process.
package keylock

import "sync"

// Set is a set of mutexes, one per key, that exist only while someone holds or
// waits for them, so a long-running bot does not accumulate one per request ever seen.
// It serialises work inside one process; the store's compare-and-swap is what makes the
// work safe across processes.
type Set struct {
	mu    sync.Mutex
	locks map[string]*refMutex
}

type refMutex struct {
	sync.Mutex
	refs int
}

// Lock blocks until key is free and returns the function that frees it.
func (k *Set) Lock(key string) (unlock func()) {
	k.mu.Lock()
	if k.locks == nil {
		k.locks = map[string]*refMutex{}
	}
	m := k.locks[key]
	if m == nil {
		m = &refMutex{}
		k.locks[key] = m
	}
	m.refs++
	k.mu.Unlock()

	m.Lock()
	return func() {
		m.Unlock()
		k.mu.Lock()
		m.refs--
		if m.refs == 0 {
			delete(k.locks, key)
		}
		k.mu.Unlock()
	}
}
