"""Telegram updates as the handlers see them: a caption is the words, and what else the message
carried is named (the most specific field, as the Bot API fills several for some kinds)."""

from __future__ import annotations

from typing import Any

import pytest
from telegram import Bot, Update

from bot.channels.telegram_incoming import to_incoming
from handlers.messages import attachment_of

USER = {"id": 7, "is_bot": False, "first_name": "Ann"}
DOC = {"file_id": "BQAD", "file_unique_id": "AgAD"}


def _update(**fields: Any) -> Update:
    message = {"message_id": 1, "date": 0, "chat": {"id": 7, "type": "private"}, "from": USER}
    return Update.de_json({"update_id": 1, "message": {**message, **fields}}, Bot("1:T"))


@pytest.mark.parametrize(
    ("fields", "text", "attachment"),
    [
        ({"text": "Where is my order?"}, "Where is my order?", None),
        ({"photo": [{**DOC, "width": 9, "height": 9}], "caption": "Broken"}, "Broken", "photo"),
        ({"voice": {**DOC, "duration": 3}}, "", "voice"),
        ({"animation": {**DOC, "width": 1, "height": 1, "duration": 1}, "document": DOC}, "",
         "animation"),
        ({"venue": {"location": {"latitude": 1, "longitude": 2}, "title": "Shop",
                    "address": "Main St"}, "location": {"latitude": 1, "longitude": 2}}, "",
         "venue"),
        ({"document": {**DOC, "file_name": "receipt.pdf"}, "caption": "/start B-1"},
         "/start B-1", "document"),
    ],
)  # fmt: skip
def test_captions_are_words_and_attachments_are_named(
    fields: dict[str, Any], text: str, attachment: str | None
) -> None:
    incoming = to_incoming(_update(**fields))
    assert incoming is not None
    assert (incoming.kind, incoming.text, attachment_of(incoming)) == ("text", text, attachment)
