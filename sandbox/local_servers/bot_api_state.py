"""State of the local Bot API server, free of HTTP.

:class:`BotApiState` holds chats, the bot's messages, files, commands, pending updates and the
failure-injection and rate-limit settings; the Bot API methods themselves come from
:class:`~sandbox.local_servers.bot_api_methods.BotApiMethods`. The HTTP layer in
:mod:`sandbox.local_servers.bot_api` adds long polling, webhooks and waiting.
"""

from __future__ import annotations

import collections
import itertools
import json
import time
from collections.abc import Callable
from typing import Any

from sandbox.local_servers.bot_api_format import utf16_len
from sandbox.local_servers.bot_api_limits import SendLimits, SendWindows
from sandbox.local_servers.bot_api_methods import BotApiMethods
from sandbox.local_servers.bot_api_types import (
    BLOCKED,
    ApiError,
    Call,
    Stats,
    UploadedFile,
    bad_request,
)

__all__ = ["ApiError", "BotApiState", "Call", "Stats", "UploadedFile"]
# Telegram's docs give no figure; bots see "query is too old" for taps answered some 10-15 s
# after the press (issue 14 saw it past 15 s). The local server refuses past 15 s.
CALLBACK_QUERY_TTL = 15.0


class BotApiState(BotApiMethods):
    """Everything the fake Telegram knows, and the Bot API methods as plain functions.

    Args:
        bot_id / username / first_name: identity answered by ``getMe``.
        token: if set, only this token is accepted (others get 401); otherwise any token.
        enforce_limits: apply Telegram's send limits (see :meth:`set_limits`).
        history_per_chat: how many bot messages are kept per chat (oldest dropped; 0 keeps
            none, for benchmarks: then edits and callbacks cannot find them).
        calls_maxlen: how many entries :attr:`calls` keeps.
        strict_chats: if True, sending to a chat no simulated user has written from is a 400.
    """

    def __init__(
        self,
        *,
        bot_id: int = 7_000_000_001,
        username: str = "mentorbot_demo_bot",
        first_name: str = "Mentorbot",
        token: str | None = None,
        enforce_limits: bool = False,
        history_per_chat: int = 1000,
        calls_maxlen: int = 10_000,
        strict_chats: bool = False,
    ) -> None:
        self.token = token
        self.bot_user = {
            "id": bot_id,
            "is_bot": True,
            "first_name": first_name,
            "username": username,
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
        }
        self.history_per_chat = history_per_chat
        self.strict_chats = strict_chats
        self.calls: collections.deque[Call] = collections.deque(maxlen=calls_maxlen)
        self.stats = Stats()
        self.chats: dict[int, dict[str, Any]] = {}
        self.users: dict[int, dict[str, Any]] = {}
        self._messages: dict[int, dict[int, dict[str, Any]]] = {}
        self._next_message_id: dict[int, int] = {}
        self.reply_keyboards: dict[int, dict[str, Any] | None] = {}
        self.files: dict[str, UploadedFile] = {}
        self._files_by_unique: dict[str, UploadedFile] = {}
        self.uploads: list[UploadedFile] = []
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.callback_queries: dict[str, dict[str, Any]] = {}
        self.answered_callbacks: dict[str, dict[str, Any]] = {}
        # When each callback query was made (on ``clock``); answerCallbackQuery refuses a query
        # older than ``callback_query_ttl``, as Telegram does ("query is too old").
        self.clock: Callable[[], float] = time.monotonic
        self.callback_query_ttl = CALLBACK_QUERY_TTL
        self.callback_made_at: dict[str, float] = {}
        self.chat_actions: list[tuple[int, str]] = []
        self.webhook: dict[str, Any] = {"url": ""}
        self.allowed_updates: list[str] | None = None
        self.pending: collections.deque[dict[str, Any]] = collections.deque()
        self.blocked: set[int] = set()
        self.unavailable: str | None = None
        self._failures: dict[str, collections.deque[ApiError]] = {}
        self._update_ids = itertools.count(100_000_001)
        self._ids = itertools.count(1)
        self.enforce_limits = enforce_limits
        self.clock: Callable[[], float] = time.monotonic  # when a send arrives (tests set it)
        self.set_limits()
        self._methods: dict[str, Callable[[dict[str, Any]], Any]] = {
            name[3:].lower(): getattr(self, name) for name in dir(self) if name.startswith("_m_")
        }

    # ------------------------------------------------------------------ configuration
    def set_limits(
        self,
        enabled: bool | None = None,
        *,
        overall_per_second: int = 30,
        per_chat_per_second: int = 1,
        per_group_per_minute: int = 20,
    ) -> None:
        """Configure Telegram's send limits; ``enabled`` turns them on or off.

        They are rolling windows (see :mod:`sandbox.local_servers.bot_api_limits`): at most
        ``overall_per_second`` sends per bot token in any second, ``per_chat_per_second`` per
        private chat and ``per_group_per_minute`` per group (negative chat id). Setting them
        starts a fresh count, :attr:`send_windows`.
        """
        if enabled is not None:
            self.enforce_limits = enabled
        self.send_windows = SendWindows(
            SendLimits(
                overall=overall_per_second,
                per_chat=per_chat_per_second,
                per_group=per_group_per_minute,
            )
        )

    def block(self, chat_id: int) -> None:
        """The user of ``chat_id`` blocked the bot: calls to that chat answer 403."""
        self.blocked.add(chat_id)

    def unblock(self, chat_id: int) -> None:
        """Undo :meth:`block`."""
        self.blocked.discard(chat_id)

    def fail_next(
        self,
        method: str,
        status: int = 400,
        description: str = "Bad Request: injected failure",
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` (``"*"``: any method) with an error."""
        queue = self._failures.setdefault(method.lower(), collections.deque())
        queue.extend(ApiError(status, description, retry_after) for _ in range(times))

    def clear_failures(self, method: str = "*") -> None:
        """Drop the failures still queued by :meth:`fail_next` for ``method``."""
        self._failures.pop(method.lower(), None)

    def set_unavailable(self, unavailable: bool = True, mode: str = "502") -> None:
        """Make every call fail: ``mode="502"`` answers Bad Gateway, ``"reset"`` drops the
        connection without an answer."""
        self.unavailable = mode if unavailable else None

    # ------------------------------------------------------------------ observation
    def messages(self, chat_id: int) -> list[dict[str, Any]]:
        """Current state (after edits) of the bot's kept messages in ``chat_id``, oldest first."""
        return list(self._messages.get(chat_id, {}).values())

    def message(self, chat_id: int, message_id: int) -> dict[str, Any] | None:
        """One kept bot message, or None."""
        return self._messages.get(chat_id, {}).get(message_id)

    def get_commands(self, language_code: str = "", scope: str = "default") -> list[dict]:
        """Commands registered for ``scope`` (its type, or canonical JSON) and language."""
        return self.commands.get((scope, language_code), [])

    def documents(self, chat_id: int | None = None) -> list[UploadedFile]:
        """Uploaded files (documents and photos), optionally only those sent to ``chat_id``."""
        return [f for f in self.uploads if chat_id is None or f.chat_id == chat_id]

    # ------------------------------------------------------------------ simulated users
    def register_chat(
        self,
        chat_id: int,
        *,
        user_id: int | None = None,
        first_name: str = "Customer",
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "en",
    ) -> dict[str, Any]:
        """Create or update a private chat and its user; returns the user dict."""
        user: dict[str, Any] = {"id": user_id or chat_id, "is_bot": False, "first_name": first_name}
        chat: dict[str, Any] = {"id": chat_id, "type": "private", "first_name": first_name}
        for key, value in (("last_name", last_name), ("username", username)):
            if value:
                user[key] = chat[key] = value
        if language_code:
            user["language_code"] = language_code
        self.users[user["id"]] = user
        self.chats[chat_id] = chat
        return user

    def _message_id(self, chat_id: int) -> int:
        value = self._next_message_id.get(chat_id, 1)
        self._next_message_id[chat_id] = value + 1
        return value

    def _chat(self, chat_id: int) -> dict[str, Any]:
        chat = self.chats.get(chat_id)
        if chat is None:
            if self.strict_chats:
                raise bad_request("chat not found")
            self.register_chat(chat_id, first_name=f"User {chat_id}")
            chat = self.chats[chat_id]
        return chat

    def build_user_message(
        self, chat_id: int, text: str, *, user_id: int | None = None, **user: Any
    ) -> dict[str, Any]:
        """A message from the simulated user (with a ``bot_command`` entity for "/...")."""
        sender = self.register_chat(chat_id, user_id=user_id, **user)
        message: dict[str, Any] = {
            "message_id": self._message_id(chat_id),
            "from": sender,
            "chat": self.chats[chat_id],
            "date": int(time.time()),
            "text": text,
        }
        if text.startswith("/"):
            command = text.split(maxsplit=1)[0] if text.strip() else text
            message["entities"] = [
                {"type": "bot_command", "offset": 0, "length": utf16_len(command)}
            ]
        return message

    def build_callback(
        self, chat_id: int, message_id: int, data: str, *, user_id: int | None = None
    ) -> dict[str, Any]:
        """A callback query pressing a button of the bot's kept message ``message_id``."""
        message = self.message(chat_id, message_id)
        if message is None:
            raise LookupError(f"no kept bot message {message_id} in chat {chat_id}")
        query_id = str(next(self._ids) + 4_000_000_000_000)
        query = {
            "id": query_id,
            "from": self.users.get(user_id or chat_id)
            or self.register_chat(chat_id, user_id=user_id),
            "message": json.loads(json.dumps(message)),
            "chat_instance": str(-chat_id),
            "data": data,
        }
        self.callback_queries[query_id] = query
        self.callback_made_at[query_id] = self.clock()
        return query

    def age_callbacks(self, seconds: float) -> None:
        """Make every callback query so far ``seconds`` older (a tap handled late)."""
        for query_id in self.callback_made_at:
            self.callback_made_at[query_id] -= seconds

    def new_update(self, payload: dict[str, Any]) -> dict[str, Any] | None:
        """Number ``payload`` as an update; None if ``allowed_updates`` filters it out."""
        update = {"update_id": next(self._update_ids), **payload}
        if self.allowed_updates and not any(k in payload for k in self.allowed_updates):
            return None
        return update

    # ------------------------------------------------------------------ request entry point
    def precheck(self, method: str, params: dict[str, Any], token: str = "") -> None:
        """Failure injection, blocked chats and rate limits (per bot ``token``), before the
        method runs."""
        if self._failures:
            for key in (method, "*"):
                queue = self._failures.get(key)
                if queue:
                    error = queue.popleft()
                    if not queue:
                        del self._failures[key]
                    raise error
        chat_id = params.get("chat_id")
        if chat_id is not None and chat_id in self.blocked:
            raise ApiError(403, BLOCKED)
        if method.startswith("send") and method != "sendchataction":
            if not self.enforce_limits:  # counted all the same, for tests and benchmarks
                now = self.clock()
                self.send_windows.accepted.append(now)
                self.send_windows.attempted.append(now)
                return
            chat = chat_id if isinstance(chat_id, int) else None
            retry_after = self.send_windows.take(token, chat, self.clock())
            if retry_after:
                raise ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)

    def dispatch(self, method: str, params: dict[str, Any], files: dict[str, Any]) -> Any:
        """Run a synchronous method; raises :class:`ApiError` (404 for unknown methods)."""
        handler = self._methods.get(method)
        if handler is None:
            raise ApiError(404, "Not Found: method not found")
        if files:
            params = {**params, **files}
        return handler(params)
