// Package e2e holds the end-to-end tests: the real bot, with the real slack-go client,
// against the in-repo fakes of Slack, the Devin API and the GitHub API.
package e2e
