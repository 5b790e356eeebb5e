"""Security regressions: who may reach the endpoints, and what hostile input gets back."""
