"""The score: scoring answers, results and trends, the differencing guard, the score cards."""
