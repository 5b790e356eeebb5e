"""Errors the core raises on purpose, each with a message fit to show a person."""

from __future__ import annotations


class BridgePulseError(Exception):
    """Base of the core's deliberate errors."""


class ConfigError(BridgePulseError):
    """The deployment's configuration is wrong; the message names the setting to fix."""


class StoreUnavailable(BridgePulseError):
    """The database could not be reached; the caller should ask the person to try again."""


class PlatformRefused(BridgePulseError):
    """The platform refused what a command needed (a permission not granted, a feature its
    plan lacks); the message says what a person can do about it."""


class RecipientUnreachable(BridgePulseError):
    """The platform refuses messages to this channel or person for good (the bot was removed or
    blocked, or it never had a way in); scheduled work should skip it, not retry it."""
