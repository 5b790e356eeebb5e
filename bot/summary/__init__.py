"""The trend summary posted when a pulse closes: its figures, the study comparison, charts, card."""
