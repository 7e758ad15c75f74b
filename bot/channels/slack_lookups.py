"""Finding what an interrupted attempt posted to Slack: a case's card in the channel (by its
message metadata) and a customer's file in a case's thread (by name and size, shared by the
bot), so that the desk outbox does not post either twice."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

CARD_EVENT = "mentorbot_case_card"  # Slack message metadata marking a case card
PAGE = 200


class ThreadLookups:
    """``find_card`` and ``find_file`` for :class:`~bot.channels.slack_adapter.SlackDesk`,
    over its ``_call`` (conversations.history and conversations.replies, 200 a page)."""

    _call: Callable[..., Awaitable[dict[str, Any]]]
    _me: str | None = None

    async def find_card(self, channel: str, case_id: int, recent: int = 1000) -> str | None:
        """The ts of the case's card among the channel's ``recent`` newest top-level messages
        (conversations.history with metadata), or None."""
        async for message in self._pages(
            recent, "conversations.history", channel=channel, include_all_metadata=True
        ):
            meta = message.get("metadata") or {}
            payload = meta.get("event_payload") or {}
            if meta.get("event_type") == CARD_EVENT and payload.get("case_id") == case_id:
                return str(message.get("ts"))
        return None

    async def find_file(
        self, channel: str, thread_ts: str, filename: str, size: int, recent: int = 1000
    ) -> str | None:
        """A file of that name and size that the bot itself shared in the thread, among its
        first ``recent`` replies (conversations.replies answers oldest first), or None."""
        me = await self._bot_user()
        async for message in self._pages(recent, "conversations.replies", channel=channel,
                                         ts=thread_ts):  # fmt: skip
            for file in message.get("files") or []:
                mine = file.get("user") in (me, None) and message.get("user") in (me, None)
                if mine and file.get("name") == filename and file.get("size") == size:
                    return str(file.get("id"))
        return None

    async def _bot_user(self) -> str | None:
        """The bot's own user id (auth.test, asked once)."""
        if self._me is None:
            self._me = str((await self._call("auth.test")).get("user_id") or "") or None
        return self._me

    async def _pages(self, recent: int, method: str, **args: Any) -> AsyncIterator[dict[str, Any]]:
        """The messages of up to ``recent // 200`` pages of ``method``."""
        cursor = None
        for _ in range(max(1, recent // PAGE)):
            data = await self._call(method, limit=PAGE, **args,
                                    **({"cursor": cursor} if cursor else {}))  # fmt: skip
            for message in data.get("messages") or []:
                yield message
            cursor = (data.get("response_metadata") or {}).get("next_cursor")
            if not cursor:
                return
