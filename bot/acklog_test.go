package bot

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestAckLogKeepsOnlyTheAckDeadlineWindow(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := newAckLog(3*time.Second, 100)
	l.add("a", t0)
	l.add("b", t0.Add(time.Second))
	l.add("c", t0.Add(2*time.Second))

	assert.Equal(t, []string{"a", "b", "c"}, l.recent(t0.Add(2*time.Second)))
	assert.Equal(t, []string{"b", "c"}, l.recent(t0.Add(3*time.Second)), "a is past Slack's deadline")
	assert.Empty(t, l.recent(t0.Add(10*time.Second)))
}

func TestAckLogIsBounded(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	l := newAckLog(time.Minute, 3)
	for i := range 5 {
		l.add(fmt.Sprint(i), t0)
	}
	assert.Equal(t, []string{"2", "3", "4"}, l.recent(t0))
}

func TestConfigDefaults(t *testing.T) {
	c := Config{DedupeTTL: time.Minute}.withDefaults()
	assert.Equal(t, DefaultWorkers, c.Workers)
	assert.Equal(t, DefaultQueueSize, c.QueueSize)
	assert.Equal(t, 10*time.Minute, c.DedupeTTL, "a TTL shorter than Slack's retry schedule is raised")
	assert.Equal(t, DefaultShutdownTimeout, c.ShutdownTimeout)
	assert.Equal(t, DefaultPingInterval, c.PingInterval)
	assert.NotNil(t, c.HTTPClient)
	assert.Equal(t, time.Hour, Config{DedupeTTL: time.Hour}.withDefaults().DedupeTTL)
}
