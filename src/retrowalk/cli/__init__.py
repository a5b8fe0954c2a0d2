"""Command-line interface: sub-commands, the terminal app and plain console output."""
