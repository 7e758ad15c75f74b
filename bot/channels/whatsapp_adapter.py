"""The WhatsApp customer channel: channel-neutral messages to Cloud API payloads and back.

Buttons become reply buttons (at most 3, titles up to 20 characters) or else an interactive
list (at most 10 rows: :func:`handlers.whatsapp.messages.fit_choices` merges the lowest two
of NPS's eleven); templates open conversations outside the 24-hour window. Meta's errors become
the channel errors the handlers know. Inbound webhook items become :class:`IncomingUpdate`.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from typing import Any, Protocol

from bot.channels.whatsapp_cloud import (
    WhatsAppApiError,
    WhatsAppCloud,
    buttons_payload,
    list_payload,
    template_payload,
    text_payload,
)
from bot.channels.whatsapp_media import MediaTooBig, fetch_media
from bot.channels.whatsapp_pacing import WhatsAppPacer
from bot.channels.whatsapp_webhook import WhatsAppInbound, WhatsAppStatus
from handlers.chat_address import WHATSAPP, wa_id_of, whatsapp_chat
from handlers.messages import (
    ATTACHMENT,
    FILE_ID,
    FILE_MIME,
    FILE_NAME,
    Button,
    ChannelUnavailable,
    ChatUnreachable,
    FileRef,
    FileUnavailable,
    IncomingUpdate,
    MessageRejected,
    OutgoingDocument,
    OutgoingMessage,
    OutgoingPhoto,
    RetryLater,
    SentMessage,
)
from handlers.whatsapp.messages import REPLY_BUTTONS, STATUS, TemplateMessage, fit_choices

log = logging.getLogger(__name__)
RecordSent = Callable[[str, int], Awaitable[int]]
"""Stores a sent message's wamid with its chat; returns the house's id of the message."""
Unreachable = Callable[[int, str], Awaitable[bool]]
"""Records that a chat cannot be reached (and why); returns whether the customer can be
reached on another channel."""


class ConversationTier(Protocol):
    """The account's daily tier of business-initiated conversations, counted in the database
    so that all workers together stay under it (a template outside the window opens one)."""

    async def hold(self, chat_id: int, template: str) -> int | None:
        """Count one conversation before its template goes; None: the tier is full."""
        ...

    async def confirm(self, held: int, wamid: str) -> int:
        """The template went out as ``wamid``: recorded as the sent message; its house id."""
        ...

    async def release(self, held: int) -> None:
        """The template did not go: the conversation no longer counts."""
        ...


OTHER_CHANNEL_WAIT = 1.0  # seconds: then the customer's other chat is tried
LIST_BUTTON = "Kies · Choose"
INTERACTIVE_BODY = 1024
ROW_TITLE = 24
TEXT_BODY = 4096
# A free-form message outside the window waits: the customer's next message makes it due at
# once (handlers/whatsapp/entry.py); until then it is tried again every few hours.
OUTSIDE_WINDOW_WAIT = 4 * 3600.0
# The Graph API's answer to a media id it does not know (expired after seven days):
# 100 "Invalid parameter" ("Unsupported get request. Object with ID ... does not exist").
MEDIA_UNKNOWN = 100
TIER_FULL_WAIT = 3600.0  # the daily tier is a rolling day: try again in an hour
DOCUMENT_PARTS = 5  # a data export as texts: at most this many (a pair interval apart)


def render(message: OutgoingMessage) -> list[dict[str, Any]]:
    """The payloads for one message (two when its text is too long to carry buttons)."""
    to = wa_id_of(message.chat_id)
    flat = [b for row in message.buttons for b in row]
    if not flat:
        return [text_payload(to, message.text[:TEXT_BODY])]
    before: list[dict[str, Any]] = []
    body = message.text
    if len(body) > INTERACTIVE_BODY:
        before, body = [text_payload(to, body[:TEXT_BODY])], "👇"
    if len(flat) <= REPLY_BUTTONS and all(len(b.label) <= 20 for b in flat):
        return [*before, buttons_payload(to, body, [(b.data, b.label) for b in flat])]
    rows = [_row(b) for b in fit_choices(tuple(flat))]
    return [*before, list_payload(to, body, LIST_BUTTON, [(None, rows)])]


def _row(button: Button) -> tuple[str, str, str | None]:
    """A list row: a label longer than a row title (24) is shortened, and shown whole below."""
    if len(button.label) <= ROW_TITLE:
        return button.data[:200], button.label, None
    return button.data[:200], button.label[: ROW_TITLE - 1] + "…", button.label[:72]


class WhatsAppChannel:
    """Sends to WhatsApp chats through :class:`WhatsAppCloud`, paced under Meta's limits."""

    def __init__(
        self,
        client: WhatsAppCloud,
        record_sent: RecordSent,
        pacer: WhatsAppPacer,
        unreachable: Unreachable | None = None,
        tier: ConversationTier | None = None,
    ) -> None:
        self.client = client
        self.record_sent = record_sent
        self.pacer = pacer
        self.unreachable = unreachable
        self.tier = tier
        self.tier_waits = 0

    async def send(self, message: OutgoingMessage) -> SentMessage:
        """Send text, reply buttons or a list."""
        try:
            payloads = render(message)
        except ValueError as exc:
            raise MessageRejected(f"cannot render for WhatsApp: {exc}") from None
        sent = None
        for payload in payloads:
            sent = await self._send(message.chat_id, payload)
        assert sent is not None
        return sent

    async def send_template(self, template: TemplateMessage) -> SentMessage:
        """Send an approved template (allowed outside the 24-hour window)."""
        try:
            payload = template_payload(
                wa_id_of(template.chat_id), template.name, template.language,
                template.params, template.quick_replies,
            )  # fmt: skip
        except ValueError as exc:
            raise MessageRejected(f"template {template.name}: {exc}") from None
        if self.tier is None:
            return await self._send(template.chat_id, payload)
        held = await self.tier.hold(template.chat_id, template.name)
        if held is None:
            self.tier_waits += 1
            log.warning("daily tier reached; template %s to chat %s waits",
                        template.name, template.chat_id)  # fmt: skip
            raise RetryLater(TIER_FULL_WAIT)
        try:
            return await self._send(template.chat_id, payload, held)
        except BaseException:
            await self.tier.release(held)
            raise

    async def edit(self, chat_id: int, message_id: int, text: str) -> None:
        """WhatsApp messages cannot be edited: the choice stays visible as the customer's own
        reply, so there is nothing to do."""

    async def answer_button(self, callback_id: str, text: str | None = None) -> None:
        """A WhatsApp reply needs no acknowledgement."""

    async def send_document(self, document: OutgoingDocument) -> SentMessage:
        """A file as text (a data export; files need Meta's media upload, which this adapter
        does not do): JSON without its indentation, in as many texts as it takes (at most
        ``DOCUMENT_PARTS``, each paced like any message); a larger file is refused."""
        content = document.content.decode("utf-8", "replace")
        if document.filename.endswith(".json"):
            with contextlib.suppress(ValueError):
                content = json.dumps(json.loads(content), ensure_ascii=False,
                                     separators=(",", ":"))  # fmt: skip
        body = f"{document.caption}\n\n{content}".strip()
        parts = [body[i : i + TEXT_BODY] for i in range(0, len(body), TEXT_BODY)]
        if len(parts) > DOCUMENT_PARTS:
            raise MessageRejected(f"{document.filename}: too large for WhatsApp texts")
        sent = None
        for part in parts:
            sent = await self.send(OutgoingMessage(document.chat_id, part))
        assert sent is not None
        return sent

    async def send_photo(self, photo: OutgoingPhoto) -> SentMessage:
        """Images need Meta's media upload, which this adapter does not do."""
        raise MessageRejected("images are not sent on WhatsApp")

    async def fetch_file(self, ref: FileRef, max_bytes: int) -> bytes:
        """Media a customer sent, by its media id (:mod:`bot.channels.whatsapp_media`): an id
        Meta no longer knows (webhook media ids expire after seven days) or a download URL that
        is gone is "gone"; a file over ``max_bytes`` "too big"."""
        try:
            return await fetch_media(self.client, ref.file_id, max_bytes)
        except MediaTooBig as exc:
            raise FileUnavailable("too_big", str(exc), exc.size) from None
        except WhatsAppApiError as exc:
            if exc.code == MEDIA_UNKNOWN or exc.http_status == 404:
                raise FileUnavailable("gone", str(exc), ref.size) from None
            raise self._channel_error(ref.chat_id, exc) from None

    async def _send(
        self, chat_id: int, payload: dict[str, Any], held: int | None = None
    ) -> SentMessage:
        await self.pacer.wait(chat_id)
        try:
            wamid = await self.client.send(payload)
        except WhatsAppApiError as exc:
            if exc.recipient_unreachable and self.unreachable is not None:
                # Unreachable on WhatsApp only: a customer with another chat is written to
                # there (the message is retried, and their preferred chat is now the other).
                if await self.unreachable(chat_id, f"{exc.code} {exc.title}"):
                    raise RetryLater(OTHER_CHANNEL_WAIT) from None
            if exc.throttled:
                wait = exc.retry_after or max(self.pacer.pair_interval, 1.0)
                await self.pacer.backoff(chat_id, wait, exc.code)
            raise self._channel_error(chat_id, exc) from None
        if held is not None and self.tier is not None:
            try:  # the held row becomes the sent message: one write instead of two
                return SentMessage(chat_id, await self.tier.confirm(held, wamid))
            except Exception:  # the message went: the held row keeps counting it
                log.exception("whatsapp: could not confirm held conversation %s", held)
        return SentMessage(chat_id, await self.record_sent(wamid, chat_id))

    def _channel_error(self, chat_id: int, exc: WhatsAppApiError) -> Exception:
        if exc.throttled:
            wait = exc.retry_after or max(self.pacer.pair_interval, 1.0)
            return RetryLater(wait)
        if exc.outside_window:
            return RetryLater(OUTSIDE_WINDOW_WAIT)
        if exc.recipient_unreachable:
            return ChatUnreachable(str(exc))
        if exc.unavailable:
            return ChannelUnavailable(str(exc))
        return MessageRejected(str(exc))


def inbox_payloads(
    inbound: list[WhatsAppInbound], statuses: list[WhatsAppStatus]
) -> list[tuple[str, int, dict[str, Any]]]:
    """(dedupe key, chat id, payload) of each webhook item; items from a number that is not
    one are logged and dropped."""
    items: list[tuple[str, int, dict[str, Any]]] = []
    for m in inbound:
        try:
            items.append((m.message_id, whatsapp_chat(m.wa_id), {"t": "message", **asdict(m)}))
        except ValueError as exc:
            log.warning("WhatsApp message %s dropped: %s", m.message_id[:40], exc)
    for s in statuses:
        try:
            chat = whatsapp_chat(s.wa_id)
        except ValueError as exc:
            log.warning("WhatsApp status of %s dropped: %s", s.message_id[:40], exc)
            continue
        items.append((f"{s.message_id}:{s.status}", chat, {"t": "status", **asdict(s)}))
    return items


def decode(payload: str) -> IncomingUpdate | None:
    """An inbox row's payload (written by :func:`inbox_payloads`, with its update id) as an
    :class:`IncomingUpdate`; None for a message kind the bot does not read."""
    data = json.loads(payload)
    chat = whatsapp_chat(str(data["wa_id"]))
    update_id = int(data["update_id"])
    if data["t"] == "status":
        extra = {STATUS: str(data["status"]), "wamid": str(data["message_id"])}
        if data.get("error_code") is not None:
            extra["error_code"] = str(data["error_code"])
        if data.get("error_title"):
            extra["error_title"] = str(data["error_title"])[:200]
        return IncomingUpdate(WHATSAPP, update_id, "text", chat, chat, extra=extra)
    name = data.get("profile_name") or None
    common: dict[str, Any] = {"first_name": name.split(" ")[0] if name else None}
    if data["kind"] in ("button", "interactive_button", "interactive_list") and data["reply_id"]:
        return IncomingUpdate(
            WHATSAPP, update_id, "button", chat, chat,
            button_data=str(data["reply_id"]), callback_id=f"wa:{data['message_id']}", **common,
        )  # fmt: skip
    if data["kind"] == "text" and data.get("text") is not None:
        return IncomingUpdate(WHATSAPP, update_id, "text", chat, chat, text=str(data["text"]),
                              **common)  # fmt: skip
    if data["kind"] == "media":  # its caption is the customer's words; the file is named by id
        extra = {ATTACHMENT: str(data.get("attachment") or "file")}
        media = data.get("media") or {}
        for key, name in ((FILE_ID, "id"), (FILE_MIME, "mime_type"), (FILE_NAME, "filename")):
            if media.get(name):
                extra[key] = str(media[name])
        return IncomingUpdate(WHATSAPP, update_id, "text", chat, chat,
                              text=str(data.get("text") or ""), extra=extra, **common)  # fmt: skip
    if data["kind"] == "reaction":  # an emoji on one of the bot's messages: nothing to answer
        log.info("WhatsApp reaction from chat %s is not answered", chat)
        return None
    log.info("WhatsApp message kind %s from chat %s is not read", data["kind"], chat)
    return IncomingUpdate(WHATSAPP, update_id, "text", chat, chat, text="", **common)
