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
from handlers.desk.messages import DeskMessage, DeskRejected, DeskRetryLater, DeskUnavailable
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
FETCH_ATTEMPTS = 6
"""Tries to fetch a file before a line stands in for it. The desk's queue waits behind the post
meanwhile: with the outbox's backoff (1, 2, 4, 8, 15 s) that is about half a minute."""


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
    suffix = mimetypes.guess_extension(ref.mime_type or "") or ""
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
    a file the customer's channel still cannot hand over after :data:`FETCH_ATTEMPTS` tries
    becomes a line too, and the cards and words behind it go out. ``interrupted``: an earlier
    attempt began and was not recorded (a crash, an outage): a file of the same name and size
    already in the thread is that attempt's, and is not shared twice.
    """
    try:
        ref = FileRef.from_payload(payload)
    except (KeyError, TypeError, ValueError) as exc:
        raise DeskRejected(f"unreadable file reference: {exc}") from exc
    cap = dd.settings.relay_max_bytes
    if ref.size is not None and ref.size > cap:
        return await _instead(dd, channel, thread_ts, ref, FileUnavailable("too_big", "", ref.size))
    if dd.customer_channel is None:
        raise DeskUnavailable("the customer channel is not built yet")
    try:
        content = await dd.customer_channel.fetch_file(ref, cap)
    except FileUnavailable as exc:
        return await _instead(dd, channel, thread_ts, ref, exc)
    except Exception as exc:  # an outage of the customer's channel, a slow-down, a bad read
        if attempts + 1 < FETCH_ATTEMPTS:
            if isinstance(exc, RetryLater):
                raise DeskRetryLater(exc.seconds, f"fetching a file: {exc}") from exc
            raise
        detail = f"{type(exc).__name__}: {exc}"
        log.warning("a customer's file could not be fetched in %s tries: %s", attempts + 1, detail)
        why = FileUnavailable("unreachable", detail, ref.size)
        return await _instead(dd, channel, thread_ts, ref, why)
    what = attachment_words(ref.kind)
    title = f"{what[:1].upper()}{what[1:]} from the customer"
    name = filename_of(ref)
    if interrupted and (found := await dd.desk.find_file(channel, thread_ts, name, len(content))):
        log.info("the %s an interrupted attempt shared in thread %s is used", what, thread_ts)
        return found
    try:
        return await dd.desk.upload_file(channel, thread_ts, content, name, title)
    except DeskRejected as exc:  # e.g. uploads disabled: the thread still hears of it
        log.warning("a customer's %s could not be shared in the thread: %s", what, exc)
        line = f"📎 The customer's {what} could not be shared here ({exc}): ask them for it."
        return await dd.desk.post(channel, DeskMessage(line), thread_ts=thread_ts)


async def _instead(
    dd: DeskDeps, channel: str, thread_ts: str, ref: FileRef, why: FileUnavailable
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
                f"{app} in {FETCH_ATTEMPTS} tries. Ask them to send it again if you need "
                "it.")  # fmt: skip
    else:
        app = CHANNEL_NAMES.get(channel_of(ref.chat_id), "their chat app")
        line = (f"📎 The customer's {what} was not passed on: {app} no longer has it. Ask "
                "them to send it again if you need it.")  # fmt: skip
    log.info("case thread %s: %s not passed on (%s)", thread_ts, what, why)
    return await dd.desk.post(channel, DeskMessage(line), thread_ts=thread_ts)
