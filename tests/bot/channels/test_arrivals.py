"""Inbox payloads: a polled update is stored in its channel-neutral form, a webhook's in
Telegram's JSON; both read back to the same update."""

from __future__ import annotations

import json

from telegram import Bot

from bot.channels.arrivals import encode_incoming
from bot.channels.telegram_adapter import decode_update
from handlers.messages import IncomingUpdate


def test_a_polled_update_reads_back_as_it_was_stored() -> None:
    incoming = IncomingUpdate(
        channel="telegram",
        update_id=7,
        kind="command",
        chat_id=42,
        user_id=42,
        text="/start tok en",
        command="start",
        args=("tok", "en"),
        message_id=3,
        language_code="nl",
        first_name="Zoë \U0001f600",
        extra={"inbox_claim": "w:1"},
    )
    assert decode_update(encode_incoming(incoming), Bot("1:TEST")) == incoming


def test_a_webhook_body_reads_back_through_telegrams_json() -> None:
    body = {
        "update_id": 8,
        "message": {
            "message_id": 5,
            "date": 1_700_000_000,
            "chat": {"id": 43, "type": "private"},
            "from": {"id": 43, "is_bot": False, "first_name": "Ann", "language_code": "en"},
            "text": "it leaked",
        },
    }
    decoded = decode_update(json.dumps(body), Bot("1:TEST"))
    assert decoded is not None
    assert (decoded.update_id, decoded.kind, decoded.chat_id, decoded.text) == (
        8,
        "text",
        43,
        "it leaked",
    )
