"""Nudges: the rules (data), the metrics they read, and the choice of this week's nudge."""
