"""What a Telegram update says, as the handlers' :class:`IncomingUpdate`: a button, an edit, a
command or words (a caption counts as words; what else the message carried is named in
``extra``)."""

from __future__ import annotations

from typing import Any

from telegram import Message, Update
from telegram.constants import MessageEntityType

from bot.channels.json_limits import clean_text
from handlers.messages import (
    ATTACHMENT,
    FILE_ID,
    FILE_MIME,
    FILE_NAME,
    FILE_SIZE,
    IncomingUpdate,
)

CHANNEL = "telegram"


def to_incoming(update: Update) -> IncomingUpdate | None:
    """A PTB update as a channel-neutral one; None for kinds the bot does not handle."""
    if update.callback_query is not None:
        query = update.callback_query
        message = query.message
        chat_id = message.chat.id if message is not None else query.from_user.id
        return IncomingUpdate(
            channel=CHANNEL,
            update_id=update.update_id,
            kind="button",
            chat_id=chat_id,
            user_id=query.from_user.id,
            button_data=clean_text((query.data or "")[:64]),
            callback_id=query.id,
            message_id=message.message_id if message else None,
            language_code=query.from_user.language_code,
            first_name=clean_text(query.from_user.first_name or ""),
            chat_type=message.chat.type if message is not None else "private",
        )
    edited = update.edited_message
    if edited is not None and edited.from_user is not None:
        return IncomingUpdate(
            channel=CHANNEL,
            update_id=update.update_id,
            kind="edit",
            chat_id=edited.chat.id,
            user_id=edited.from_user.id,
            text=clean_text(edited.text or edited.caption or ""),
            message_id=edited.message_id,
            language_code=edited.from_user.language_code,
            first_name=clean_text(edited.from_user.first_name or ""),
            chat_type=edited.chat.type,
        )
    message = update.message
    if message is None or message.from_user is None:
        return None
    text = clean_text(message.text or message.caption or "")
    base: dict[str, Any] = dict(
        channel=CHANNEL,
        update_id=update.update_id,
        chat_id=message.chat.id,
        user_id=message.from_user.id,
        message_id=message.message_id,
        language_code=message.from_user.language_code,
        first_name=clean_text(message.from_user.first_name or ""),
        chat_type=message.chat.type,
    )
    attachment = _attachment(message)
    if attachment:
        base["extra"] = {ATTACHMENT: attachment, **_file_ref(message, attachment)}
    entities = message.entities or ()
    if text.startswith("/") and any(
        e.type == MessageEntityType.BOT_COMMAND and e.offset == 0 for e in entities
    ):
        head, *args = text.split()
        command = head[1:].split("@", 1)[0]
        return IncomingUpdate(kind="command", text=text, command=command, args=tuple(args), **base)
    return IncomingUpdate(kind="text", text=text, **base)


# Message fields that carry something other than words, most specific first (an animation
# also fills ``document``, a venue also ``location``), as the Bot API's Message object has them.
ATTACHMENT_FIELDS = (
    "photo", "animation", "video", "video_note", "voice", "audio", "document", "sticker",
    "venue", "location", "contact", "poll", "dice",
)  # fmt: skip


def _attachment(message: Message) -> str | None:
    """What a customer's message carried besides words (its caption is the words), or None."""
    return next((name for name in ATTACHMENT_FIELDS if getattr(message, name, None)), None)


# Attachments that are a file the bot may fetch with getFile (a sticker is not passed on).
FILE_FIELDS = frozenset({"photo", "animation", "video", "video_note", "voice", "audio", "document"})


def _file_ref(message: Message, attachment: str) -> dict[str, str]:
    """The ``extra`` naming the file a message carried: its ``file_id`` (of the largest size,
    for a photo, which the Bot API lists smallest first), and its size, name and MIME type
    when Telegram told them. Empty for attachments that are not a file."""
    if attachment not in FILE_FIELDS:
        return {}
    value = getattr(message, attachment)
    file = value[-1] if attachment == "photo" else value
    ref = {FILE_ID: file.file_id}
    if file.file_size is not None:
        ref[FILE_SIZE] = str(file.file_size)
    name, mime = getattr(file, "file_name", None), getattr(file, "mime_type", None)
    if name:
        ref[FILE_NAME] = clean_text(name)[:200]
    if mime:
        ref[FILE_MIME] = str(mime)[:100]
    return ref
