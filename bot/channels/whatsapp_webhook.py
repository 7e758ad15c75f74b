"""The WhatsApp webhook: Meta's GET handshake, signed POSTs, and what a delivery carries.

From Meta's webhooks documentation (the "Webhooks" getting-started guide, as restated by the
WhatsApp Node.js SDK's ``webhooks.start`` reference and whatsapp_sdk's ``WhatsApp.Webhook``
docs, which the search store holds): the verification request is a GET with ``hub.mode=subscribe``,
``hub.verify_token`` (the string set in the app dashboard) and ``hub.challenge``, answered with
the challenge; event notifications are POSTs whose ``X-Hub-Signature-256`` header is
``sha256=`` and the HMAC-SHA256 of the raw body keyed with the app secret, and a notification
not answered 200 is sent again (at least once: a message id can arrive twice). Payload shapes
are those of the "messages webhook reference" (``entry[].changes[].value`` with ``messages``,
``contacts`` and ``statuses``; failed statuses carry ``errors``).

A delivery Meta signed is refused (400, so Meta sends it again) only when its envelope or a
message's id, sender or timestamp is broken; a message type or status the bot does not know
is kept as ``kind="other"`` or skipped, so that the messages beside it are not lost. A media
message (image, video, document, audio, sticker, location, contacts) is kept as ``media`` with
its caption as its words; a reaction to a message as ``reaction`` (the bot does not answer it).

Stricter readings where the docs are silent: an empty app secret or verify token never
matches; a body over 3 MB or nested deeper than :data:`~bot.channels.json_limits.MAX_DEPTH` is
refused before it is parsed. (3 MB is the largest webhook payload Meta is remembered to name;
the stored documentation excerpts do not state a figure, and a messages notification is a few
kilobytes, so the bound only keeps junk out.)
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from bot.channels.json_limits import clean_json, loads_shallow

__all__ = [
    "MAX_BODY_BYTES",
    "WebhookPayloadError",
    "WhatsAppInbound",
    "WhatsAppStatus",
    "handshake",
    "parse_delivery",
    "receive",
    "verify_signature",
]

log = logging.getLogger(__name__)
MAX_BODY_BYTES = 3 * 1024 * 1024
STATUSES = frozenset({"sent", "delivered", "read", "failed"})
# Message types that carry a file or a place instead of words (the messages webhook reference):
# the first three may have a caption, which is the customer's words.
CAPTIONED = frozenset({"image", "video", "document"})
UNCAPTIONED = frozenset({"audio", "sticker", "location", "contacts"})
# Media that are a file the bot may fetch by its id (a sticker is not passed on).
MEDIA_FILES = frozenset({"image", "video", "document", "audio"})


class WebhookPayloadError(ValueError):
    """A webhook body that is not a WhatsApp messages notification (or is too big/deep)."""


@dataclass(frozen=True)
class WhatsAppInbound:
    """One customer message; ``message_id`` (wamid) is the dedupe key."""

    message_id: str
    wa_id: str
    profile_name: str | None
    timestamp: int
    kind: str  # text, button (quick reply), interactive_button, interactive_list, media,
    # reaction, other
    text: str | None
    reply_id: str | None
    context_id: str | None
    attachment: str | None = None
    """What a ``media`` message carried (image, video, document, audio, sticker, location,
    contacts); its caption, if any, is ``text``."""
    media: dict[str, str] | None = None
    """A file's ``id`` (the media id to fetch it by), ``mime_type`` and, for a document,
    ``filename``, as the webhook gives them (image, video, document, audio)."""


@dataclass(frozen=True)
class WhatsAppStatus:
    """A status callback for a message the business sent."""

    message_id: str
    wa_id: str
    status: str  # sent | delivered | read | failed
    timestamp: int
    error_code: int | None
    error_title: str | None


def verify_signature(app_secret: str, raw_body: bytes, header: str | None) -> bool:
    """Whether ``header`` is ``sha256=<hex HMAC-SHA256 of raw_body with app_secret>``."""
    if not app_secret or not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(app_secret.encode(), raw_body, hashlib.sha256).hexdigest().encode()
    given = header.removeprefix("sha256=").strip().lower().encode("utf-8", "replace")
    return hmac.compare_digest(expected, given)  # bytes: a non-ASCII header is no TypeError


def handshake(params: Mapping[str, str], verify_token: str) -> str | None:
    """``hub.challenge`` when ``hub.mode`` is subscribe and the token matches, else None (403)."""
    token = params.get("hub.verify_token") or ""
    if params.get("hub.mode") != "subscribe" or not verify_token:
        return None
    if not hmac.compare_digest(token.encode(), verify_token.encode()):
        return None
    return params.get("hub.challenge")


def parse_delivery(raw_body: bytes) -> tuple[list[WhatsAppInbound], list[WhatsAppStatus]]:
    """The customer messages and statuses in a delivery; WebhookPayloadError if malformed."""
    if len(raw_body) > MAX_BODY_BYTES:
        raise WebhookPayloadError(f"body of {len(raw_body)} bytes; at most {MAX_BODY_BYTES}")
    try:
        body = clean_json(loads_shallow(raw_body))
    except (ValueError, UnicodeDecodeError) as exc:  # TooDeep is a ValueError
        raise WebhookPayloadError(f"not acceptable JSON: {exc}") from None
    if not isinstance(body, dict) or body.get("object") != "whatsapp_business_account":
        raise WebhookPayloadError("not a whatsapp_business_account notification")
    inbound: list[WhatsAppInbound] = []
    statuses: list[WhatsAppStatus] = []
    for entry in _list(body, "entry"):
        for change in _list(_dict(entry, "entry"), "changes"):
            change = _dict(change, "change")
            if change.get("field", "messages") != "messages":
                continue  # other fields (account updates ...) carry nothing for the bot
            value = _dict(change.get("value"), "value")
            names: dict[str, str | None] = {}
            for contact in _list(value, "contacts"):
                contact = _dict(contact, "contact")
                profile = _dict(contact.get("profile", {}), "profile")
                name = profile.get("name")
                names[_str(contact, "wa_id")] = name if isinstance(name, str) and name else None
            inbound += [_message(_dict(m, "message"), names) for m in _list(value, "messages")]
            for item in _list(value, "statuses"):
                status = _status(_dict(item, "status"))
                if status.status in STATUSES:
                    statuses.append(status)
                else:  # Meta has more (deleted, warning): not an error, nothing for the bot
                    log.info("WhatsApp status %r of %s skipped", status.status, status.message_id)
    return inbound, statuses


def _dict(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise WebhookPayloadError(f"{what} must be an object")
    return value


def _list(parent: dict[str, Any], key: str) -> list[Any]:
    value = parent.get(key, [])
    if not isinstance(value, list):
        raise WebhookPayloadError(f"{key} must be an array")
    return value


def _str(parent: dict[str, Any], key: str) -> str:
    value = parent.get(key)
    if not isinstance(value, str) or not value:
        raise WebhookPayloadError(f"{key} must be a non-empty string")
    return value


def _timestamp(parent: dict[str, Any]) -> int:
    value = parent.get("timestamp")
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isdigit() and len(value) <= 12:
        return int(value)
    raise WebhookPayloadError(f"timestamp must be seconds since the epoch, got {value!r}")


def _message(message: dict[str, Any], names: dict[str, str | None]) -> WhatsAppInbound:
    wa_id, kind = _str(message, "from"), _str(message, "type")
    text = reply_id = attachment = media = None
    if kind == "text":
        text = _str(_dict(message.get("text"), "text"), "body")
    elif kind == "button":
        button = _dict(message.get("button"), "button")
        text, reply_id = button.get("text"), button.get("payload")
    elif kind == "interactive":
        interactive = _dict(message.get("interactive"), "interactive")
        itype = interactive.get("type")
        if itype in ("button_reply", "list_reply"):
            reply = _dict(interactive.get(itype), itype)
            text, reply_id = reply.get("title"), _str(reply, "id")
            kind = "interactive_button" if itype == "button_reply" else "interactive_list"
        else:
            kind = "other"
    elif kind in CAPTIONED or kind in UNCAPTIONED:
        attachment = kind
        content = message.get(kind)
        caption = (
            content.get("caption") if kind in CAPTIONED and isinstance(content, dict) else None
        )
        text, kind = caption, "media"
        if attachment in MEDIA_FILES and isinstance(content, dict):
            media = _media(content)
    elif kind != "reaction":
        kind = "other"
    context = message.get("context")
    context_id = _dict(context, "context").get("id") if context is not None else None
    return WhatsAppInbound(
        message_id=_str(message, "id"),
        wa_id=wa_id,
        profile_name=names.get(wa_id),
        timestamp=_timestamp(message),
        kind=kind,
        text=text if isinstance(text, str) else None,
        reply_id=reply_id if isinstance(reply_id, str) else None,
        context_id=context_id if isinstance(context_id, str) else None,
        attachment=attachment,
        media=media,
    )


def _media(content: dict[str, Any]) -> dict[str, str] | None:
    """The media id, MIME type and file name of a file message (None without a usable id)."""
    found = {key: content.get(key) for key in ("id", "mime_type", "filename")}
    kept = {k: v[:200] for k, v in found.items() if isinstance(v, str) and v}
    return kept if "id" in kept else None


def _status(status: dict[str, Any]) -> WhatsAppStatus:
    state = _str(status, "status")
    code = title = None
    errors = _list(status, "errors")
    if errors:
        first = _dict(errors[0], "error")
        code = first.get("code") if isinstance(first.get("code"), int) else None
        title = first.get("title") if isinstance(first.get("title"), str) else None
    return WhatsAppStatus(
        message_id=_str(status, "id"),
        wa_id=_str(status, "recipient_id"),
        status=state,
        timestamp=_timestamp(status),
        error_code=code,
        error_title=title,
    )


async def receive(
    raw_body: bytes,
    signature_header: str | None,
    app_secret: str,
    store_raw: Callable[[bytes], Awaitable[object]],
) -> int:
    """Take one webhook POST; the HTTP status to answer: 413 over :data:`MAX_BODY_BYTES`
    (refused before any hashing), 401 unsigned or wrongly signed (nothing stored), 400
    malformed, 503 when ``store_raw`` fails (Meta retries), 200 once ``store_raw(raw_body)``
    succeeded."""
    if len(raw_body) > MAX_BODY_BYTES:
        log.warning("WhatsApp webhook refused: %d bytes", len(raw_body))
        return 413
    if not verify_signature(app_secret, raw_body, signature_header):
        log.warning("WhatsApp webhook refused: missing or wrong X-Hub-Signature-256")
        return 401
    try:
        parse_delivery(raw_body)
    except WebhookPayloadError as exc:
        log.warning("WhatsApp webhook refused: %s", exc)
        return 400
    try:
        await store_raw(raw_body)
    except Exception:
        log.exception("WhatsApp webhook not stored; answering 503 so Meta retries")
        return 503
    return 200
