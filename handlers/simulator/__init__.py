"""Local stand-ins for the chat platforms (the demo and the tests drive the real adapters at them)."""
