package devinsandbox

import (
	"net/http"
	"sort"
	"time"
)

// ---- v3 consumption (V22–V25) ----

// v3Cycles is V22: cycles oldest first, each as its start (after) and end (before)
// in Unix seconds.
func (s *Server) v3Cycles(r *http.Request, _ []byte) reply {
	first, offset, bad := s.pageV3(r, "cycles")
	if bad != nil {
		return *bad
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]map[string]int64, len(s.cycles))
	for i, c := range s.cycles {
		out[i] = map[string]int64{"after": c.Start.Unix(), "before": c.End.Unix()}
	}
	return ok(paginateV3(out, "cycles", first, offset))
}

func (s *Server) v3Daily(r *http.Request, _ []byte) reply { return s.v3Consumption(r, "", "") }

func (s *Server) v3DailyOrg(r *http.Request, _ []byte) reply {
	return s.v3Consumption(r, r.PathValue("org_id"), "")
}

func (s *Server) v3DailyUser(r *http.Request, _ []byte) reply {
	return s.v3Consumption(r, "", r.PathValue("user_id"))
}

type v3DayWire struct {
	Date          int64              `json:"date"`
	ACUs          float64            `json:"acus"`
	ACUsByProduct map[string]float64 `json:"acus_by_product"`
}

// v3Consumption is V23 (everything), V24 (one organization) and V25 (one user): the
// total and one entry per billing day, dated by the day's start (08:00 UTC) in Unix
// seconds. time_after is inclusive, time_before exclusive; without time_after the
// window starts at the current cycle. Usage outside any organization is Cascade's
// (the product split), and an organization's figures leave it out.
func (s *Server) v3Consumption(r *http.Request, orgID, userID string) reply {
	after, bad := s.unixQuery(r, "time_after")
	if bad != nil {
		return *bad
	}
	before, bad := s.unixQuery(r, "time_before")
	if bad != nil {
		return *bad
	}
	if !after.IsZero() && !before.IsZero() && !before.After(after) {
		return s.invalid(r, badField([]any{"query", "time_before"}, "time_before must be later than time_after"))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if orgID != "" {
		if _, found := s.orgByID[orgID]; !found {
			return problem(http.StatusNotFound, "Organization not found")
		}
	}
	if userID != "" {
		if _, found := s.memberByID[userID]; !found {
			return problem(http.StatusNotFound, "User not found in enterprise")
		}
	}
	if after.IsZero() {
		now := s.now()
		for _, c := range s.cycles {
			if !now.Before(c.Start) && now.Before(c.End) {
				after = c.Start
			}
		}
	}
	total := 0.0
	byDay := map[time.Time]*v3DayWire{}
	for _, u := range s.usage {
		day, valid := billingDay(u.Date)
		if !valid || (!after.IsZero() && day.Before(after)) || (!before.IsZero() && !day.Before(before)) {
			continue
		}
		if (orgID != "" && u.OrgID != orgID) || (userID != "" && u.UserID != userID) {
			continue
		}
		d := byDay[day]
		if d == nil {
			d = &v3DayWire{Date: day.Unix(), ACUsByProduct: map[string]float64{"devin": 0, "cascade": 0, "terminal": 0}}
			byDay[day] = d
		}
		product := "devin"
		if u.OrgID == "" {
			product = "cascade"
		}
		d.ACUs += u.ACUs
		d.ACUsByProduct[product] += u.ACUs
		total += u.ACUs
	}
	days := make([]v3DayWire, 0, len(byDay))
	for _, d := range byDay {
		days = append(days, *d)
	}
	sort.Slice(days, func(i, j int) bool { return days[i].Date < days[j].Date })
	return ok(map[string]any{"total_acus": total, "consumption_by_date": days})
}
