package usage

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// bigData is a full-size enterprise: 40 orgs (every fourth with a limit), 2,000
// members, usage on every day of December up to day 20, and a previous cycle.
func bigData() (Data, time.Time) {
	rng := rand.New(rand.NewPCG(1, 2))
	now := dayN(20).Add(5 * time.Hour)
	d := Data{
		Cycle: december, OrgsKnown: true, MembersKnown: true,
		Members:  map[string]Member{},
		OrgDaily: map[string]map[string]float64{},
		Consumption: Consumption{
			ByDate: map[string]float64{}, ByOrg: map[string]float64{}, ByUser: map[string]float64{},
		},
		Recent: &Consumption{ByOrg: map[string]float64{}, ByUser: map[string]float64{}},
	}
	for i := range 40 {
		o := Org{ID: fmt.Sprintf("org-%02d", i), Name: fmt.Sprintf("Organization %02d", i)}
		if i%4 == 0 {
			o.Limit = lim(float64(2000 + 500*i))
			d.OrgDaily[o.ID] = map[string]float64{}
		}
		d.Orgs = append(d.Orgs, o)
	}
	for i := range 2000 {
		id := fmt.Sprintf("user-%04d", i)
		d.Members[id] = Member{ID: id, Name: fmt.Sprintf("Person %d", i), Email: fmt.Sprintf("person%d@example.com", i)}
	}
	for day := 1; day <= 20; day++ {
		key := dayKey(dayN(day))
		for range 300 {
			u := fmt.Sprintf("user-%04d", rng.IntN(2000))
			o := d.Orgs[rng.IntN(40)].ID
			v := float64(rng.IntN(200)) / 10
			d.Consumption.Total += v
			d.Consumption.ByDate[key] += v
			d.Consumption.ByOrg[o] += v
			d.Consumption.ByUser[u] += v
			if od, ok := d.OrgDaily[o]; ok {
				od[key] += v
			}
			if day > 13 {
				d.Recent.ByOrg[o] += v
				d.Recent.ByUser[u] += v
			}
		}
	}
	prev := Cycle{Start: december.Start.AddDate(0, -1, 0), End: december.Start}
	d.Previous = &prev
	d.PreviousConsumption = &Consumption{ByDate: map[string]float64{}}
	for day := range 30 {
		d.PreviousConsumption.ByDate[dayKey(prev.Start.Add(time.Duration(day)*Day))] = 2500
	}
	return d, now
}
