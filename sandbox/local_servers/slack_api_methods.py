"""The Web API methods of the local Slack server (`slack_api.py`), as a mixin.

Each handler takes the decoded parameters and returns the fields Slack adds to `{"ok": true}`, or
raises :class:`SlackError` for `{"ok": false, "error": ...}`. The workspace itself lives in
:class:`~sandbox.local_servers.slack_state.WorkspaceState`.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from typing import Any

from sandbox.local_servers.slack_state import (
    APP_ID,
    BOT_ID,
    BOT_USER_ID,
    TEAM_ID,
    TEAM_NAME,
    WorkspaceState,
)

__all__ = ["Handler", "SlackApiMethods", "SlackError"]

Handler = Callable[[dict[str, Any]], dict[str, Any]]


class SlackError(Exception):
    """Raised by a method handler to answer `{"ok": false, "error": <error>}`."""

    def __init__(self, error: str) -> None:
        super().__init__(error)
        self.error = error


def _page(items: list[Any], params: Mapping[str, Any], default_limit: int) -> tuple[list, str]:
    """Cursor pagination: the cursor is the offset as a string."""
    limit = int(params.get("limit") or default_limit) or default_limit
    start = int(params.get("cursor") or 0)
    end = start + limit
    return items[start:end], (str(end) if end < len(items) else "")


def _messages_page(
    messages: list[dict[str, Any]], params: Mapping[str, Any], default_limit: int
) -> dict[str, Any]:
    """One page of messages as conversations.history and .replies answer it."""
    page, cursor = _page(messages, params, default_limit)
    return {
        "messages": [dict(m) for m in page],
        "has_more": bool(cursor),
        "response_metadata": {"next_cursor": cursor},
    }


class SlackApiMethods:
    """Mixin with the Web API method handlers; :class:`LocalSlackApi` provides the state."""

    state: WorkspaceState
    root_url: str
    _channel_ids: dict[str, str] | None
    _channel_by_name: dict[str, str]

    def _method_handlers(self) -> dict[str, Handler]:
        """The handler of each Web API method, by method name."""
        return {
            "api.test": lambda p: {"args": p},
            "auth.test": self._auth_test,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.delete": self._chat_delete,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.getPermalink": self._chat_get_permalink,
            "views.open": self._views_open,
            "views.push": self._views_open,
            "views.update": self._views_update,
            "users.info": self._users_info,
            "conversations.replies": self._conversations_replies,
            "conversations.history": self._conversations_history,
            "reactions.add": self._reactions_add,
            "usergroups.list": self._usergroups_list,
        }

    def _channel_key(self, channel: str) -> str:
        return self._channel_by_name.get(channel.lstrip("#"), channel)

    def _channel(self, params: Mapping[str, Any], key: str = "channel") -> str:
        channel = params.get(key)
        if not channel:
            raise SlackError("channel_not_found")
        channel = self._channel_key(str(channel))
        if self._channel_ids is not None and channel not in self._channel_ids:
            raise SlackError("channel_not_found")
        return channel

    def _auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": self.root_url,
            "team": TEAM_NAME,
            "user": "mentorbot",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "is_enterprise_install": False,
        }

    @staticmethod
    def _content(params: Mapping[str, Any]) -> dict[str, Any]:
        return {k: params.get(k) for k in ("text", "blocks", "attachments", "metadata")}

    def _chat_post_message(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(params)
        content = self._content(params)
        if not (content["text"] or content["blocks"] or content["attachments"]):
            raise SlackError("no_text")
        thread_ts = params.get("thread_ts") or None
        message = self.state.post_message(channel, {**content, "thread_ts": thread_ts})
        return {"channel": channel, "ts": message["ts"], "message": dict(message)}

    def _chat_update(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(params)
        ts = str(params.get("ts") or "")
        message = self.state.update_message(channel, ts, self._content(params))
        if message is None:
            raise SlackError("message_not_found")
        return {"channel": channel, "ts": ts, "text": message["text"], "message": dict(message)}

    def _chat_delete(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(params)
        if not self.state.delete_message(channel, str(params.get("ts") or "")):
            raise SlackError("message_not_found")
        return {"channel": channel, "ts": params["ts"]}

    def _chat_post_ephemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(params)
        user = params.get("user")
        if not user:
            raise SlackError("user_not_in_channel")
        ts = self.state.new_ts()
        self.state.ephemerals.append(
            {
                "channel": channel,
                "user": user,
                "ts": ts,
                "thread_ts": params.get("thread_ts") or None,
                **self._content(params),
            }
        )
        return {"message_ts": ts}

    def _chat_get_permalink(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(params)
        ts = str(params.get("message_ts") or "")
        if self.state.get_message(channel, ts) is None:
            raise SlackError("message_not_found")
        link = f"{self.root_url}archives/{channel}/p{ts.replace('.', '')}"
        return {"channel": channel, "permalink": link}

    def _build_view(self, view: Any, view_id: str, previous: dict | None) -> dict[str, Any]:
        if not isinstance(view, dict) or "type" not in view:
            raise SlackError("invalid_arguments")
        built = {
            "id": view_id,
            "team_id": TEAM_ID,
            "type": view["type"],
            "title": view.get("title"),
            "submit": view.get("submit"),
            "close": view.get("close"),
            "blocks": view.get("blocks", []),
            "private_metadata": view.get("private_metadata", ""),
            "callback_id": view.get("callback_id", ""),
            "external_id": view.get("external_id", ""),
            "state": {"values": {}},
            "hash": secrets.token_hex(6),
            "clear_on_close": view.get("clear_on_close", False),
            "notify_on_close": view.get("notify_on_close", False),
            "root_view_id": (previous or {}).get("root_view_id", view_id),
            "previous_view_id": None,
            "app_id": APP_ID,
            "bot_id": BOT_ID,
        }
        return built

    def _views_open(self, params: dict[str, Any]) -> dict[str, Any]:
        if not (params.get("trigger_id") or params.get("interactivity_pointer")):
            raise SlackError("invalid_arguments")
        view = self._build_view(params.get("view"), self.state.new_id("V"), None)
        view["trigger_id"] = params.get("trigger_id")
        self.state.views[view["id"]] = view
        self.state.opened_views.append(view)
        return {"view": view}

    def _views_update(self, params: dict[str, Any]) -> dict[str, Any]:
        current: dict[str, Any] | None = None
        if params.get("view_id"):
            current = self.state.views.get(params["view_id"])
        elif params.get("external_id"):
            ext = params["external_id"]
            current = next((v for v in self.state.views.values() if v["external_id"] == ext), None)
        if current is None:
            raise SlackError("not_found")
        if params.get("hash") and params["hash"] != current["hash"]:
            raise SlackError("hash_conflict")
        view = self._build_view(params.get("view"), current["id"], current)
        self.state.views[view["id"]] = view
        return {"view": view}

    def _users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        user = self.state.users.get(str(params.get("user") or ""))
        if user is None:
            raise SlackError("user_not_found")
        return {"user": user.to_api()}

    def _conversations_replies(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(params)
        thread = self.state.thread(channel, str(params.get("ts") or ""))
        if not thread:
            raise SlackError("thread_not_found")
        return _messages_page(thread, params, 1000)

    def _conversations_history(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(params)
        oldest = float(params.get("oldest") or 0)
        latest = float(params.get("latest") or "inf")
        found = [m for m in self.state.top_level(channel) if oldest <= float(m["ts"]) <= latest][
            ::-1
        ]
        return _messages_page(found, params, 100)

    def _reactions_add(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = self._channel(params)
        message = self.state.get_message(channel, str(params.get("timestamp") or ""))
        if message is None:
            raise SlackError("message_not_found")
        name = str(params.get("name") or "")
        if not name:
            raise SlackError("invalid_name")
        reactions = message.setdefault("reactions", [])
        reaction = next((r for r in reactions if r["name"] == name), None)
        if reaction is None:
            reactions.append({"name": name, "users": [BOT_USER_ID], "count": 1})
        elif BOT_USER_ID in reaction["users"]:
            raise SlackError("already_reacted")
        else:
            reaction["users"].append(BOT_USER_ID)
            reaction["count"] += 1
        return {}

    def _usergroups_list(self, params: dict[str, Any]) -> dict[str, Any]:
        include_users = str(params.get("include_users", "")).lower() in ("1", "true")
        groups = []
        for group in self.state.usergroups:
            shown = {"team_id": TEAM_ID, **group}
            if not include_users:
                shown.pop("users", None)
            groups.append(shown)
        return {"usergroups": groups}
