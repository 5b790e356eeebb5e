"""Polls: opening, answering and closing a pulse; the button values; the poll and reminder cards."""
