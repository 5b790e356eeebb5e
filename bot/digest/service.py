"""Digests and the home view: a person's BridgePulse channels with their scores."""

from __future__ import annotations

import logging

from bot.cards import Card
from bot.context import Deps
from bot.digest.entries import DigestEntry
from bot.digest.heatmap import NO_FOLLOW_UPS, FollowUps, build_grid
from bot.digest.heatmap_chart import Picture, heatmap_png
from bot.digest.home import home_card
from bot.digest.views import digest_card, digest_sent, fitted, picture_budget
from bot.domain import Actor, PersonRef, Side
from bot.nudges.escalation import escalated
from bot.nudges.service import NudgeService
from bot.questions import Question, QuestionSet
from bot.score.results import ResultService
from bot.score.scoring import Figures
from bot.score.trends import ScoreReport

log = logging.getLogger(__name__)


class DigestService:
    def __init__(
        self, deps: Deps, results: ResultService, follow_ups: FollowUps = NO_FOLLOW_UPS
    ) -> None:
        self._deps = deps
        self._results = results
        self._nudges = NudgeService(deps)
        #: open actions and escalated gaps per channel (bot.nudges; none until it provides them)
        self._follow_ups = follow_ups

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
        ids = [c.id for c in followed]
        actions = await self._follow_ups.open_actions(channel_ids=ids) if not live else {}
        escalated = {} if live else {c.id: self._escalated(reports[c.id]) for c in followed}
        return [
            DigestEntry(
                self._deps.channel_label(c, or_id=True),
                reports[c.id],
                nudges[c.id],
                asked=self._asked(reports[c.id]) if not live else {},
                open_actions=tuple(actions.get(c.id, ())),
                escalated=tuple(escalated.get(c.id, ())),
            )
            for c in followed
        ]

    def _asked(self, report: ScoreReport) -> dict[int, tuple[Question, ...]]:
        """The questions each pulse asked: the heatmap's cells (and their k) are per question."""
        return {
            p.poll.id: self._results.question_set(p.poll).for_poll(p.poll.number)
            for p in report.points
        }

    def _escalated(self, report: ScoreReport) -> tuple[str, ...]:
        """The question ids of the channel's gaps wide for three pulses (the digest's flag)."""
        return tuple(
            qset.by_role(gap.role).id
            for gap in escalated(self._closed_figures(report).values())
            for qset in (self._results.question_set(report.points[-1].poll),)
        )

    def _closed_figures(self, report: ScoreReport) -> dict[int, tuple[Figures, QuestionSet, int]]:
        return {
            p.poll.id: (p.result.figures, self._results.question_set(p.poll), p.poll.number)
            for p in report.points
            if p.result.figures is not None and not p.poll.is_open
        }

    async def digest(self, person: PersonRef) -> Card:
        entries = await self.entries_for(person, live=False)
        grid = fitted(build_grid(entries, k=self._deps.k))
        text_only = digest_card(grid)
        picture: Picture | None = None
        if any(row.cells for row in grid.rows):
            try:
                picture = await heatmap_png(grid, picture_budget(text_only))
            except Exception:  # a picture is a bonus: the digest goes out as text without it
                log.exception("could not draw the digest's heatmap")
        return digest_card(grid, picture=picture) if picture is not None else text_only

    async def send(self, person: PersonRef) -> None:
        card = await self.digest(person)
        await self._deps.messenger(person.platform).post(to=person, card=card)

    async def send_now(self, actor: Actor) -> Card:
        await self.send(actor.person)
        subscribed = await self._deps.repo.is_subscribed(person=actor.person)
        return digest_sent(subscribed=subscribed)

    async def home(self, actor: Actor, *, side: Side | None) -> Card:
        entries = await self.entries_for(actor.person, live=True)
        return home_card(side=side, channels=entries, k=self._deps.k)
