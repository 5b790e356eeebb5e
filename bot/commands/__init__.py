"""Commands: parsing what people type, dispatching it, the help card and the direct-message note."""
