"""The workout engine: state machine, commands, events, time."""
