"""Slack adapter: a Bolt app whose listeners turn Slack requests into core calls."""
