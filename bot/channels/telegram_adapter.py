"""The Telegram adapter: converts between python-telegram-bot objects and channel-neutral messages.

It holds no business logic: updates are handed to an injected ``receive`` (the inbox) with
their :class:`IncomingUpdate`; :class:`TelegramChannel` sends :class:`OutgoingMessage` through
the Bot API.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeChat,
    InputFile,
    Update,
)
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import Application, BaseRateLimiter

from bot.channels.aiohttp_request import AiohttpRequest
from bot.channels.arrivals import Arrival, Receive, decode_incoming
from bot.channels.json_limits import loads_shallow, read_limited
from bot.channels.ptb_bot import TolerantBot
from bot.channels.send_pacing import SendPacer
from bot.channels.telegram_incoming import to_incoming
from handlers.messages import (
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

log = logging.getLogger(__name__)


def _translate(exc: TelegramError) -> Exception:
    """A PTB error as a channel-neutral one."""
    if isinstance(exc, Forbidden):
        return ChatUnreachable(exc.message)
    if isinstance(exc, RetryAfter):
        wait = exc.retry_after
        seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
        return RetryLater(seconds)
    if isinstance(exc, BadRequest | ChatMigrated):
        return MessageRejected(exc.message)
    if isinstance(exc, NetworkError):  # includes TimedOut
        return ChannelUnavailable(exc.message)
    return ChannelUnavailable(str(exc))


def keyboard(message: OutgoingMessage) -> dict[str, Any] | None:
    """The Bot API's InlineKeyboardMarkup, as JSON, for a message's buttons (None without)."""
    if not message.buttons:
        return None
    return {
        "inline_keyboard": [
            [{"text": b.label, "callback_data": b.data} for b in row] for row in message.buttons
        ]
    }


class TelegramChannel:
    """Sends channel-neutral messages through a PTB ``Bot``; errors become channel errors."""

    def __init__(self, bot: TolerantBot) -> None:
        self.bot = bot

    async def send(self, message: OutgoingMessage) -> SentMessage:
        """Send text with optional inline buttons."""
        data: dict[str, Any] = {"chat_id": message.chat_id, "text": message.text}
        markup = keyboard(message)
        if markup is not None:
            data["reply_markup"] = markup
        try:
            sent = await self.bot.post_unparsed("sendMessage", data)
        except TelegramError as exc:
            raise _translate(exc) from exc
        return SentMessage(message.chat_id, sent["message_id"])

    async def edit(self, chat_id: int, message_id: int, text: str) -> None:
        """Replace a message's text and drop its keyboard."""
        try:  # without a reply_markup the keyboard goes
            await self.bot.post_unparsed(
                "editMessageText", {"chat_id": chat_id, "message_id": message_id, "text": text}
            )
        except TelegramError as exc:
            raise _translate(exc) from exc

    async def answer_button(self, callback_id: str, text: str | None = None) -> None:
        """Stop the button's spinner, optionally with a notice. A query Telegram no longer
        takes (pressed too long ago: the tap was handled late) is not an error: the spinner
        has stopped on the customer's side already."""
        try:
            await self.bot.answer_callback_query(callback_id, text=text)
        except BadRequest as exc:
            if "query is too old" in exc.message.lower():
                log.info("callback query %s expired before it was answered", callback_id)
                return
            raise _translate(exc) from exc
        except TelegramError as exc:
            raise _translate(exc) from exc

    async def send_document(self, document: OutgoingDocument) -> SentMessage:
        """Upload a file to the chat."""
        return await self._upload(self.bot.send_document, document)

    async def send_photo(self, photo: OutgoingPhoto) -> SentMessage:
        """Upload an image to the chat (sendPhoto)."""
        return await self._upload(self.bot.send_photo, photo)

    async def fetch_file(self, ref: FileRef, max_bytes: int) -> bytes:
        """A file the customer sent: ``getFile`` (the Bot API answers "file is too big" past
        its 20 MB download limit), then the download from ``base_file_url``."""
        try:
            file = await self.bot.get_file(ref.file_id)
        except BadRequest as exc:
            reason = "too_big" if "too big" in exc.message.lower() else "gone"
            raise FileUnavailable(reason, exc.message, ref.size) from exc
        except TelegramError as exc:
            raise _translate(exc) from exc
        if file.file_size is not None and file.file_size > max_bytes:
            raise FileUnavailable("too_big", f"{file.file_size} bytes", file.file_size)
        try:
            data = bytes(await file.download_as_bytearray())
        except BadRequest as exc:
            raise FileUnavailable("gone", exc.message, file.file_size) from exc
        except TelegramError as exc:
            raise _translate(exc) from exc
        if len(data) > max_bytes:  # the size was not told beforehand
            raise FileUnavailable("too_big", f"{len(data)} bytes", len(data))
        return data

    async def _upload(self, method: Any, file: OutgoingDocument | OutgoingPhoto) -> SentMessage:
        try:
            sent = await method(
                file.chat_id,
                InputFile(file.content, filename=file.filename),
                caption=file.caption or None,
            )
        except TelegramError as exc:
            raise _translate(exc) from exc
        return SentMessage(file.chat_id, sent.message_id)


def build_application(
    token: str,
    base_url: str,
    base_file_url: str,
    *,
    rate_limit: bool = True,
    concurrent_updates: int = 32,
    rate_limiter: BaseRateLimiter[None] | None = None,
) -> Application:
    """A PTB Application for the bot's sends (its Bot, rate limiter and lifecycle).

    Updates do not go through PTB's Updater or handlers: they are stored in the inbox before
    Telegram is told they arrived (see :mod:`bot.channels.telegram_polling` and
    :func:`webhook_route`). ``concurrent_updates`` sizes the connection pool. With
    ``rate_limit``, sends are paced by ``rate_limiter`` (default: a :class:`SendPacer` for this
    process alone; see :mod:`bot.channels.send_pacing`).
    """
    # Updates and sends run concurrently: a pool of connections, not PTB's default of one.
    # The transport is aiohttp, not PTB's httpx: a third of the CPU per call (see the module).
    bot = TolerantBot(
        token,
        base_url=base_url,
        base_file_url=base_file_url,
        request=AiohttpRequest(max(8, 2 * concurrent_updates), pool_timeout=30),
        get_updates_request=AiohttpRequest(connection_pool_size=2),
        rate_limiter=(rate_limiter or SendPacer()) if rate_limit else None,
    )
    return Application.builder().bot(bot).updater(None).build()


def decode_update(payload: str, bot: Bot) -> IncomingUpdate | None:
    """An update as stored in the inbox in its channel-neutral form: a webhook's body is
    Telegram's JSON, a polled update is stored already converted (``encode_incoming``); None
    for kinds the bot does not handle."""
    data = json.loads(payload)
    stored = decode_incoming(data)
    return stored if stored is not None else to_incoming(Update.de_json(data, bot))


async def register_commands(
    bot: Bot,
    commands: dict[str, list[tuple[str, str]]],
    chat_menus: Sequence[tuple[Sequence[int], dict[str, list[tuple[str, str]]]]] = (),
) -> None:
    """setMyCommands for each language (English is also the default list), then each of
    ``chat_menus`` (chats, menu) for those chats only. A chat Telegram refuses (the manager never
    opened a chat with the bot) is logged and skipped."""
    await _set_menu(bot, commands)
    for chats, menu in chat_menus:
        for chat_id in chats:
            try:
                await _set_menu(bot, menu, BotCommandScopeChat(chat_id))
            except (BadRequest, Forbidden) as exc:
                log.warning("no command menu for chat %s: %s", chat_id, exc.message)


async def _set_menu(
    bot: Bot, menu: dict[str, list[tuple[str, str]]], scope: BotCommandScopeChat | None = None
) -> None:
    for lang, items in menu.items():
        cmds = [BotCommand(name, description) for name, description in items]
        await bot.set_my_commands(cmds, scope=scope, language_code=lang)
        if lang == "en":
            await bot.set_my_commands(cmds, scope=scope)


MAX_WEBHOOK_BODY = 1_000_000


def webhook_route(
    bot: Bot, receive: Receive, secret: str, path: str = "/telegram/webhook"
) -> Route:
    """The webhook endpoint: checks Telegram's secret-token header, stores the update in the
    inbox, and only then answers 200. With the database away it answers 503, so Telegram keeps
    the update and sends it again.

    The request does not handle the update: ``receive`` returns once the row is committed and
    the chat's drain runs as a task of its own (:meth:`bot.inbox_runner.InboxRunner.receive`).
    That is the decoupling PTB's ``Application.update_queue`` gives its own webhook, which puts
    the update in that in-memory queue and answers 200 at once (a crash before the handling
    then loses it; PTB's update fetcher also drops what is left in the queue when it stops).
    Feeding ``update_queue`` after the insert would add a second, in-memory queue in front of
    the same drain, so the inbox is the queue here and PTB's is not used."""
    expected = secret.encode()

    async def receive_update(request: Request) -> Response:
        presented = request.headers.get("x-telegram-bot-api-secret-token", "").encode()
        if not hmac.compare_digest(presented, expected):
            log.warning("telegram webhook: refused a request with a wrong or missing secret token")
            return JSONResponse({"error": "forbidden"}, status_code=403)
        body = await read_limited(request, MAX_WEBHOOK_BODY)
        if body is None:
            log.warning("telegram webhook: refused a body over %d bytes", MAX_WEBHOOK_BODY)
            return JSONResponse({"error": "too large"}, status_code=413)
        try:
            data = loads_shallow(body)
            update = Update.de_json(data, bot)
            incoming = to_incoming(update)
        except Exception as exc:  # garbage: say so, and never retry it
            log.warning("telegram webhook: unreadable update (%s)", str(exc)[:200])
            return JSONResponse({"error": "unreadable update"}, status_code=400)
        if incoming is None:
            log.info("ignored update %s of a kind the bot does not handle", update.update_id)
            return JSONResponse({"ok": True})
        arrival = Arrival(update.update_id, incoming.chat_id, body.decode(), incoming)
        try:
            await receive([arrival])
        except Exception as exc:  # not stored: Telegram must keep it and retry
            log.warning("telegram webhook: update %s not stored (%s); 503", update.update_id, exc)
            return JSONResponse({"error": "unavailable"}, status_code=503)
        return JSONResponse({"ok": True})

    return Route(path, receive_update, methods=["POST"])
