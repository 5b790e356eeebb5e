"""Person use cases: join a side, forget me, subscribe to the digest."""

from __future__ import annotations

from bot.cards import Card
from bot.context import Deps
from bot.domain import Actor, Side
from bot.people import views
from bot.ports import ActionStore, SideStore, SubscriptionStore


class PeopleService:
    def __init__(self, deps: Deps) -> None:
        self._deps = deps
        self._sides: SideStore = deps.repo
        self._subscriptions: SubscriptionStore = deps.repo
        self._actions: ActionStore = deps.repo

    async def join(self, actor: Actor, side: Side) -> Card:
        deps = self._deps
        respondent = deps.hasher.of(actor)
        previous = await self._sides.side_of(respondent=respondent)
        kept = await self._sides.set_side(respondent=respondent, side=side, at=deps.clock.now())
        return views.joined(side, previous=previous, kept=kept)

    async def side_of(self, actor: Actor) -> Side | None:
        return await self._sides.side_of(respondent=self._deps.hasher.of(actor))

    async def forget(self, actor: Actor) -> Card:
        report = await self._sides.forget(respondent=self._deps.hasher.of(actor))
        # taking on an action is not an answer, but it is a trace of the person: it goes too
        owned = await self._actions.forget_owner(person=actor.person)
        self._deps.telemetry.count("forget_me")
        return views.forgotten(answers=report.answers, had_side=report.had_side, actions=owned)

    async def subscribe(self, actor: Actor, *, on: bool) -> Card:
        person = actor.person
        if on:
            changed = await self._subscriptions.subscribe(person=person, at=self._deps.clock.now())
        else:
            changed = await self._subscriptions.unsubscribe(person=person)
        return views.digest_subscription(on=on, changed=changed)
