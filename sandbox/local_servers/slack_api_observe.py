"""Observation helpers of the local Slack server (`slack_api.py`): what tests and demos read.

The call log (`calls`, `wait_for`), the workspace as Slack would show it (messages, threads,
views, files, response_url posts) and the few ways to act as a person (`post_as_user`, ...).
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections import Counter
from collections.abc import Callable
from typing import Any

from sandbox.local_servers.slack_state import (
    Call,
    ResponsePost,
    SlackUser,
    UploadedFile,
    WorkspaceState,
)

__all__ = ["Match", "SlackApiObservation"]

logger = logging.getLogger("mentorbot.local_slack")

Match = str | Callable[[Call], bool]


class SlackApiObservation:
    """Mixin with the read side of the server: the call log and the workspace's current state."""

    state: WorkspaceState
    calls: list[Call]
    stats: Counter[str]
    clock: Callable[[], float]
    log_calls: bool
    root_url: str
    _new_call: asyncio.Event
    _channel_key: Callable[[str], str]

    def messages(self, channel: str) -> list[dict[str, Any]]:
        """Current state (after updates) of all messages and replies in a channel, ts order."""
        return self.state.messages(self._channel_key(channel))

    def top_level(self, channel: str) -> list[dict[str, Any]]:
        """Copies of the channel's messages that are not thread replies, oldest first."""
        return [dict(m) for m in self.state.top_level(self._channel_key(channel))]

    def thread(self, channel: str, ts: str) -> list[dict[str, Any]]:
        """Copies of a thread's parent and replies, oldest first."""
        return [dict(m) for m in self.state.thread(self._channel_key(channel), ts)]

    def message(self, channel: str, ts: str) -> dict[str, Any] | None:
        """A copy of one stored message, or None."""
        found = self.state.get_message(self._channel_key(channel), ts)
        return dict(found) if found is not None else None

    @property
    def ephemerals(self) -> list[dict[str, Any]]:
        """Messages sent with chat.postEphemeral (channel, user, text, blocks)."""
        return self.state.ephemerals

    @property
    def views(self) -> dict[str, dict[str, Any]]:
        """Current views by id (after views.update)."""
        return self.state.views

    @property
    def opened_views(self) -> list[dict[str, Any]]:
        """Views as opened by views.open / views.push, in order."""
        return self.state.opened_views

    @property
    def files(self) -> dict[str, UploadedFile]:
        """Files by id (name, title, content bytes, channel)."""
        return self.state.files

    @property
    def response_posts(self) -> list[ResponsePost]:
        """Bodies POSTed to response URLs, in order."""
        return self.state.response_posts

    def calls_to(self, method: str) -> list[Call]:
        """All calls of one method, including failed ones."""
        return [c for c in self.calls if c.method == method]

    def add_user(self, user: SlackUser) -> None:
        """Add or replace a member answered by users.info."""
        self.state.users[user.id] = user

    def post_as_user(
        self, channel: str, text: str, user: str = "U0ANNA", thread_ts: str | None = None
    ) -> dict[str, Any]:
        """Repositories a message a person wrote in Slack (no HTTP call, not in `calls`).

        Returns a copy with its `ts`; send the matching Events API `message` event with
        `slack_signing.message_event(..., ts=msg["ts"], thread_ts=...)`.
        """
        fields = {"text": text, "thread_ts": thread_ts}
        return dict(self.state.post_message(self._channel_key(channel), fields, user=user))

    def new_response_url(
        self, channel: str | None = None, message_ts: str | None = None, user: str | None = None
    ) -> str:
        """A response_url on this server for `user`'s action or command in `channel`:
        `replace_original` posts to it update `message_ts`, `in_channel` ones post to the
        channel, and ephemeral ones (Slack's default) are shown to `user` alone."""
        rid = secrets.token_hex(8)
        self.state.response_urls[rid] = (channel, message_ts, user)
        return f"{self.root_url}response/{rid}"

    async def wait_for(
        self,
        match: Match,
        timeout: float = 5.0,  # noqa: ASYNC109 - a test helper, mirrors asyncio.wait_for
        *,
        count: int = 1,
        since: int = 0,
    ) -> Call:
        """Wait until `count` calls match and return the last of them.

        `match` is a method name (matches successful calls only) or a predicate over `Call`.
        `since` skips the first calls of the log (pass `len(server.calls)` to wait for new ones).
        Raises TimeoutError listing the methods seen.
        """
        if isinstance(match, str):
            name = match

            def pred(c: Call) -> bool:
                return c.method == name and c.ok
        else:
            pred = match
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        index, found = since, 0
        while True:
            while index < len(self.calls):
                call = self.calls[index]
                index += 1
                if pred(call):
                    found += 1
                    if found >= count:
                        return call
            remaining = deadline - loop.time()
            if remaining <= 0:
                seen = Counter(c.method for c in self.calls[since:])
                raise TimeoutError(f"no {count} call(s) matching {match!r} in {timeout}s; {seen}")
            event = self._new_call
            try:
                await asyncio.wait_for(event.wait(), remaining)
            except TimeoutError:
                pass

    def _record(self, call: Call) -> None:
        self.calls.append(call)
        self.stats["requests"] += 1
        self.stats["ok" if call.ok else "errors"] += 1
        if self.log_calls:
            outcome = "ok" if call.ok else f"{call.status} {call.error}"
            shown = {k: v for k, v in call.params.items() if k not in ("blocks", "view")}
            logger.info("%s %s %s", call.method, outcome, json.dumps(shown, default=str)[:300])
        self._new_call.set()
        self._new_call = asyncio.Event()
