"""Platform adapters: each turns platform payloads into core calls and renders core cards."""
