package bot

import "devin-chatops/apiclient"

// Clock is the time source of the bot and the poster: Now, and a Sleep that ends early
// when its context does. Tests substitute it so TTL expiry, pacing and Retry-After
// waits run without real waiting. It is the API clients' clock, so one fake serves both.
type Clock = apiclient.Clock

// SystemClock is the real wall clock.
type SystemClock = apiclient.SystemClock
