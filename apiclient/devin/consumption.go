package devin

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// billingDayOffset is when a Devin billing day starts: midnight PST, 08:00 UTC. The
// dashboard uses this boundary, so queries aligned to it give the same totals.
const billingDayOffset = 8 * time.Hour

// BillingDayStart returns the start of the billing day containing t: the latest
// 08:00:00 UTC at or before t.
func BillingDayStart(t time.Time) time.Time {
	u := t.UTC()
	start := time.Date(u.Year(), u.Month(), u.Day(), 0, 0, 0, 0, time.UTC).Add(billingDayOffset)
	if u.Before(start) {
		start = start.AddDate(0, 0, -1)
	}
	return start
}

// billingDayEnd returns the first billing-day boundary at or after t, so a query
// ending "now" includes today's consumption.
func billingDayEnd(t time.Time) time.Time {
	start := BillingDayStart(t)
	if start.Equal(t) {
		return start
	}
	return start.AddDate(0, 0, 1)
}

// Cycle is one billing (consumption) cycle.
type Cycle struct {
	Start    time.Time
	End      time.Time
	ACUsUsed *float64 // only some servers report it
}

// cycleJSON accepts the schema's {start, end} and the examples' {start_date,
// end_date, acus_used}.
type cycleJSON struct {
	Start     flexTime  `json:"start"`
	End       flexTime  `json:"end"`
	StartDate flexTime  `json:"start_date"`
	EndDate   flexTime  `json:"end_date"`
	ACUsUsed  flexFloat `json:"acus_used"`
}

// boundary picks the first present time; a bare date names a billing day, which
// starts at 08:00 UTC.
func boundary(ts ...flexTime) time.Time {
	for _, t := range ts {
		if t.t.IsZero() {
			continue
		}
		if t.dateOnly {
			return t.t.Add(billingDayOffset)
		}
		return t.t
	}
	return time.Time{}
}

// ListCycles returns the billing cycles since the enterprise was created, in the
// order the API gives them (which is not documented; see CurrentCycle).
func (c *Client) ListCycles(ctx context.Context) ([]Cycle, error) {
	const path = "/consumption/cycles"
	resp, err := c.do(ctx, http.MethodGet, path, nil, nil)
	if err != nil {
		return nil, err
	}
	raw, err := decodeList[cycleJSON](resp.Body, "cycles", "items")
	if err != nil {
		return nil, c.decodeError(http.MethodGet, path, resp.Status, err)
	}
	cycles := make([]Cycle, 0, len(raw))
	for _, r := range raw {
		cycles = append(cycles, Cycle{
			Start:    boundary(r.Start, r.StartDate),
			End:      boundary(r.End, r.EndDate),
			ACUsUsed: r.ACUsUsed.ptr(),
		})
	}
	return cycles, nil
}

// CurrentCycle returns the cycle containing now (start inclusive, end exclusive),
// else the one that starts last; false only when cycles is empty.
func CurrentCycle(cycles []Cycle, now time.Time) (Cycle, bool) {
	if len(cycles) == 0 {
		return Cycle{}, false
	}
	latest := cycles[0]
	for _, c := range cycles {
		if !now.Before(c.Start) && (c.End.IsZero() || now.Before(c.End)) {
			return c, true
		}
		if c.Start.After(latest.Start) {
			latest = c
		}
	}
	return latest, true
}

// ConsumptionQuery selects a period of daily consumption. Start is floored and End
// ceiled to billing-day boundaries (08:00 UTC); a zero Start or End leaves the API
// default (the current cycle's start, today).
type ConsumptionQuery struct {
	Start  time.Time
	End    time.Time
	OrgIDs []string // only Devin-session ACUs are attributed to orgs
	// Detail says which breakdowns the caller reads. v2 answers every one in its one
	// call and ignores it; v3 has a call per org and per user, so it makes only
	// those asked for. The zero value asks for all.
	Detail Detail
	// TopUsers, when > 0, says the caller reads only the TopUsers users with the most
	// ACUs from ByUser: v3 then finds exactly those (and maybe a few more) instead of
	// every user's figure. 0 means every user. v2 ignores it.
	TopUsers int
}

// Detail is which breakdowns of a consumption query its caller reads.
type Detail int

const (
	// DetailAll is TotalACUs, ByDate, ByOrg and ByUser.
	DetailAll Detail = iota
	// DetailOrgs is TotalACUs, ByDate and ByOrg: ByUser may be left empty.
	DetailOrgs
	// DetailTotals is TotalACUs and ByDate: ByOrg and ByUser may be left empty.
	DetailTotals
)

func (q ConsumptionQuery) values() url.Values {
	v := url.Values{}
	if !q.Start.IsZero() {
		v.Set("start_date", BillingDayStart(q.Start).Format(time.RFC3339))
	}
	if !q.End.IsZero() {
		v.Set("end_date", billingDayEnd(q.End).Format(time.RFC3339))
	}
	addRepeated(v, "org_ids", q.OrgIDs)
	return v
}

// Key identifies the request the query makes: two queries with the same Key ask the
// API the same question (their bounds fall in the same billing days), so they get the
// same answer. It is for callers that share answers between queries.
func (q ConsumptionQuery) Key() string {
	v := q.values()
	if q.Detail != DetailAll {
		v.Set("detail", strconv.Itoa(int(q.Detail)))
	}
	if q.TopUsers > 0 && q.Detail == DetailAll {
		v.Set("top_users", strconv.Itoa(q.TopUsers))
	}
	return v.Encode()
}

// Consumption is ACU consumption over a period. Maps are never nil.
type Consumption struct {
	TotalACUs float64
	ByDate    map[string]float64 // "YYYY-MM-DD" billing day -> ACUs
	ByOrg     map[string]float64 // org ID -> ACUs
	ByUser    map[string]float64 // user ID -> ACUs (enterprise-wide query only)
	// ByUserApprox, when set, says some ByUser figures are not exact: v3 stopped
	// reading per-user figures at its call budget (see maxUserReads), or a top user
	// has left the enterprise and has no figure of their own. Nil when every
	// figure of the top users asked for is exact (always on v2).
	ByUserApprox *UserApprox
}

// UserApprox describes a top-users ranking that is not exact.
type UserApprox struct {
	// Partial are the users in ByUser whose figure counts only their Devin sessions'
	// ACUs, not their other products'.
	Partial []string
	// MoreCalls is how many more per-user calls an exact ranking would take; with
	// AtLeast, members without sessions could need more still.
	MoreCalls int
	AtLeast   bool
}

type consumptionJSON struct {
	TotalACUs flexFloat          `json:"total_acus"`
	ByDate    map[string]float64 `json:"consumption_by_date"`
	ByOrg     map[string]float64 `json:"consumption_by_org_id"`
	ByUser    map[string]float64 `json:"consumption_by_user"`
}

func (j *consumptionJSON) consumption() *Consumption {
	c := &Consumption{TotalACUs: j.TotalACUs.v, ByDate: j.ByDate, ByOrg: j.ByOrg, ByUser: j.ByUser}
	if c.ByDate == nil {
		c.ByDate = map[string]float64{}
	}
	if c.ByOrg == nil {
		c.ByOrg = map[string]float64{}
	}
	if c.ByUser == nil {
		c.ByUser = map[string]float64{}
	}
	if !j.TotalACUs.set {
		for _, v := range c.ByDate {
			c.TotalACUs += v
		}
	}
	return c
}

// DailyConsumption returns the enterprise's ACU consumption per day, org and user.
func (c *Client) DailyConsumption(ctx context.Context, q ConsumptionQuery) (*Consumption, error) {
	return c.consumption(ctx, "/consumption/daily", q)
}

// UserDailyConsumption returns one user's ACU consumption per day and org.
func (c *Client) UserDailyConsumption(ctx context.Context, userID string, q ConsumptionQuery) (*Consumption, error) {
	if userID == "" {
		return nil, usageError("UserDailyConsumption needs a user ID")
	}
	return c.consumption(ctx, "/consumption/daily/"+url.PathEscape(userID), q)
}

func (c *Client) consumption(ctx context.Context, path string, q ConsumptionQuery) (*Consumption, error) {
	var j consumptionJSON
	if err := c.call(ctx, http.MethodGet, path, q.values(), nil, &j); err != nil {
		return nil, err
	}
	return j.consumption(), nil
}
