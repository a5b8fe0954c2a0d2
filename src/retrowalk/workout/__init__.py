"""Workout format, loading, planning, safety profiles and energy estimate."""
