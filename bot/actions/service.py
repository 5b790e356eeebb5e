"""Action use cases: take a next step on, set it aside for the next-best, answer "Done?", ask
the owners when the next pulse opens, and list a channel's actions with their follow-ups.

Clicks on a summary's buttons count only from the summary's own channel (the poll ballots'
rule, `bot.polls.ballots.refusal`); the "Done?" buttons only for the owner, in their direct
messages. Every change is one conditional update, so double clicks and retries change nothing.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from bot.actions import views
from bot.actions.model import (
    DECLINE,
    DONE,
    NOT_YET,
    TAKE,
    ActionReport,
    parse_action_id,
)
from bot.cards import Card
from bot.channels.claims import Claim
from bot.context import Deps
from bot.domain import (
    ActionState,
    Actor,
    AnswerOutcome,
    Channel,
    ClickOrigin,
    PersonRef,
    Poll,
    Visibility,
)
from bot.nudges.rules import REPEAT_DAYS
from bot.nudges.service import follow_up, next_best, record_of, still_shown
from bot.polls.ballots import refusal
from bot.polls.views import stale_button
from bot.ports import ActionOwner, ActionRecord, PersonNames
from bot.reply import Reply
from bot.score.results import ResultService
from bot.score.scoring import Figures
from bot.score.trends import TREND_POLLS, ScoreReport
from bot.summary.views import judgement, nudge_blocks

log = logging.getLogger(__name__)
#: How far back `pulse actions` lists, and how many it shows at most.
LISTED_DAYS, LISTED = 12 * 7, 10
_OWNED = (ActionState.TAKEN, ActionState.NOT_YET, ActionState.DONE)


class ActionService:
    def __init__(self, deps: Deps, results: ResultService) -> None:
        self._deps = deps
        self._results = results

    async def click(self, actor: Actor, action: str, value: str, *, origin: ClickOrigin) -> Reply:
        """One click on an action's button, made where `origin` says."""
        repo = self._deps.repo
        if (origin.platform, origin.workspace_id) != (actor.platform, actor.workspace_id):
            return Reply(views.foreign())  # the payload's person is not of the verified place
        action_id = parse_action_id(value)
        record = await repo.get_action(action_id=action_id) if action_id else None
        channel = await repo.get_channel(channel_id=record.channel_id) if record else None
        if record is None or channel is None:
            return Reply(stale_button())
        if action in (DONE, NOT_YET):
            state = ActionState.DONE if action == DONE else ActionState.NOT_YET
            return await self._answer(actor, channel, record, state, origin=origin)
        refused = refusal(channel.ref, origin, reminded=False)
        if refused is not None:
            self._deps.telemetry.count("actions", outcome=refused.value)
            return Reply(views.foreign() if refused is AnswerOutcome.FOREIGN else views.elsewhere())
        if action == TAKE:
            return await self._take(actor, record)
        if action == DECLINE:
            return await self._decline(actor, channel, record)
        return Reply(stale_button())

    async def _take(self, actor: Actor, record: ActionRecord) -> Reply:
        name = await self._name_of(actor)
        moved = await self._deps.repo.move_action(
            action_id=record.id,
            expected=(ActionState.OFFERED,),
            state=ActionState.TAKEN,
            at=self._deps.clock.now(),
            owner=ActionOwner(actor.user_id, name),
        )
        if not moved:
            return await self._moved_already(actor, record.id)
        self._deps.telemetry.count("actions", outcome="taken")
        return Reply(views.taken(name, record.text), Visibility.CHANNEL)

    async def _name_of(self, actor: Actor) -> str:
        """What the channel calls the person: the platform's display name where the click
        gave only a handle (shown by design: taking an action on is not an answer)."""
        messenger = self._deps.messengers.get(actor.platform)
        if not isinstance(messenger, PersonNames):
            return actor.name
        try:
            return await messenger.display_name(person=actor.person) or actor.name
        except Exception:  # a name is a courtesy: the click counts without it
            log.warning("could not read a display name", exc_info=True)
            return actor.name

    async def _moved_already(self, actor: Actor, action_id: int) -> Reply:
        """A click on an action someone already took on or set aside (a double click too)."""
        repo = self._deps.repo
        current = await repo.get_action(action_id=action_id)
        if current is None or current.state is ActionState.OFFERED:
            return Reply(stale_button())
        if current.state is ActionState.DECLINED:
            instead = await repo.replacement_of(action_id=action_id)
            return Reply(views.set_aside(current.text, instead=instead.text if instead else None))
        yours = current.owner_user_id == actor.user_id
        return Reply(views.already_taken(current.owner_name, current.text, yours=yours))

    async def _decline(self, actor: Actor, channel: Channel, record: ActionRecord) -> Reply:
        moved = await self._deps.repo.move_action(
            action_id=record.id,
            expected=(ActionState.OFFERED,),
            state=ActionState.DECLINED,
            at=self._deps.clock.now(),
        )
        if not moved:
            return await self._moved_already(actor, record.id)
        self._deps.telemetry.count("actions", outcome="declined")
        name = await self._name_of(actor)
        return Reply(await self._offer_instead(name, channel, record), Visibility.CHANNEL)

    async def _offer_instead(self, name: str, channel: Channel, record: ActionRecord) -> Card:
        """The next-best next step for the declined action's pulse: the next candidate that is
        not the declined one nor given in the channel within four weeks (figures as the k in
        force shows them), offered with its own buttons."""
        deps, now = self._deps, self._deps.clock.now()
        report = await self._results.report(channel, polls=TREND_POLLS + 1, closed_only=True)
        point = next((p for p in report.points if p.poll.id == record.poll_id), None)
        figures = point.result.figures if point and point.published else None
        if point is None or figures is None:
            return views.no_other_step(name, record.text)
        poll, qset = point.poll, self._results.question_set(point.poll)
        recent = await deps.repo.nudges_since(
            channel_id=channel.id, since=now - timedelta(days=REPEAT_DAYS)
        )
        nudge = next_best(
            figures,
            qset,
            poll.number,
            recent={r.nudge_id for r in recent} | {record.nudge_id},
            history=_history(report, before=poll.number),
        )
        if nudge is None:
            return views.no_other_step(name, record.text)
        given = record_of(nudge, channel.id, poll, figures, qset, now=now)
        offered = await deps.repo.offer_action(nudge=given, text=nudge.short, replaces=record.id)
        await deps.repo.record_nudge(nudge=given)
        deps.telemetry.count("nudges", rule=given.nudge_id)
        return views.declined(name, record.text, nudge_blocks(nudge), offered.id)

    async def _answer(
        self,
        actor: Actor,
        channel: Channel,
        record: ActionRecord,
        state: ActionState,
        *,
        origin: ClickOrigin,
    ) -> Reply:
        """ "Done?" answered: only by the owner, only in their direct messages with the bot."""
        ref = channel.ref
        if (origin.platform, origin.workspace_id) != (ref.platform, ref.workspace_id):
            return Reply(views.foreign())
        if not origin.direct or record.owner_user_id != actor.user_id:
            return Reply(views.not_yours())
        moved = await self._deps.repo.move_action(
            action_id=record.id, expected=_OWNED, state=state, at=self._deps.clock.now()
        )
        if not moved:  # set aside meanwhile: nothing to answer
            return Reply(stale_button())
        self._deps.telemetry.count("actions", outcome=state.value)
        return Reply(views.answered(state, record.text))

    async def ask_owners(self, channel: Channel, poll: Poll, claim: Claim) -> int:
        """Part of the opening step: one "Done?" message to whoever took an action on, sent
        under the opening's claim (each recorded before it is sent, so restarts and replicas
        never send it twice), then marked asked so later pulses do not ask again."""
        deps, ref = self._deps, channel.ref
        pending = [
            a
            for a in await deps.repo.actions_to_ask(channel_id=channel.id)
            if a.owner_user_id and a.poll_id != poll.id
        ]
        if not pending:
            return 0
        messenger, label = deps.messenger(ref.platform), deps.channel_label(channel)
        by_key = {f"action:{a.id}": a for a in pending}

        async def send(key: str) -> None:
            action = by_key[key]
            assert action.owner_user_id is not None
            owner = PersonRef(ref.platform, ref.workspace_id, action.owner_user_id)
            await messenger.post(
                to=owner, card=views.ask(action.text, channel_label=label, action_id=action.id)
            )

        def unreachable() -> None:
            log.info("channel %s: an action owner is unreachable; not asked", channel.id)
            deps.telemetry.count("steps", step="ask", outcome="unreachable")

        sent = await claim.deliver_each(list(by_key), send, unreachable=unreachable)
        await deps.repo.mark_asked(
            action_ids=[a.id for a in pending], poll_id=poll.id, at=deps.clock.now()
        )
        deps.telemetry.count("steps", step="ask", outcome="done")
        return sent

    async def listing(self, channel: Channel) -> Card:
        """`pulse actions`: the channel's recent actions, newest first, with their follow-ups."""
        deps = self._deps
        actions = await deps.repo.channel_actions(
            channel_id=channel.id, since=deps.clock.now() - timedelta(days=LISTED_DAYS)
        )
        report = await self._results.report(channel, polls=TREND_POLLS, closed_only=True)
        lines = [self._line(a, report) for a in reversed(actions[-LISTED:])]
        return views.listing(lines, channel_label=deps.channel_label(channel))

    def _line(self, action: ActionRecord, report: ScoreReport) -> str:
        numbers = {p.poll.id: p.poll.number for p in report.points}
        given_in = numbers.get(action.poll_id)
        line = ActionReport(action, given_in, None)
        if action.state not in _OWNED:
            return views.action_line(line, judged=None)
        latest = next(
            (p for p in reversed(report.points) if p.published and p.result.figures), None
        )
        if latest is None or given_in is None or latest.poll.number <= given_in:
            return views.action_line(line, judged="its effect shows from the next pulse on")
        qset = self._results.question_set(latest.poll)
        shown = {
            p.poll.id: (f, self._results.question_set(p.poll), p.poll.number)
            for p in report.points
            if (f := p.result.figures) is not None
        }
        assert latest.result.figures is not None
        judged = (
            follow_up(
                action.nudge,
                latest.result.figures,
                qset,
                latest.poll.number,
                given_in=given_in,
                history=_history(report, before=latest.poll.number),
            )
            if still_shown(action.nudge, shown)
            else None
        )
        return views.action_line(line, judged=judgement(judged) if judged else "figure withheld")


def _history(report: ScoreReport, *, before: int) -> dict[int, Figures]:
    """The published figures of the report's pulses before pulse number `before`."""
    return {
        p.poll.number: f
        for p in report.points
        if p.published and p.poll.number < before and (f := p.result.figures) is not None
    }
