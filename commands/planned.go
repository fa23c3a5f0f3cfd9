package commands

// planned is a command in the design that is not built yet. It is registered so that
// typing it gets "not available yet" instead of "unknown command"; help does not offer
// it. Building the command replaces its planned line in the registry.
func planned(name string) spec { return spec{name: name, planned: true} }
