"""Slack adapter: a Bolt app whose listeners turn Slack requests into core calls."""

#: The platform name in `ChannelRef`, `PersonRef` and `Actor` for everything from Slack.
PLATFORM = "slack"
