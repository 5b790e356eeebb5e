"""Channels: setup and schedule, the cadence, the due steps, their claims, the channel cards."""
