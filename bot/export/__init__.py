"""The CSV export of a channel's pulses and its card."""
