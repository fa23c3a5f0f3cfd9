package audit

import "regexp"

// tokenPattern matches Slack tokens and bearer credentials that an HTTP client might have
// put into an error string.
var tokenPattern = regexp.MustCompile(`xox[a-z]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+|(?i:bearer)\s+[A-Za-z0-9._~+/=-]+`)

// maxErrorLen bounds what is logged and stored per failed attempt, in runes.
const maxErrorLen = 500

// Redact removes anything that looks like a credential from an error message and bounds
// its length, so that errors can be logged and stored safely.
func Redact(s string) string {
	s = tokenPattern.ReplaceAllString(s, "[redacted]")
	if r := []rune(s); len(r) > maxErrorLen {
		s = string(r[:maxErrorLen-1]) + "…"
	}
	return s
}
