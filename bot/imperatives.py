"""The five imperatives of the CMO–CIO study, by number, with the short titles used in messages."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Imperative:
    number: int
    title: str
    short_title: str

    @property
    def label(self) -> str:
        return f"{self.number} · {self.short_title}"


IMPERATIVES: dict[int, Imperative] = {
    i.number: i
    for i in (
        Imperative(
            1,
            "Identify the CMO as the chief experience officer (CXO)",
            "Marketing owns the experience",
        ),
        Imperative(
            2,
            "Accept IT as a strategic partner with marketing, not just a platform provider",
            "IT as strategic partner",
        ),
        Imperative(
            3,
            "Agree on key business levers (e.g. access to customer data vs. privacy and security)",
            "Agree on the levers",
        ),
        Imperative(
            4,
            "Change the skill mix so both organisations are more marketing- and tech-savvy",
            "Change the skill mix",
        ),
        Imperative(5, "Develop trust by trusting", "Build trust by trusting"),
    )
}


def rotating_imperative(poll_number: int) -> int:
    """The imperative of the rotating question in poll `poll_number` (1→5, then again)."""
    return (poll_number - 1) % 5 + 1
