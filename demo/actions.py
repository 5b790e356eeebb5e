"""The simulated team and BridgePulse's actions: someone takes a followed next step on ("Maya
will try this") with the summary's own button, and answers the "Done?" message when the next
pulse opens, over the same signed requests as every other click."""

from __future__ import annotations

from demo import slack_client, teams_client
from demo.personas import Persona
from demo.slack_api import Message
from demo.world import SLACK_CHANNEL, SLACK_TEAM, TEAMS_CHANNEL, World, slack_user_id

Json = dict[str, object]
TAKE, YES = "We'll try this", "Yes"


async def take_on(world: World, platform: str, person: Persona) -> bool:
    """`person` clicks "We'll try this" on the channel's latest next step; False if none."""
    if platform == "slack":
        found = _slack_button(world.slack.messages.get(SLACK_CHANNEL, []), TAKE)
        if found is None:
            return False
        await _slack_click(world, person, SLACK_CHANNEL, *found)
        return True
    latest = _teams_button(world, [TEAMS_CHANNEL.id], "action-", TAKE)
    if latest is None:
        return False
    message_id, conversation_id, data = latest
    await world.teams_click(
        person, conversation_id=conversation_id, message_id=message_id, data=data
    )
    return True


async def answer_asks(world: World, person: Persona, answered: set[str]) -> int:
    """`person` answers "Yes" to each "Done?" message not answered yet (ids kept in
    `answered`); returns how many."""
    count = 0
    dm = world.slack.dm_channel(SLACK_TEAM, slack_user_id(person))
    for message in world.slack.direct_messages(SLACK_TEAM, slack_user_id(person)):
        found = _slack_button([message], YES)
        if found is not None and f"slack:{message.ts}" not in answered:
            answered.add(f"slack:{message.ts}")
            await _slack_click(world, person, dm, *found)
            count += 1
    chats = world.teams_private_chat(person)
    for posted in (m for c in chats for m in world.connector.in_conversation(c)):
        data = teams_client.button_data(posted.cards, "done-", YES)
        if data is not None and f"teams:{posted.id}" not in answered:
            answered.add(f"teams:{posted.id}")
            await world.teams_click(
                person, conversation_id=posted.conversation_id, message_id=posted.id, data=data
            )
            count += 1
    return count


def _slack_button(messages: list[Message], label: str) -> tuple[Message, Json] | None:
    for message in reversed(messages):
        for block in message.blocks:
            for element in block.get("elements", []):
                if element.get("type") == "button" and element["text"]["text"] == label:
                    return message, slack_client.button_action(block["block_id"], element)
    return None


async def _slack_click(
    world: World, person: Persona, channel: str, message: Message, action: Json
) -> None:
    """A click whose answer may be a channel post rather than a reply: nothing to wait for
    here (the simulation settles the server after each move)."""
    await world.slack_client.click(
        world.slack_where(channel),
        user_id=slack_user_id(person),
        action=action,
        response_url=world.slack.new_response_url(),
        message={"ts": message.ts, "text": message.text, "blocks": message.blocks},
    )


def _teams_button(
    world: World, conversations: list[str], block: str, title: str
) -> tuple[str, str, Json] | None:
    messages = [m for c in conversations for m in world.connector.in_conversation(c)]
    for message in sorted(messages, key=lambda m: int(m.id), reverse=True):
        data = teams_client.button_data(message.cards, block, title)
        if data is not None:
            return message.id, message.conversation_id, data
    return None
