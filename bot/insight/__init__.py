"""Insight: trend summaries, nudges, digests, exports, charts and the differencing guard."""
