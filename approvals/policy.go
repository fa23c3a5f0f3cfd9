package approvals

// Result is the outcome of counting a request's votes.
type Result struct {
	// Status is StatePending, StateApproved or StateDenied.
	Status State
	// Approvers are the distinct approvers whose approval counted, in vote order.
	Approvers []string
	// Deniers are the approvers whose deny counted (at most one: the first ends it).
	Deniers []string
	// Needed is how many more approvals the request needs; 0 once it is decided.
	Needed int
}

// Tally applies the approval rule to votes, which must be in the order they were cast.
//
// A vote counts only when its voter is an approver (a nil isApprover means nobody is, so
// a wiring mistake fails closed), is not the requester unless allowSelf, and has not
// already voted: a voter's first vote is the one that counts. Votes are read in order and
// the first one that decides the request wins: a counted Deny denies it, and it is
// approved once `required` distinct approvers have approved. Later votes change nothing,
// because by then the request has already left pending. A required below 1 is treated as
// 1 so that a misconfiguration can never approve a request with no approver at all.
func Tally(votes []Vote, isApprover func(user string) bool, requester string, allowSelf bool, required int) Result {
	if required < 1 {
		required = 1
	}
	res := Result{Status: StatePending}
	seen := make(map[string]bool, len(votes))
	for _, v := range votes {
		switch {
		case v.Voter == "" || seen[v.Voter]:
			continue
		case isApprover == nil || !isApprover(v.Voter):
			continue
		case v.Voter == requester && !allowSelf:
			continue
		}
		seen[v.Voter] = true
		if !v.Approve {
			res.Deniers = append(res.Deniers, v.Voter)
			res.Status = StateDenied
			return res
		}
		res.Approvers = append(res.Approvers, v.Voter)
		if len(res.Approvers) >= required {
			res.Status = StateApproved
			return res
		}
	}
	res.Needed = required - len(res.Approvers)
	return res
}
