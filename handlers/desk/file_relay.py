"""A photo or file a customer with an open case sent, shared in the case's thread.

The outbox holds only the channel's reference to the file (a ``thread_file`` post); when its
turn comes the bytes are fetched from the customer's channel and uploaded to the thread. A file
over ``support.relay_max_mb``, or one the channel no longer has, becomes a short line in the
thread instead, so staff know to ask for it; the customer's words went before it on their own.
An outage of either side raises, and the outbox backs off and tries again.
"""

from __future__ import annotations

import logging
import mimetypes
from typing import Any

from handlers.chat_address import channel_of
from handlers.desk.messages import (
    DeskError,
    DeskMessage,
    DeskRejected,
    DeskRetryLater,
    DeskUnavailable,
)
from handlers.desk.port import DeskDeps
from handlers.messages import FileRef, FileUnavailable, RetryLater

log = logging.getLogger(__name__)

ATTACHMENT_WORDS = {
    "image": "photo",
    "contacts": "contact card",
    "video_note": "video message",
    "voice": "voice message",
    "audio": "sound recording",
    "animation": "GIF",
}
"""How an attachment's kind reads in a case thread, where the channel's own name is unclear."""
CHANNEL_NAMES = {"telegram": "Telegram", "whatsapp": "WhatsApp"}
MB = 1024 * 1024
FILE_ATTEMPTS = 6
"""Tries to fetch and share a file before a line stands in for it. The desk's queue waits
behind the post meanwhile: with the outbox's backoff (1, 2, 4, 8, 15 s) about half a minute."""


def attachment_words(kind: str) -> str:
    """An attachment's kind as staff read it ("image" is a photo)."""
    return ATTACHMENT_WORDS.get(kind, kind)


def megabytes(size: int) -> str:
    """``size`` bytes as "25 MB" or "10.4 MB"."""
    return f"{size / MB:.1f}".removesuffix(".0") + " MB"


def filename_of(ref: FileRef) -> str:
    """The name the file gets in the thread: its own, else its kind and a fitting suffix
    (a Telegram photo is a JPEG)."""
    if ref.name:
        return ref.name
    mime = (ref.mime_type or "").split(";", 1)[0].strip()  # "audio/ogg; codecs=opus"
    suffix = mimetypes.guess_extension(mime) or ""
    if not suffix and attachment_words(ref.kind) == "photo":
        suffix = ".jpg"
    return f"{attachment_words(ref.kind)}{suffix}"


async def share_file(
    dd: DeskDeps,
    channel: str,
    thread_ts: str,
    payload: dict[str, Any],
    attempts: int = 0,
    interrupted: bool = False,
) -> str:
    """Fetch the file a ``thread_file`` post names and share it in the thread; returns the
    desk's id of the file, or the ts of the line posted instead.

    ``attempts``: how often the post was tried before. The desk's queue waits behind it, so
    a file that still cannot be fetched or uploaded on try :data:`FILE_ATTEMPTS` becomes a
    line too, and the cards and words behind it go out. ``interrupted``: an earlier attempt
    began and was not recorded (a crash, an outage): a file of the same name and size that
    the bot already shared in the thread is that attempt's, and is not shared twice.
    """
    try:
        ref = FileRef.from_payload(payload)
    except (KeyError, TypeError, ValueError) as exc:
        raise DeskRejected(f"unreadable file reference: {exc}") from exc
    cap = dd.settings.relay_max_bytes
    if ref.size is not None and ref.size > cap:
        return await _instead(dd, channel, thread_ts, ref, FileUnavailable("too_big", "", ref.size))
    name, tries = filename_of(ref), attempts + 1
    last_try = tries >= FILE_ATTEMPTS
    if interrupted and ref.size is not None:  # before fetching: it may be gone by now
        if found := await _already_shared(dd, channel, thread_ts, name, ref.size):
            return found
    if dd.customer_channel is None:
        raise DeskUnavailable("the customer channel is not built yet")
    try:
        content = await dd.customer_channel.fetch_file(ref, cap)
    except FileUnavailable as exc:
        return await _instead(dd, channel, thread_ts, ref, exc)
    except Exception as exc:  # an outage of the customer's channel, a slow-down, a bad read
        if not last_try:
            if isinstance(exc, RetryLater):
                raise DeskRetryLater(exc.seconds, f"fetching a file: {exc}") from exc
            raise
        log.warning("a customer's file could not be fetched in %s tries: %s", tries, exc)
        why = FileUnavailable("unreachable", f"{type(exc).__name__}: {exc}", ref.size)
        return await _instead(dd, channel, thread_ts, ref, why, tries)
    if interrupted and ref.size is None:
        if found := await _already_shared(dd, channel, thread_ts, name, len(content)):
            return found
    what = attachment_words(ref.kind)
    try:
        return await dd.desk.upload_file(
            channel, thread_ts, content, name, f"{what[:1].upper()}{what[1:]} from the customer"
        )
    except Exception as exc:  # refused for good, or still failing on the last try: a line
        if not isinstance(exc, DeskRejected) and not last_try:
            raise  # an outage or a slow-down: the outbox backs off and tries again
        log.warning("a customer's %s could not be shared in the thread: %s", what, exc)
        tried = "" if isinstance(exc, DeskRejected) else f"; tried {tries} times"
        line = f"📎 The customer's {what} could not be shared here ({exc}{tried}): ask them for it."
        return await dd.desk.post(channel, DeskMessage(line), thread_ts=thread_ts)


async def _already_shared(
    dd: DeskDeps, channel: str, thread_ts: str, name: str, size: int
) -> str | None:
    """The file an interrupted attempt shared, if the desk shows it; a desk that cannot say
    (a missing scope, an outage) counts as not found: sharing twice beats not at all."""
    try:
        found = await dd.desk.find_file(channel, thread_ts, name, size)
    except DeskError as exc:
        log.warning("could not look for an earlier share of %s in %s: %s", name, thread_ts, exc)
        return None
    if found:
        log.info("the file an interrupted attempt shared in thread %s is used", thread_ts)
    return found


async def _instead(
    dd: DeskDeps,
    channel: str,
    thread_ts: str,
    ref: FileRef,
    why: FileUnavailable,
    tries: int = 0,
) -> str:
    """The line that stands in for a file that is not passed on."""
    what = attachment_words(ref.kind)
    size = why.size if why.size is not None else ref.size
    if why.reason == "too_big":
        sized = f"a {megabytes(size)} {what}" if size is not None else f"a {what}"
        limit = megabytes(dd.settings.relay_max_bytes)
        line = (f"📎 The customer sent {sized}, which was not passed on: files over {limit} "
                "(or too large for their chat app to hand over) are not relayed. Ask them "
                "for it another way if you need it.")  # fmt: skip
    elif why.reason == "unreachable":
        app = CHANNEL_NAMES.get(channel_of(ref.chat_id), "their chat app")
        line = (f"📎 The customer's {what} was not passed on: it could not be fetched from "
                f"{app} (tried {tries} times). Ask them to send it again if you need "
                "it.")  # fmt: skip
    else:
        app = CHANNEL_NAMES.get(channel_of(ref.chat_id), "their chat app")
        line = (f"📎 The customer's {what} was not passed on: {app} no longer has it. Ask "
                "them to send it again if you need it.")  # fmt: skip
    log.info("case thread %s: %s not passed on (%s)", thread_ts, what, why)
    return await dd.desk.post(channel, DeskMessage(line), thread_ts=thread_ts)
