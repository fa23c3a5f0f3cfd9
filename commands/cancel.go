package commands

import (
	"context"

	"devin-chatops/slackui"
)

// Cancel withdraws a pending approval request.
type Cancel struct{ ID string }

func (Cancel) Name() string { return "cancel" }

// Changes is false: a cancel needs no approval. Who may cancel (the requester or an
// approver) is checked by the approval domain.
func (Cancel) Changes() bool { return false }

func cancelSpec() spec {
	return spec{
		name:    "cancel",
		args:    "ID",
		summary: "withdraw a pending approval request (its requester, or an approver)",
		details: []string{
			requestIDDetail,
			"The card then reads “Cancelled” and loses its buttons, and a requester who did not cancel it is told. A request already decided stays as it is.",
		},
		example: "/devin cancel R7K3QX0",
		needs:   needsApprovals,
		build:   buildCancel,
		run: runs(func(ctx context.Context, env *runEnv, c call, cmd Cancel) (slackui.Reply, string, error) {
			return runCancel(ctx, env.desk, c.user, cmd)
		}),
	}
}

func buildCancel(in *input) (Command, error) {
	switch {
	case len(in.args) == 0:
		return nil, in.errorf("Which request? Give its ID, like `R7K3QX0`: the card and `/devin requests` show it.")
	case len(in.args) > 1:
		return nil, in.errorf("`/devin cancel` takes one request ID, but got also %s.", quote(in.args[1].display()))
	}
	id, err := requestIDArg(in, in.args[0])
	if err != nil {
		return nil, err
	}
	return Cancel{ID: id}, nil
}

// runCancel answers /devin cancel ID. A refusal (unknown, not theirs, already decided)
// is shown as the domain worded it; the command's audit event is tied to the request
// once it is cancelled.
func runCancel(ctx context.Context, desk RequestDesk, user string, cmd Cancel) (slackui.Reply, string, error) {
	if desk == nil {
		return slackui.Reply{}, "", notWired(cmd.Name())
	}
	reply, done, err := desk.Cancel(ctx, user, cmd.ID)
	if err != nil {
		return slackui.Reply{}, "", &failure{msg: "The request could not be cancelled just now, so nothing changed. Try again in a minute.", err: err}
	}
	if !done {
		return slackui.Reply{}, "", refuse(reply)
	}
	return slackui.Reply{Message: slackui.Text(reply)}, cmd.ID, nil
}
