"""Digests and the home view: a person's BridgePulse channels with their scores."""

from __future__ import annotations

from bot.cards import Card
from bot.context import Deps
from bot.digest.entries import DigestEntry
from bot.digest.home import home_card
from bot.digest.views import digest_card, digest_sent
from bot.domain import Actor, PersonRef, Side
from bot.nudges.service import NudgeService
from bot.questions import QuestionSet
from bot.score.results import ResultService
from bot.score.scoring import Figures
from bot.score.trends import ScoreReport


class DigestService:
    def __init__(self, deps: Deps, results: ResultService) -> None:
        self._deps = deps
        self._results = results
        self._nudges = NudgeService(deps)

    async def entries_for(self, person: PersonRef, *, live: bool) -> list[DigestEntry]:
        """Every BridgePulse channel of the person's workspace that they are a member of; `live`
        includes each channel's open pulse (the home view), else closed pulses only (digests)."""
        deps = self._deps
        messenger = deps.messenger(person.platform)
        followed = [
            channel
            for channel in await deps.repo.workspace_channels(
                platform=person.platform, workspace_id=person.workspace_id
            )
            if channel.schedule is not None
            and person.user_id in await messenger.members(channel=channel.ref)
        ]
        reports = await self._results.reports(followed, closed_only=not live)
        nudges = await self._nudges.latest_many(
            {channel.id: self._closed_figures(reports[channel.id]) for channel in followed}
        )
        return [
            DigestEntry(self._deps.channel_label(c, or_id=True), reports[c.id], nudges[c.id])
            for c in followed
        ]

    def _closed_figures(self, report: ScoreReport) -> dict[int, tuple[Figures, QuestionSet, int]]:
        return {
            p.poll.id: (p.result.figures, self._results.question_set(p.poll), p.poll.number)
            for p in report.points
            if p.result.figures is not None and not p.poll.is_open
        }

    async def digest(self, person: PersonRef) -> Card:
        return digest_card(await self.entries_for(person, live=False), k=self._deps.k)

    async def send(self, person: PersonRef) -> None:
        card = await self.digest(person)
        await self._deps.messenger(person.platform).post(to=person, card=card)

    async def send_now(self, actor: Actor, *, prefix: str) -> Card:
        await self.send(actor.person)
        subscribed = await self._deps.repo.is_subscribed(person=actor.person)
        return digest_sent(subscribed=subscribed, prefix=prefix)

    async def home(self, actor: Actor, *, side: Side | None, prefix: str) -> Card:
        entries = await self.entries_for(actor.person, live=True)
        return home_card(side=side, channels=entries, prefix=prefix, k=self._deps.k)
