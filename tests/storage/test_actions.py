"""The action store on SQLite and PostgreSQL: one action per poll and nudge, state changes that
only one of two concurrent callers makes, and the owners still to be asked "Done?"."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.domain import ActionState
from bot.ports import ActionOwner, ActionRecord, NudgeRecord
from storage.repository import SqlRepository
from tests.storage.test_repository import REF, T0, new_poll

OFFERED, TAKEN = ActionState.OFFERED, ActionState.TAKEN


async def offered(
    repo: SqlRepository, nudge_id: str = "trust-gap", replaces: int | None = None
) -> ActionRecord:
    channel = await repo.find_channel(ref=REF)
    poll = await repo.open_poll(channel_id=channel.id) if channel else None
    if channel is None or poll is None:
        channel, poll = await new_poll(repo)
    record = NudgeRecord(channel.id, poll.id, nudge_id, 5, "trust_gap", 1.5, T0)
    return await repo.offer_action(nudge=record, text="Invite IT to the retro.", replaces=replaces)


async def test_an_offer_is_stored_once_per_poll_and_nudge(repo: SqlRepository) -> None:
    first = await offered(repo)
    again = await offered(repo)
    assert again == first and first.state is OFFERED and first.owner_user_id is None
    assert (first.nudge_id, first.metric, first.value, first.created_at) == (
        "trust-gap",
        "trust_gap",
        1.5,
        T0,
    )
    other = await offered(repo, "levers-apart", replaces=first.id)
    assert other.id != first.id and other.replaces == first.id
    assert await repo.replacement_of(action_id=first.id) == other
    assert await repo.replacement_of(action_id=other.id) is None
    listed = await repo.channel_actions(channel_id=first.channel_id, since=T0)
    assert [a.id for a in listed] == [first.id, other.id]
    assert await repo.channel_actions(channel_id=first.channel_id, since=T0 + timedelta(1)) == []


async def test_of_two_concurrent_takers_exactly_one_moves_the_action(repo: SqlRepository) -> None:
    action = await offered(repo)

    async def take(user: str) -> bool:
        return await repo.move_action(
            action_id=action.id,
            expected=(OFFERED,),
            state=TAKEN,
            at=T0,
            owner=ActionOwner(user, user.title()),
        )

    moved = await asyncio.gather(*(take(f"u{i}") for i in range(6)))
    assert sorted(moved) == [False] * 5 + [True]
    stored = await repo.get_action(action_id=action.id)
    assert stored is not None and stored.state is TAKEN
    assert stored.owner_name == stored.owner_user_id.title()  # type: ignore[union-attr]
    # a later move from a state it is not in changes nothing
    assert not await repo.move_action(
        action_id=action.id, expected=(OFFERED,), state=ActionState.DECLINED, at=T0
    )
    assert await repo.move_action(
        action_id=action.id, expected=(TAKEN,), state=ActionState.DONE, at=T0
    )
    done = await repo.get_action(action_id=action.id)
    assert done is not None and done.state is ActionState.DONE
    assert done.owner_user_id == stored.owner_user_id  # the owner stays


async def test_owners_to_ask_are_taken_actions_not_asked_yet(repo: SqlRepository) -> None:
    action = await offered(repo)
    channel_id = action.channel_id
    assert await repo.actions_to_ask(channel_id=channel_id) == []  # nobody took it on
    owner = ActionOwner("UMAYA", "Maya")
    await repo.move_action(
        action_id=action.id, expected=(OFFERED,), state=TAKEN, at=T0, owner=owner
    )
    (pending,) = await repo.actions_to_ask(channel_id=channel_id)
    assert pending.owner_user_id == "UMAYA" and pending.asked_poll_id is None
    await repo.mark_asked(action_ids=[action.id], poll_id=action.poll_id, at=T0)
    await repo.mark_asked(action_ids=[], poll_id=action.poll_id, at=T0)
    assert await repo.actions_to_ask(channel_id=channel_id) == []
    asked = await repo.get_action(action_id=action.id)
    assert asked is not None and asked.asked_poll_id == action.poll_id
    assert await repo.get_action(action_id=action.id + 1000) is None
