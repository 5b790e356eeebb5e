"""Privacy rules: keyed respondent hashes and the minimum group size k."""

from __future__ import annotations

import hashlib
import hmac

from bot.domain import Actor, PersonRef

MIN_K = 3
MAX_K = 25
DEFAULT_K = 5


class RespondentHasher:
    """HMAC-SHA256 of a person's platform identity under the deployment's secret.

    Answers and sides are stored against this hash only, never the raw user id; without the
    secret a hash cannot be tied back to a person.
    """

    def __init__(self, secret: str) -> None:
        if not secret:
            raise ValueError("a respondent hash needs a non-empty secret")
        self._key = secret.encode("utf-8")

    def of(self, who: Actor | PersonRef) -> str:
        identity = f"{who.platform}\x1f{who.workspace_id}\x1f{who.user_id}".encode()
        return hmac.new(self._key, identity, hashlib.sha256).hexdigest()


def not_enough_text(marketing: int, it: int, k: int) -> str:
    """The one wording used everywhere a figure is withheld."""
    return f"not enough answers yet ({min(marketing, it)} of {k} per side)"
