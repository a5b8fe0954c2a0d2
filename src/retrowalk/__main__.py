"""`python -m retrowalk` runs the CLI."""

from retrowalk.cli.main import entry

entry()
