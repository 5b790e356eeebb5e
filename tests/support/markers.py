"""A check that no neutral command token (`bot.cards.command`) reached a platform unrendered."""

from __future__ import annotations

from typing import Any

from bot.cards import COMMAND_CLOSE, COMMAND_OPEN


def leaked_tokens(payload: Any) -> list[str]:
    """Every string in `payload` (JSON-like, nested) still holding a command token's bracket."""
    if isinstance(payload, str):
        return [payload] if COMMAND_OPEN in payload or COMMAND_CLOSE in payload else []
    if isinstance(payload, dict):
        return [s for value in payload.values() for s in leaked_tokens(value)]
    if isinstance(payload, list | tuple):
        return [s for value in payload for s in leaked_tokens(value)]
    return []


def assert_rendered(payloads: Any) -> None:
    leaked = leaked_tokens(payloads)
    assert not leaked, f"a command token reached the platform unrendered: {leaked[:3]}"
