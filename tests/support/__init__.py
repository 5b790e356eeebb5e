"""Test support: database backends, a fixed clock, and a chat-style harness for the core."""
