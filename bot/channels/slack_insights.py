"""Managers' insights in Slack: the ``/mentor`` slash command, ``@Mentorbot stats 30d``
mentions, and the digest post to the manager channel.

A thin adapter: Slack payloads become command text and a :class:`Requester`; the answer
(text and an optional PNG chart) goes back with ``respond``/``chat.postMessage`` and the
current file upload API (``files_upload_v2``: getUploadURLExternal, upload, completeUploadExternal).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from handlers.insights.messages import InsightReply, Requester

log = logging.getLogger(__name__)
Answer = Callable[[str, Requester], Awaitable[InsightReply]]
_MENTION = re.compile(r"<@[A-Z0-9]+(?:\|[^>]*)?>")


class UsergroupMembers:
    """Who is in a Slack user group (by id or handle), cached for ``ttl`` seconds."""

    def __init__(self, client: AsyncWebClient, ttl: float = 300.0) -> None:
        self.client = client
        self.ttl = ttl
        self._cache: dict[str, tuple[float, frozenset[str]]] = {}

    async def members(self, group: str) -> frozenset[str]:
        """The user ids in ``group`` (an id like S0123 or a handle like support-leads)."""
        now = time.monotonic()
        cached = self._cache.get(group)
        if cached and cached[0] > now:
            return cached[1]
        response = await self.client.usergroups_list(include_users=True)
        found: frozenset[str] = frozenset()
        for g in response.get("usergroups", []):
            if group in (g.get("id"), g.get("handle"), "@" + str(g.get("handle"))):
                found = frozenset(g.get("users") or ())
                break
        self._cache[group] = (now + self.ttl, found)
        return found

    def checker(self, user_id: str) -> Callable[[str], Awaitable[bool]]:
        """A ``Requester.member_of`` for one user."""

        async def member_of(group: str) -> bool:
            return user_id in await self.members(group)

        return member_of


def mention_text(text: str) -> str:
    """The command in a mention: ``<@U0BOT> stats 30d`` -> ``stats 30d``."""
    return " ".join(_MENTION.sub(" ", text).split())


async def upload_chart(
    client: AsyncWebClient, channel: str, reply: InsightReply, thread_ts: str | None = None
) -> None:
    """Upload the reply's chart to a channel (or thread) with files_upload_v2."""
    if not reply.chart_png:
        return
    await client.files_upload_v2(
        channel=channel,
        file=reply.chart_png,
        filename=reply.chart_name,
        title="NPS per week with its 95% interval",
        thread_ts=thread_ts,
    )


PRIVATE_NOTE = (
    "_Only you can see this: it quotes customers. Ask in the managers' channel to share it._"
)


def _shared_place(channel_id: str, channel_name: str, manager_channel: str | None) -> bool:
    """Whether a channel is the managers' own (by id, or by name as the config may give it)."""
    if not manager_channel:
        return False
    wanted = manager_channel.lstrip("#")
    return wanted in (channel_id, channel_name)


async def answer_slash(
    answer: Answer,
    groups: UsergroupMembers,
    command: dict[str, Any],
    respond: Any,
    client: Any,
    manager_channel: str | None = None,
) -> None:
    """Handle one ``/mentor`` after it was acknowledged: reply via the response URL, to the
    asker alone when refused or when the reply quotes customers outside the managers' channel."""
    user = str(command.get("user_id", ""))
    reply = await answer(
        str(command.get("text") or ""), Requester("slack", user, groups.checker(user))
    )
    if reply.refused:
        await respond(text=reply.text, response_type="ephemeral")
        return
    channel = str(command.get("channel_id", ""))
    if reply.private and not _shared_place(
        channel, str(command.get("channel_name", "")), manager_channel
    ):
        await respond(text=f"{reply.text}\n\n{PRIVATE_NOTE}", response_type="ephemeral")
        return
    await respond(text=reply.text, response_type="in_channel")
    try:
        await upload_chart(client, channel, reply)
    except SlackApiError as exc:
        log.warning("insights: chart upload failed: %s", exc.response.get("error"))
        await respond(text="(The chart could not be uploaded here.)", response_type="ephemeral")


async def answer_mention(
    answer: Answer,
    groups: UsergroupMembers,
    event: dict[str, Any],
    client: AsyncWebClient,
    manager_channel: str | None = None,
) -> None:
    """Handle ``@Mentorbot <command>``: answer in a thread; refuse non-managers privately, and
    show replies that quote customers to the asker alone outside the managers' channel."""
    user, channel = str(event.get("user", "")), str(event.get("channel", ""))
    thread = event.get("thread_ts") or event.get("ts")
    reply = await answer(
        mention_text(str(event.get("text", ""))), Requester("slack", user, groups.checker(user))
    )
    if reply.refused:
        await client.chat_postEphemeral(channel=channel, user=user, text=reply.text)
        return
    if reply.private and not _shared_place(channel, "", manager_channel):
        await client.chat_postEphemeral(
            channel=channel, user=user, text=f"{reply.text}\n\n{PRIVATE_NOTE}", thread_ts=thread
        )
        return
    await client.chat_postMessage(channel=channel, text=reply.text, thread_ts=thread)
    await upload_chart(client, channel, reply, thread_ts=thread)


def register_insights(
    app: AsyncApp, answer: Answer, *, command: str = "/mentor", manager_channel: str | None = None
) -> None:
    """Register ``/mentor`` and app mentions on a Bolt app; ``answer`` is
    ``InsightsService.answer``. The slash command is acknowledged at once, then answered.
    Replies that quote customers are shared only in ``manager_channel``."""
    groups = UsergroupMembers(app.client)

    @app.command(command)
    async def on_command(ack: Any, command: dict[str, Any], respond: Any, client: Any) -> None:
        await ack()
        await answer_slash(answer, groups, command, respond, client, manager_channel)

    @app.event("app_mention")
    async def on_mention(event: dict[str, Any], client: Any) -> None:
        await answer_mention(answer, groups, event, client, manager_channel)


async def post_digest(client: AsyncWebClient, channel: str, reply: InsightReply) -> None:
    """Post the digest to the manager channel, then its chart below it."""
    await client.chat_postMessage(channel=channel, text=reply.text)
    await upload_chart(client, channel, reply)
