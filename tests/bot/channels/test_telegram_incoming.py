"""Telegram updates as the handlers see them: a caption is the words, and what else the message
carried is named (the most specific field, as the Bot API fills several for some kinds)."""

from __future__ import annotations

from typing import Any

import pytest
from telegram import Bot, Update

from bot.channels.telegram_incoming import ATTACHMENT_FIELDS, to_incoming
from bot.channels.whatsapp_webhook import CAPTIONED, UNCAPTIONED
from handlers.desk.file_relay import attachment_words
from handlers.messages import FileRef, attachment_of, file_of

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


def test_a_file_is_named_by_reference_the_largest_photo_size_and_a_document_s_details() -> None:
    """The update carries the channel's reference to the file, never its bytes: the largest
    photo size (the Bot API lists them smallest first), a document's name and MIME type; a
    sticker or a location names no file."""
    sizes = [{"file_id": f"AgAD{n}", "file_unique_id": f"U{n}", "width": n, "height": n,
              "file_size": n * 40} for n in (90, 320, 800)]  # fmt: skip
    photo = to_incoming(_update(photo=sizes, caption="Broken"))
    assert photo is not None
    ref = file_of(photo)
    assert ref == FileRef(7, "AgAD800", "photo", None, None, 32000)
    pdf = {**DOC, "file_name": "receipt.pdf", "mime_type": "application/pdf", "file_size": 5}
    document = to_incoming(_update(document=pdf))
    assert document is not None
    assert file_of(document) == FileRef(7, "BQAD", "document", "receipt.pdf", "application/pdf", 5)
    unsized = to_incoming(_update(voice={**DOC, "duration": 3}))
    assert unsized is not None and file_of(unsized) == FileRef(7, "BQAD", "voice")
    sticker = {**DOC, "width": 1, "height": 1, "is_animated": False, "is_video": False,
               "type": "regular"}  # fmt: skip
    for fields in ({"sticker": sticker}, {"location": {"latitude": 1, "longitude": 2}}):
        incoming = to_incoming(_update(**fields))
        assert incoming is not None and attachment_of(incoming) and file_of(incoming) is None


def test_every_attachment_reads_as_a_thing_in_a_case_thread() -> None:
    """The thread says "sent a ...": each kind either channel names reads as a noun that
    takes "a" (no "a audio", "a animation", "a image")."""
    words = {
        kind: attachment_words(kind) for kind in {*ATTACHMENT_FIELDS, *CAPTIONED, *UNCAPTIONED}
    }
    assert not [w for w in words.values() if w[0] in "aeiou"], words
    assert words["image"] == words["photo"] == "photo"
