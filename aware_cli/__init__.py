"""The ``aware`` command line: the one place that composes the drivers (simulator and,
later, runtime) behind subcommands."""
