"""BridgePulse: the platform-neutral core of the marketing × IT alignment bot."""

__version__ = "0.1.0"
