"""View builders: turn core results into neutral cards (wording lives here, once for all platforms)."""
