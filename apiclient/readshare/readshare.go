// Package readshare puts the read calls of the Devin and GitHub clients behind
// share.Groups: people who ask the same thing at once share one API call, and its
// answer is reused for a few seconds. Devin and GitHub have the read methods of
// *devin.Client and *github.Client with the same signatures, so they go wherever an
// interface of those reads is expected. Whatever changes what they read (an executed
// invitation, a team change) calls Forget, so the next read is fresh.
//
// Every caller gets its own copy of an answer, pointers and maps included: the commands
// sort and filter what they get.
package readshare

import "time"

// DefaultTTL is how long an answer is reused. Long enough that a burst of the same
// command shares one call and the commands that follow it within seconds do too; short
// enough that a change made outside the bot shows within a few seconds.
const DefaultTTL = 5 * time.Second
