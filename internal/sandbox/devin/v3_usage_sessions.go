package devinsandbox

import (
	"crypto/sha256"
	"encoding/hex"
	"sort"
	"time"
)

// ---- v3 sessions carrying the usage records ----
//
// On the real API every Devin-product ACU (usage inside an organization) is used by
// a session of that user in that org, so the sessions listing (V28) bounds a user's
// Devin ACUs: a session's acus_consumed is at least what it used in any window, and
// it was updated at or after its last day of use. Tests and the demo seed usage
// records without sessions, so the v3 listing adds one session per user, org and
// billing day of use, carrying that day's ACUs.
//
// A user who has sessions added in an org (AddSession) is described by those: no
// session is derived for that user and org. Tests listing sessions seed their own
// and see exactly them, and a test seeding both decides how they relate. v2 has no
// sessions listing a report reads, and its insights listing shows the added ones
// only, as before.

// usageSessionsLocked are the sessions derived from the usage records, in no order.
func (s *Server) usageSessionsLocked() []Session {
	type key struct{ user, org, date string }
	described := map[[2]string]bool{}
	for _, sess := range s.sessions {
		described[[2]string{sess.UserID, sess.OrgID}] = true
	}
	byDay := map[key]float64{}
	for _, u := range s.usage {
		if u.OrgID == "" || u.UserID == "" || described[[2]string{u.UserID, u.OrgID}] {
			continue
		}
		if _, valid := billingDay(u.Date); valid {
			byDay[key{u.UserID, u.OrgID, u.Date}] += u.ACUs
		}
	}
	now := s.now().UTC()
	out := make([]Session, 0, len(byDay))
	for k, acus := range byDay {
		day, _ := billingDay(k.date)
		sum := sha256.Sum256([]byte(k.user + "\x00" + k.org + "\x00" + k.date))
		id := "devin-" + hex.EncodeToString(sum[:8])
		// Updated at the end of its day of use, or now for today's.
		updated := day.Add(24*time.Hour - time.Second)
		if updated.After(now) && !day.After(now) {
			updated = now
		}
		out = append(out, Session{
			SessionID: id, OrgID: k.org, UserID: k.user, Title: "Work of " + k.date, Status: "finished",
			URL: "https://app.devin.ai/sessions/" + id[len("devin-"):], ACUsConsumed: acus,
			CreatedAt: day, UpdatedAt: updated,
		})
	}
	return out
}

// v3SessionsLocked are the added sessions, then those derived from usage (newest
// first, by ID within a day).
func (s *Server) v3SessionsLocked() []Session {
	derived := s.usageSessionsLocked()
	sort.Slice(derived, func(i, j int) bool {
		a, b := derived[i], derived[j]
		if !a.CreatedAt.Equal(b.CreatedAt) {
			return a.CreatedAt.After(b.CreatedAt)
		}
		return a.SessionID < b.SessionID
	})
	return append(append([]Session(nil), s.sessions...), derived...)
}
