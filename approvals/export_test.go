package approvals

import "time"

// WaitIdle waits until no request is queued or running in the execution pool: a click
// has then been carried through as far as it goes.
func (s *Service) WaitIdle() {
	for {
		s.pool.mu.Lock()
		n := len(s.pool.active)
		s.pool.mu.Unlock()
		if n == 0 {
			return
		}
		time.Sleep(time.Millisecond)
	}
}

// PermanentSlackError exposes permanentSlackError to the tests.
var PermanentSlackError = permanentSlackError
