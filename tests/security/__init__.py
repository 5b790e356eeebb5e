"""Privacy regression tests: k per figure, the differencing guard, forget-me."""
