"""Block Kit rendering of desk cards and forms, and reading form values back.

Slack's limits are applied here (header 150 characters, 10 fields of 2,000, sections of
3,000, modal titles of 24) so a long complaint never makes a post fail.
"""

from __future__ import annotations

from typing import Any

from handlers.desk.messages import Card, DeskMessage, Form, FormField

ACTION_PREFIX = "case_"
FORM_PREFIX = "case_form_"


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _plain(text: str, limit: int = 150) -> dict[str, Any]:
    return {"type": "plain_text", "text": _cut(text, limit), "emoji": True}


def card_blocks(card: Card) -> list[dict[str, Any]]:
    """The blocks of a case card."""
    blocks: list[dict[str, Any]] = [{"type": "header", "text": _plain(card.title)}]
    facts = [
        {"type": "mrkdwn", "text": _cut(f"*{label}*\n{value}", 2000)}
        for label, value in card.facts[:10]
    ]
    if facts:
        blocks.append({"type": "section", "fields": facts})
    for section in card.sections[:20]:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _cut(section, 3000)}})
    if card.buttons:
        elements = []
        for button in card.buttons[:5]:
            element: dict[str, Any] = {
                "type": "button",
                "action_id": ACTION_PREFIX + button.action,
                "text": _plain(button.label, 75),
                "value": button.value,
            }
            if button.style:
                element["style"] = button.style
            elements.append(element)
        blocks.append({"type": "actions", "block_id": "case_actions", "elements": elements})
    if card.footer:
        blocks.append(
            {"type": "context", "elements": [{"type": "mrkdwn", "text": _cut(card.footer, 3000)}]}
        )
    return blocks


def message_args(message: DeskMessage) -> dict[str, Any]:
    """Keyword arguments for chat.postMessage / chat.update."""
    args: dict[str, Any] = {"text": _cut(message.text, 3000)}
    if message.card is not None:
        args["blocks"] = card_blocks(message.card)
    return args


def _input(field: FormField) -> dict[str, Any]:
    element: dict[str, Any]
    if field.options:
        element = {
            "type": "static_select",
            "action_id": field.id,
            "placeholder": _plain("Choose…"),
            "options": [
                {"text": _plain(o, 75), "value": _cut(o, 150)} for o in field.options[:100]
            ],
        }
    else:
        element = {
            "type": "plain_text_input",
            "action_id": field.id,
            "multiline": field.multiline,
            "max_length": field.max_length,
        }
        if field.initial:
            element["initial_value"] = _cut(field.initial, field.max_length)
    block: dict[str, Any] = {
        "type": "input",
        "block_id": field.id,
        "optional": field.optional,
        "label": _plain(field.label, 2000),
        "element": element,
    }
    if field.hint:
        block["hint"] = _plain(field.hint, 2000)
    return block


def form_view(form: Form) -> dict[str, Any]:
    """A modal view for a form."""
    blocks: list[dict[str, Any]] = []
    if form.intro:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": form.intro}]})
    blocks += [_input(f) for f in form.fields]
    return {
        "type": "modal",
        "callback_id": FORM_PREFIX + form.kind,
        "title": _plain(form.title, 24),
        "submit": _plain(form.submit, 24),
        "close": _plain("Cancel", 24),
        "private_metadata": form.ref,
        "blocks": blocks,
    }


def form_values(view: dict[str, Any]) -> dict[str, str | None]:
    """The submitted values of a modal, by field id (selects give the chosen option's value)."""
    values: dict[str, str | None] = {}
    for block_id, actions in (view.get("state", {}).get("values") or {}).items():
        for action_id, state in actions.items():
            key = action_id or block_id
            if "selected_option" in state:
                option = state.get("selected_option") or {}
                values[key] = option.get("value")
            else:
                values[key] = state.get("value")
    return values
