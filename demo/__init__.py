"""The offline demo and the local stand-ins for the chat platforms: a fake Slack Web API and a fake
Teams connector (the tests and benchmarks use them too), the clients that send what Slack and Teams
send, the simulated team, demo time, and the `/_sim` page."""
