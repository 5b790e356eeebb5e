"""Local stand-ins for the platforms (fake Slack Web API), used by tests, the demo and benchmarks."""
