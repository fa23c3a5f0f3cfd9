package auditecho

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"devin-chatops/audit"
)

func TestFormatCancelled(t *testing.T) {
	requested := time.Date(2025, 3, 4, 10, 2, 0, 0, time.UTC)
	line := Format(audit.Event{
		RequestID: "R7K3QX0", Kind: audit.KindCancelled, Actor: "U0ALICE", Command: "invite",
		Items: []string{"a@b.com"}, Detail: "cancelled by an approver",
		At: requested.Add(time.Minute), RequestedAt: requested, DecidedAt: requested.Add(time.Minute),
	})
	assert.Equal(t, ":wastebasket: `R7K3QX0` *cancelled* · <@U0ALICE> · invite a@b.com · cancelled by an approver · requested 10:02Z, decided 10:03Z", line)
	assert.NotEqual(t, kindEmoji(audit.KindRefused), kindEmoji(audit.KindCancelled), "a cancel does not read as a refused click")
}
