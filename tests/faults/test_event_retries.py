"""Slack redelivers an event it thinks failed, possibly while the first delivery is still being
worked on: whatever the timing, one effect."""

from __future__ import annotations

import asyncio

from tests.slack.conftest import SlackStack
from tests.support.slack import ANSWER_WITHIN, signed_headers

JSON = "application/json"


def redelivery(body: bytes, attempt: int) -> dict[str, str]:
    return {
        **signed_headers(body),
        "X-Slack-Retry-Num": str(attempt),
        "X-Slack-Retry-Reason": "http_timeout",
    }


async def test_retries_while_the_first_delivery_is_still_working_have_no_effect(
    stack: SlackStack,
) -> None:
    ws, fake = stack.workspace, stack.fake
    alice = ws.person("UALICE")
    hold = fake.hold("views.publish")  # the first delivery's work stops half-way
    body = alice.home_event(event_id="EvSLOW")
    first = await ws.send(body, content_type=JSON)
    assert first.status == 200
    async with asyncio.timeout(ANSWER_WITHIN):
        await fake.wait_for(lambda: hold.waiting or None)

    retries = [ws.send(body, content_type=JSON, headers=redelivery(body, n)) for n in (1, 2, 3)]
    assert [r.status for r in await asyncio.gather(*retries)] == [200, 200, 200]
    hold.release()
    await stack.settle()
    assert len(fake.calls_to("views.publish")) == 1


async def test_deliveries_of_one_event_arriving_together_have_one_effect(
    stack: SlackStack,
) -> None:
    ws, fake = stack.workspace, stack.fake
    body = ws.person("UBOB").home_event(event_id="EvBURST")
    sends = [ws.send(body, content_type=JSON)] + [
        ws.send(body, content_type=JSON, headers=redelivery(body, n)) for n in range(1, 6)
    ]
    assert {r.status for r in await asyncio.gather(*sends)} == {200}
    await stack.settle()
    assert len(fake.calls_to("views.publish")) == 1
