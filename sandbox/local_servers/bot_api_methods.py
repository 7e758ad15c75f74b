"""The Bot API methods of the local server, as plain functions from params to a result.

Each ``_m_<methodName>`` takes the decoded parameters and returns the ``result`` Telegram would
answer, or raises :class:`~sandbox.local_servers.bot_api_types.ApiError`.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from sandbox.local_servers.bot_api_format import EntityParseError, parse_html, utf16_len
from sandbox.local_servers.bot_api_types import NOT_MODIFIED, Stats, UploadedFile, bad_request


class BotApiMethods:
    """Mixin with the method implementations; :class:`BotApiState` provides the state."""

    bot_user: dict[str, Any]
    history_per_chat: int
    stats: Stats
    chats: dict[int, dict[str, Any]]
    _messages: dict[int, dict[int, dict[str, Any]]]
    reply_keyboards: dict[int, dict[str, Any] | None]
    files: dict[str, UploadedFile]
    uploads: list[UploadedFile]
    commands: dict[tuple[str, str], list[dict[str, Any]]]
    callback_queries: dict[str, dict[str, Any]]
    answered_callbacks: dict[str, dict[str, Any]]
    callback_made_at: dict[str, float]
    callback_query_ttl: float
    clock: Callable[[], float]
    chat_actions: list[tuple[int, str]]
    webhook: dict[str, Any]
    allowed_updates: list[str] | None
    pending: Any
    _ids: Any
    _files_by_unique: dict[str, UploadedFile]

    def _message_id(self, chat_id: int) -> int:
        raise NotImplementedError

    def _chat(self, chat_id: int) -> dict[str, Any]:
        raise NotImplementedError

    def message(self, chat_id: int, message_id: int) -> dict[str, Any] | None:
        """One kept bot message, or None."""
        raise NotImplementedError

    # ------------------------------------------------------------------ helpers for methods
    def _require_chat_id(self, params: dict[str, Any]) -> int:
        chat_id = params.get("chat_id")
        if chat_id is None or chat_id == "":
            raise bad_request("chat_id is empty")
        if not isinstance(chat_id, int):
            raise bad_request("chat not found")
        return chat_id

    def _formatted(self, params: dict[str, Any], key: str) -> tuple[str, list[dict] | None]:
        text = str(params.get(key) or "")
        entities = params.get("entities" if key == "text" else "caption_entities")
        mode = str(params.get("parse_mode") or "").lower()
        if mode == "html" and not entities:
            try:
                text, entities = parse_html(text)
            except EntityParseError as exc:
                raise bad_request(f"can't parse entities: {exc}") from None
        return text, entities or None

    def _store_message(
        self, chat_id: int, params: dict[str, Any], extra: dict[str, Any]
    ) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": self._message_id(chat_id),
            "from": self.bot_user,
            "chat": self._chat(chat_id),
            "date": int(time.time()),
            **extra,
        }
        markup = params.get("reply_markup")
        if isinstance(markup, str) and markup:
            raise bad_request("can't parse reply keyboard markup JSON object")
        if isinstance(markup, dict):
            if "inline_keyboard" in markup:
                message["reply_markup"] = markup
            elif "keyboard" in markup:
                self.reply_keyboards[chat_id] = markup
            elif markup.get("remove_keyboard"):
                self.reply_keyboards[chat_id] = None
        reply_to = params.get("reply_to_message_id") or (params.get("reply_parameters") or {}).get(
            "message_id"
        )
        if reply_to:
            message["reply_to_message"] = {
                "message_id": reply_to,
                "chat": message["chat"],
                "date": 0,
            }
        if self.history_per_chat > 0:
            history = self._messages.setdefault(chat_id, {})
            history[message["message_id"]] = message
            if len(history) > self.history_per_chat:
                del history[next(iter(history))]
        self.stats.sent += 1
        return message

    def _edit_target(self, params: dict[str, Any]) -> dict[str, Any]:
        if params.get("inline_message_id"):
            raise bad_request("inline messages are not supported by the local server")
        chat_id = self._require_chat_id(params)
        message = self.message(chat_id, params.get("message_id") or 0)
        if message is None:
            raise bad_request("message to edit not found")
        return message

    def _store_file(self, params: dict[str, Any], key: str, kind: str) -> UploadedFile:
        value = params.get(key)
        if value is None or value == "":
            raise bad_request(f"there is no {kind} in the request")
        if isinstance(value, str):
            known = self.files.get(value)
            if known is not None:
                return known
            if not value.startswith(("http://", "https://")):
                raise bad_request("wrong file identifier/HTTP URL specified")
            filename, mime, data = value.rsplit("/", 1)[-1], None, b""
        else:  # an aiohttp FileField
            filename, mime, data = value.filename, value.content_type, value.file.read()
        n = next(self._ids)
        prefix = "AgAC" if kind == "photo" else "BQAC"
        upload = UploadedFile(f"{prefix}{n:010d}", f"AQAD{n:06d}", kind, filename, mime, data)
        self.files[upload.file_id] = upload
        self._files_by_unique[upload.file_unique_id] = upload
        self.uploads.append(upload)
        return upload

    def _send_file(self, params: dict[str, Any], key: str) -> dict[str, Any]:
        chat_id = self._require_chat_id(params)
        self._chat(chat_id)
        upload = self._store_file(params, key, key)
        base = {"file_id": upload.file_id, "file_unique_id": upload.file_unique_id}
        if upload.data:
            base["file_size"] = upload.size
        if key == "photo":
            width, height = _png_size(upload.data)
            extra: dict[str, Any] = {"photo": [{**base, "width": width, "height": height}]}
        else:
            extra = {"document": {**base, "file_name": upload.filename or "file"}}
            if upload.mime_type:
                extra["document"]["mime_type"] = upload.mime_type
        caption, entities = self._formatted(params, "caption")
        if caption:
            extra["caption"] = caption
        if entities:
            extra["caption_entities"] = entities
        message = self._store_message(chat_id, params, extra)
        upload.chat_id, upload.message_id = chat_id, message["message_id"]
        return message

    # ------------------------------------------------------------------ methods
    def _m_getMe(self, params: dict[str, Any]) -> Any:
        return self.bot_user

    def _m_logOut(self, params: dict[str, Any]) -> Any:
        return True

    def _m_close(self, params: dict[str, Any]) -> Any:
        return True

    def _m_setWebhook(self, params: dict[str, Any]) -> Any:
        url = str(params.get("url") or "")
        if url and not url.startswith(("http://", "https://")):
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        if params.get("drop_pending_updates"):
            self.pending.clear()
        self.webhook = {
            "url": url,
            "secret_token": params.get("secret_token"),
            "max_connections": params.get("max_connections", 40),
        }
        self.allowed_updates = params.get("allowed_updates") or self.allowed_updates
        return True

    def _m_deleteWebhook(self, params: dict[str, Any]) -> Any:
        if params.get("drop_pending_updates"):
            self.pending.clear()
        self.webhook = {"url": ""}
        return True

    def _m_getWebhookInfo(self, params: dict[str, Any]) -> Any:
        info = {
            "url": self.webhook["url"],
            "has_custom_certificate": False,
            "pending_update_count": len(self.pending),
        }
        if self.webhook["url"]:
            info["max_connections"] = self.webhook.get("max_connections", 40)
        return info

    def _m_sendMessage(self, params: dict[str, Any]) -> Any:
        chat_id = self._require_chat_id(params)
        text, entities = self._formatted(params, "text")
        if not text.strip():
            raise bad_request("message text is empty")
        if utf16_len(text) > 4096:
            raise bad_request("message is too long")
        extra: dict[str, Any] = {"text": text}
        if entities:
            extra["entities"] = entities
        return self._store_message(chat_id, params, extra)

    def _m_sendDocument(self, params: dict[str, Any]) -> Any:
        return self._send_file(params, "document")

    def _m_sendPhoto(self, params: dict[str, Any]) -> Any:
        return self._send_file(params, "photo")

    def _m_sendChatAction(self, params: dict[str, Any]) -> Any:
        chat_id = self._require_chat_id(params)
        self._chat(chat_id)
        self.chat_actions.append((chat_id, str(params.get("action"))))
        return True

    def _m_editMessageText(self, params: dict[str, Any]) -> Any:
        message = self._edit_target(params)
        text, entities = self._formatted(params, "text")
        if not text.strip():
            raise bad_request("message text is empty")
        markup = params.get("reply_markup")
        markup = markup if isinstance(markup, dict) and "inline_keyboard" in markup else None
        if (
            text == message.get("text")
            and entities == message.get("entities")
            and markup == message.get("reply_markup")
        ):
            raise bad_request(NOT_MODIFIED)
        message["text"] = text
        message.pop("entities", None)
        if entities:
            message["entities"] = entities
        self._set_markup(message, markup)
        return message

    def _m_editMessageReplyMarkup(self, params: dict[str, Any]) -> Any:
        message = self._edit_target(params)
        markup = params.get("reply_markup")
        markup = markup if isinstance(markup, dict) and markup.get("inline_keyboard") else None
        if markup == message.get("reply_markup"):
            raise bad_request(NOT_MODIFIED)
        self._set_markup(message, markup)
        return message

    @staticmethod
    def _set_markup(message: dict[str, Any], markup: dict[str, Any] | None) -> None:
        message["edit_date"] = int(time.time())
        if markup:
            message["reply_markup"] = markup
        else:
            message.pop("reply_markup", None)

    def _m_answerCallbackQuery(self, params: dict[str, Any]) -> Any:
        query_id = str(params.get("callback_query_id") or "")
        made = self.callback_made_at.get(query_id)
        too_old = made is not None and self.clock() - made > self.callback_query_ttl
        if query_id not in self.callback_queries or query_id in self.answered_callbacks or too_old:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        self.answered_callbacks[query_id] = params
        return True

    @staticmethod
    def _commands_key(params: dict[str, Any]) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        scope_key = scope["type"] if len(scope) == 1 else json.dumps(scope, sort_keys=True)
        return scope_key, str(params.get("language_code") or "")

    def _m_setMyCommands(self, params: dict[str, Any]) -> Any:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise bad_request("can't parse commands JSON object")
        for command in commands:
            name = str(command.get("command", ""))
            if (
                not (1 <= len(name) <= 32)
                or not name.replace("_", "").isalnum()
                or name.lower() != name
            ):
                raise bad_request("BOT_COMMAND_INVALID")
        self.commands[self._commands_key(params)] = commands
        return True

    def _m_getMyCommands(self, params: dict[str, Any]) -> Any:
        return self.commands.get(self._commands_key(params), [])

    def _m_deleteMyCommands(self, params: dict[str, Any]) -> Any:
        self.commands.pop(self._commands_key(params), None)
        return True


def _png_size(data: bytes) -> tuple[int, int]:
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    return 0, 0
