"""Running scenarios: a suite of scenarios in one world, one scenario's steps, page time, mutants."""
