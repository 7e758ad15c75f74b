"""In-memory workspace state behind the local Slack Web API server (`slack_api.py`).

Kept apart from the HTTP layer so the server module stays readable. Every write is O(1): messages
live in one dict per channel keyed by `ts` (insertion order is `ts` order, because `ts` only
grows), and thread replies are indexed per parent.
"""

from __future__ import annotations

import copy
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

BOT_USER_ID = "U0BOT"
BOT_ID = "B0BOT"
APP_ID = "A0MENTOR"
TEAM_ID = "T0LOCAL"
TEAM_NAME = "Mentorbot Local"


@dataclass
class Call:
    """One request the server answered: Web API method, upload or response_url post."""

    method: str
    params: dict[str, Any]
    time: float
    status: int = 200
    error: str | None = None
    response: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        """True when the call succeeded (HTTP 200 and `ok: true`)."""
        return self.status == 200 and self.error is None


@dataclass
class UploadedFile:
    """A file created by files.getUploadURLExternal, filled by the upload POST."""

    id: str
    name: str
    length: int
    title: str | None = None
    content: bytes | None = None
    channel: str | None = None
    thread_ts: str | None = None
    initial_comment: str | None = None
    completed: bool = False
    shared_ts: str | None = None
    """The ts of the message that shares it in its channel (files.completeUploadExternal)."""

    def to_api(self) -> dict[str, Any]:
        """The file object as Slack returns it in files.completeUploadExternal."""
        return {
            "id": self.id,
            "name": self.name,
            "title": self.title or self.name,
            "size": len(self.content or b""),
            "mimetype": "application/octet-stream",
            "user": BOT_USER_ID,
            "channels": [self.channel] if self.channel else [],
        }


@dataclass
class ResponsePost:
    """A POST received on a response_url (`/response/<id>`), as Bolt's `respond()` sends it."""

    id: str
    body: dict[str, Any]
    time: float
    channel: str | None = None
    message_ts: str | None = None
    user: str | None = None


@dataclass
class SlackUser:
    """A workspace member answered by users.info."""

    id: str
    real_name: str
    first_name: str | None = None
    name: str | None = None
    tz: str = "Europe/Amsterdam"
    is_bot: bool = False

    def to_api(self) -> dict[str, Any]:
        """The user object in Slack's users.info shape."""
        first = self.first_name or self.real_name.split(" ")[0]
        return {
            "id": self.id,
            "team_id": TEAM_ID,
            "name": self.name or first.lower(),
            "real_name": self.real_name,
            "tz": self.tz,
            "tz_label": self.tz,
            "tz_offset": 0,
            "is_bot": self.is_bot,
            "deleted": False,
            "profile": {
                "real_name": self.real_name,
                "display_name": self.name or first,
                "first_name": first,
                "last_name": self.real_name.partition(" ")[2],
            },
        }


@dataclass
class WorkspaceState:
    """Messages, views, files, users and user groups of the local workspace."""

    clock: Callable[[], float] = time.time
    users: dict[str, SlackUser] = field(default_factory=dict)
    usergroups: list[dict[str, Any]] = field(default_factory=list)
    channels: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    replies: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    ephemerals: list[dict[str, Any]] = field(default_factory=list)
    views: dict[str, dict[str, Any]] = field(default_factory=dict)
    opened_views: list[dict[str, Any]] = field(default_factory=list)
    files: dict[str, UploadedFile] = field(default_factory=dict)
    response_posts: list[ResponsePost] = field(default_factory=list)
    # response_url id -> (channel, message ts, user): Slack ties each URL to the person whose
    # action or command made it; an ephemeral response is shown to that person only.
    response_urls: dict[str, tuple[str | None, str | None, str | None]] = field(
        default_factory=dict
    )
    _last_ts_us: int = 0
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))

    def new_id(self, prefix: str) -> str:
        """A fresh Slack-looking id such as `V00000007`."""
        return f"{prefix}{next(self._ids):08d}"

    def new_ts(self) -> str:
        """A message ts like `1700000000.000100`: unique, strictly increasing, clock-based."""
        now_us = int(self.clock() * 1_000_000)
        self._last_ts_us = max(now_us, self._last_ts_us + 1)
        sec, us = divmod(self._last_ts_us, 1_000_000)
        return f"{sec}.{us:06d}"

    # -- messages -----------------------------------------------------------------------------

    def get_message(self, channel: str, ts: str) -> dict[str, Any] | None:
        """The stored message (live object, not a copy) or None."""
        return self.channels.get(channel, {}).get(ts)

    def post_message(self, channel: str, fields: dict[str, Any], user: str = BOT_USER_ID) -> dict:
        """Repositories a new message (top level or thread reply) and return it."""
        ts = self.new_ts()
        message: dict[str, Any] = {"type": "message", "user": user, "ts": ts, "team": TEAM_ID}
        if user == BOT_USER_ID:
            message.update(bot_id=BOT_ID, app_id=APP_ID)
        message.update({k: v for k, v in fields.items() if v is not None})
        message.setdefault("text", "")
        thread_ts = message.get("thread_ts")
        if thread_ts:
            self.replies.setdefault((channel, thread_ts), []).append(ts)
            parent = self.get_message(channel, thread_ts)
            if parent is not None:
                parent["thread_ts"] = thread_ts
                parent["reply_count"] = parent.get("reply_count", 0) + 1
                users = parent.setdefault("reply_users", [])
                if user not in users:
                    users.append(user)
                parent["latest_reply"] = ts
        self.channels.setdefault(channel, {})[ts] = message
        return message

    def update_message(self, channel: str, ts: str, fields: dict[str, Any]) -> dict | None:
        """Apply chat.update fields to a stored message; None when it does not exist."""
        message = self.get_message(channel, ts)
        if message is None:
            return None
        for key, value in fields.items():
            if value is not None:
                message[key] = value
        message["edited"] = {"user": BOT_USER_ID, "ts": self.new_ts()}
        return message

    def delete_message(self, channel: str, ts: str) -> bool:
        """Remove a message (response_url `delete_original`)."""
        return self.channels.get(channel, {}).pop(ts, None) is not None

    def messages(self, channel: str) -> list[dict[str, Any]]:
        """Copies of all messages in a channel, top level and replies, in ts order."""
        return copy.deepcopy(list(self.channels.get(channel, {}).values()))

    def top_level(self, channel: str) -> list[dict[str, Any]]:
        """Messages of a channel that are not thread replies, oldest first (live objects)."""
        return [
            m
            for m in self.channels.get(channel, {}).values()
            if m.get("thread_ts") in (None, m["ts"])
        ]

    def thread(self, channel: str, ts: str) -> list[dict[str, Any]]:
        """The parent (if stored) followed by its replies, as live objects."""
        stored = self.channels.get(channel, {})
        out = [stored[ts]] if ts in stored else []
        out.extend(stored[r] for r in self.replies.get((channel, ts), []) if r in stored)
        return out
