"""The repository: implements the core's store ports with SQLAlchemy Core on the SQLModel tables.

Every public method is one transaction. Writes that must not race (answers, poll creation and
closing, claims) rely on unique constraints and conditional statements, so replicas sharing a
database stay correct without locks held across network calls.

Each aggregate's statements live in their own module as a mixin over `RepositoryBase` (the
engine and the transaction helpers); `SqlRepository` is their composition, one line each.
"""

from __future__ import annotations

from storage.actions import ActionRepository
from storage.answers import SqlAnswers
from storage.base import CHANNEL, POLL, WORKSPACE
from storage.channels import SqlChannels
from storage.claims import SqlClaims
from storage.conversations import SqlConversations
from storage.disclosures import SqlDisclosures
from storage.groups import SqlGroups
from storage.nudges import SqlNudges
from storage.people import SqlPeople
from storage.polls import SqlPolls
from storage.schedule import SqlSchedule
from storage.subscriptions import SqlSubscriptions

__all__ = ["CHANNEL", "POLL", "WORKSPACE", "SqlRepository"]


class SqlRepository(
    SqlChannels,
    SqlPolls,
    SqlAnswers,
    SqlPeople,
    SqlGroups,
    SqlSubscriptions,
    SqlConversations,
    SqlClaims,
    SqlSchedule,
    SqlNudges,
    SqlDisclosures,
    ActionRepository,
):
    """All of the core's store ports over one `AsyncEngine` (SQLite or PostgreSQL)."""
