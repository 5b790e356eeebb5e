"""What a person reads in a Slack message or a Teams card, as lines: the one renderer per platform
that the transcript, the journal, the fake Teams connector and the tests all read with."""

from __future__ import annotations

import re
from typing import Any

Json = dict[str, Any]
_SLACK_LINK = re.compile(r"<([^<>|]+)\|([^<>]+)>|<([^<>|]+)>")
_SLACK_BOLD = re.compile(r"(?<![\w*])\*(?=\S)([^*\n]+?)(?<=\S)\*(?![\w*])")
_ITALIC = re.compile(r"(?<![\w_])_(?=\S)([^_\n]+?)(?<=\S)_(?![\w_])")
_CODE = re.compile(r"`([^`\n]*)`")
_MD_BOLD = re.compile(r"\*\*(.+?)\*\*")
_MD_LINK = re.compile(r"\[([^\]\n]+)\]\(([^)\s]+)\)")
_MD_ESCAPE = re.compile(r"\\([\\*_\[\]`])")


def from_mrkdwn(text: str) -> str:
    """Slack mrkdwn without its markup: links by label, entities decoded, no * _ ` markers."""
    text = _SLACK_LINK.sub(lambda m: m.group(2) or m.group(3), text)
    text = _CODE.sub(r"\1", _ITALIC.sub(r"\1", _SLACK_BOLD.sub(r"\1", text)))
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def from_markdown(text: str) -> str:
    """Adaptive Card markdown (**bold**, _italic_, [label](url), escapes) without its markup."""
    text = _MD_LINK.sub(r"\1", _MD_BOLD.sub(r"\1", text))
    return _MD_ESCAPE.sub(r"\1", _CODE.sub(r"\1", _ITALIC.sub(r"\1", text)))


def slack_lines(
    blocks: list[Json] | None, fallback: str = "", *, markup: bool = False
) -> list[str]:
    """A Block Kit message's readable lines, in order (the fallback text if it has no blocks);
    with `markup`, the mrkdwn as written (what tests match against)."""
    lines: list[str] = []
    for block in blocks or []:
        kind = block.get("type")
        if kind in ("header", "section") and isinstance(block.get("text"), dict):
            lines += str(block["text"].get("text", "")).split("\n")
        for item in block.get("fields", []):
            lines.append(" — ".join(str(item.get("text", "")).split("\n")))
        if kind == "context":
            lines += [str(e.get("text", "")) for e in block.get("elements", []) if "text" in e]
        elif kind == "actions":
            lines.append(" ".join(_slack_element(e) for e in block.get("elements", [])))
        elif kind == "image":
            lines.append(f"[image: {block.get('alt_text', '')}]")
    if not lines and fallback:
        lines = fallback.split("\n")
    plain = _as_written if markup else from_mrkdwn
    return [plain(line).strip() for line in lines if line.strip()]


def _as_written(text: str) -> str:
    return text


def _slack_element(element: Json) -> str:
    if element.get("type") == "static_select":
        options = [str(o["text"]["text"]) for o in element.get("options", [])]
        return "[" + " | ".join(options) + "]"
    return f"[{(element.get('text') or {}).get('text', '')}]"


def card_lines(element: Any, *, markup: bool = False) -> list[str]:
    """An Adaptive Card's readable lines: TextBlocks, facts, images and buttons, in order; with
    `markup`, the markdown as written (what tests match against)."""
    plain = _as_written if markup else from_markdown
    if isinstance(element, list):
        return [line for e in element for line in card_lines(e, markup=markup)]
    if not isinstance(element, dict):
        return []
    kind = element.get("type")
    if kind == "TextBlock":
        return [plain(str(element.get("text", ""))).strip()]
    if kind == "FactSet":
        return [
            f"{plain(str(f.get('title')))} — {plain(str(f.get('value')))}"
            for f in element.get("facts", [])
        ]
    if kind == "ActionSet":
        return [" ".join(f"[{a.get('title')}]" for a in element.get("actions", []))]
    if kind == "Input.ChoiceSet":
        return ["[" + " | ".join(str(c.get("title")) for c in element.get("choices", [])) + "]"]
    if kind == "Image":
        return [f"[image: {element.get('altText', '')}]"]
    if kind == "ColumnSet":
        return card_lines(element.get("columns", []), markup=markup)
    return card_lines(element.get("items", []) or element.get("body", []), markup=markup)


def teams_lines(activity: Json, *, markup: bool = False) -> list[str]:
    """A Teams message's readable lines: its text, then every Adaptive Card it carries."""
    plain = _as_written if markup else from_markdown
    lines = [plain(str(activity.get("text") or ""))]
    for attachment in activity.get("attachments") or []:
        lines += card_lines(attachment.get("content") or {}, markup=markup)
    return [line for line in lines if line]
