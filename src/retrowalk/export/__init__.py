"""Exports of recorded sessions (FIT, TCX)."""
