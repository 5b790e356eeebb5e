"""Fault tests reuse the Slack stack: the real server, a fake Slack Web API, signed requests."""

from tests.slack.conftest import fake_slack, stack

__all__ = ["fake_slack", "stack"]
