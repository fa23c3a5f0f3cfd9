package commands

// registry returns every command, configured or not, in the order help lists them.
// Adding a command is its own file, its test and one line here. It is a function, not
// a package variable, so that nothing can change the commands at run time.
func registry() []spec {
	return []spec{
		helpSpec(),
		membersSpec(),
		orgsSpec(),
		teamsSpec(),
		teamListSpec(),
		usageSpec(),
		auditSpec(),
		requestsSpec(),
		sessionsSpec(),
		inviteSpec(),
		teamAddSpec(),
		teamRemoveSpec(),
		orgCreateSpec(),
		orgLimitSpec(),
		orgAddSpec(),
		permissionAddSpec(),
		offboardSpec(),
		cancelSpec(),
		grantsSpec(),
	}
}
