"""Bolt listeners, one module per kind of request; each exposes `register(app, ...)`."""
