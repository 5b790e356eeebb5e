"""Local stand-ins for the chat platforms (fake Slack Web API, fake Teams connector): the demo, the
tests and the benchmarks drive the real adapters at them."""
