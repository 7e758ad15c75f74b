"""Small value types of the local Bot API server: errors, recorded calls, stats, files."""

from __future__ import annotations

import collections
import json
from dataclasses import dataclass, field
from typing import Any

JSON_PARAMS = frozenset(
    {
        "reply_markup", "entities", "caption_entities", "commands", "scope", "allowed_updates",
        "link_preview_options", "reply_parameters", "media", "results",
    }
)  # fmt: skip
INT_PARAMS = frozenset(
    {
        "chat_id", "message_id", "offset", "limit", "timeout", "user_id", "cache_time",
        "reply_to_message_id", "message_thread_id", "max_connections",
    }
)  # fmt: skip
BLOCKED = "Forbidden: bot was blocked by the user"
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are"
    " exactly the same as a content and reply markup of the current message"
)


class ApiError(Exception):
    """A Bot API error answer: HTTP status, Telegram description, optional ``retry_after``."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def body(self) -> dict[str, Any]:
        """The JSON body Telegram answers with."""
        out: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.retry_after is not None:
            out["parameters"] = {"retry_after": self.retry_after}
        return out


def bad_request(what: str) -> ApiError:
    """A ``400 Bad Request: <what>`` error."""
    return ApiError(400, f"Bad Request: {what}")


@dataclass(slots=True)
class Call:
    """One request the bot made: method, parsed params, when, and what it was answered."""

    seq: int
    method: str
    params: dict[str, Any]
    time: float
    status: int = 200
    result: Any = None
    error: str | None = None

    @property
    def chat_id(self) -> int | None:
        """The ``chat_id`` parameter as an int, if any."""
        value = self.params.get("chat_id")
        return value if isinstance(value, int) else None


@dataclass
class Stats:
    """Counters: successful sends, 429 rejections, failures and calls per method."""

    sent: int = 0
    rejected_429: int = 0
    failed: int = 0
    by_method: collections.Counter[str] = field(default_factory=collections.Counter)


@dataclass
class UploadedFile:
    """A file the bot uploaded (or referenced by URL), kept with its bytes."""

    file_id: str
    file_unique_id: str
    kind: str
    filename: str | None
    mime_type: str | None
    data: bytes
    chat_id: int | None = None
    message_id: int | None = None

    @property
    def size(self) -> int:
        """Size in bytes."""
        return len(self.data)

    @property
    def file_path(self) -> str:
        """Path under the server's ``base_file_url``."""
        return f"{self.kind}s/{self.file_unique_id}_{self.filename or 'file'}"


def _decode(key: str, value: Any) -> Any:
    if isinstance(value, str):
        if key in JSON_PARAMS:
            try:
                return json.loads(value)
            except ValueError:
                return value
        if key in INT_PARAMS:
            try:
                return int(value)
            except ValueError:
                return value
        if value in ("true", "false"):
            return value == "true"
    return value


def decode_params(raw: Any) -> dict[str, Any]:
    """Normalise form or JSON parameters: JSON-valued fields decoded, ids as ints, booleans."""
    return {key: _decode(key, value) for key, value in raw.items()}
