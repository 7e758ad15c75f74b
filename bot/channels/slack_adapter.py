"""The Slack adapter: slack_sdk for posting to the desk, slack-bolt for what staff do.

It converts only: desk messages to Block Kit and Slack's payloads to :class:`DeskAction`.
What an action means is decided by the handler the composition root passes in.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.channels.slack_blocks import (
    ACTION_PREFIX,
    FORM_PREFIX,
    form_values,
    form_view,
    message_args,
)
from bot.channels.slack_lookups import CARD_EVENT, ThreadLookups
from bot.channels.slack_markup import SLACK_MARKUP
from handlers.desk.messages import (
    ActionResult,
    DeskAction,
    DeskMessage,
    DeskRejected,
    DeskRetryLater,
    DeskUnavailable,
    Form,
    Staff,
)

log = logging.getLogger(__name__)

OnAction = Callable[[DeskAction], Awaitable[ActionResult]]
# Posts a repeated request could show twice.
NEVER_REPEATED = frozenset({"chat.postMessage"})
UPLOAD_TIMEOUT = 120  # seconds for a customer's file (at most support.relay_max_mb) to upload
# Errors that will not go away by retrying the same post.
PERMANENT = {
    "channel_not_found",
    "not_in_channel",
    "is_archived",
    "invalid_blocks",
    "invalid_blocks_format",
    "msg_too_long",
    "no_text",
    "thread_not_found",
    "message_not_found",
    "cant_update_message",
    "invalid_auth",
    "account_inactive",
    "token_revoked",
    "missing_scope",
    "file_uploads_disabled",
    "file_upload_size_restricted",
    "file_type_not_allowed",
}


def web_client(token: str, base_url: str, timeout: int = 10) -> AsyncWebClient:
    """The Web API client (``base_url`` ends in /api/; a local server in tests and the demo)."""
    return AsyncWebClient(token=token, base_url=base_url, timeout=timeout)


class SlackDesk(ThreadLookups):
    """The support desk on Slack: posts, card updates, files, forms, staff names."""

    markup = SLACK_MARKUP
    """How the handlers' desk texts mark up mentions and bold words: Slack's mrkdwn."""

    def __init__(self, client: AsyncWebClient) -> None:
        self.client = client
        # New posts go through a client that never repeats a call itself: the SDK re-sends a
        # request whose connection dropped, and a post that did arrive would appear twice. The
        # outbox retries posts, and looks for a case's card before posting it again.
        self.poster = AsyncWebClient(
            token=client.token,
            base_url=client.base_url,
            timeout=client.timeout,
            session=client.session,
            retry_handlers=[],
        )
        # Files go through one of their own whose timeout fits a file: slack_sdk gives the
        # upload of the bytes the client's timeout as its whole time (10 s by default).
        self.uploader = AsyncWebClient(
            token=client.token,
            base_url=client.base_url,
            timeout=max(client.timeout, UPLOAD_TIMEOUT),
            session=client.session,
            retry_handlers=[],
        )
        self._staff: dict[str, Staff] = {}

    async def _call(self, method: str, **kwargs: Any) -> dict[str, Any]:
        try:
            client = self.poster if method in NEVER_REPEATED else self.client
            client = self.uploader if method == "files_upload_v2" else client
            call = getattr(client, method.replace(".", "_"))  # chat.update -> chat_update
            response = await call(**kwargs)
            return dict(response.data) if isinstance(response.data, dict) else {}
        except SlackApiError as exc:
            status = exc.response.status_code
            error = exc.response.get("error") if isinstance(exc.response.data, dict) else None
            if status == 429 or error == "ratelimited":
                retry_after = float(exc.response.headers.get("Retry-After", 1) or 1)
                raise DeskRetryLater(retry_after, f"{method} rate limited") from exc
            if error in PERMANENT:
                raise DeskRejected(f"{method}: {error}") from exc
            raise DeskUnavailable(f"{method}: {error or f'HTTP {status}'}") from exc
        except Exception as exc:  # connection refused, reset, timeout, garbage body
            raise DeskUnavailable(f"{method}: {type(exc).__name__}: {exc}") from exc

    async def post(
        self,
        channel: str,
        message: DeskMessage,
        thread_ts: str | None = None,
        card_of: int | None = None,
    ) -> str:
        """Post a message (in a thread when ``thread_ts`` is given); returns its ts. A case's
        card carries the case id in Slack's message metadata, so it can be found again."""
        args = {"channel": channel, **message_args(message)}
        if thread_ts:
            args["thread_ts"] = thread_ts
        if card_of is not None:
            args["metadata"] = {"event_type": CARD_EVENT, "event_payload": {"case_id": card_of}}
        data = await self._call("chat.postMessage", **args)
        return str(data.get("ts", ""))

    async def update(self, channel: str, ts: str, message: DeskMessage) -> None:
        """Replace a posted message in place."""
        await self._call("chat.update", channel=channel, ts=ts, **message_args(message))

    async def upload_file(
        self, channel: str, thread_ts: str, content: bytes, filename: str, title: str
    ) -> str:
        """Share a file in a thread with slack_sdk's ``files_upload_v2`` (the upload URL, the
        bytes, then files.completeUploadExternal); returns the file's id."""
        data = await self._call(
            "files_upload_v2",
            channel=channel,
            thread_ts=thread_ts,
            content=content,
            filename=filename,
            title=title,
        )
        return str((data.get("file") or {}).get("id", ""))

    async def open_form(self, trigger_id: str, form: Form) -> None:
        """Open a modal for the person who pressed a button."""
        await self._call("views.open", trigger_id=trigger_id, view=form_view(form))

    async def notify(self, channel: str, user: str, text: str) -> None:
        """A message only ``user`` sees (an ephemeral notice)."""
        await self._call("chat.postEphemeral", channel=channel, user=user, text=text)

    async def staff(self, staff_id: str) -> Staff:
        """A staff member's name from users.info (remembered)."""
        if staff_id not in self._staff:
            data = await self._call("users.info", user=staff_id)
            user = data.get("user") or {}
            name = (user.get("profile") or {}).get("real_name") or user.get("real_name") or ""
            self._staff[staff_id] = Staff(staff_id, name)
        return self._staff[staff_id]


def _staff(body: dict[str, Any]) -> Staff:
    user = body.get("user") or {}
    return Staff(str(user.get("id", "")), "")


def build_bolt_app(
    signing_secret: str, client: AsyncWebClient, desk: SlackDesk, on_action: OnAction
) -> AsyncApp:
    """A Bolt app that verifies every request's signature and turns staff actions into
    :class:`DeskAction` for ``on_action``."""
    app = AsyncApp(
        signing_secret=signing_secret,
        client=client,
        process_before_response=False,
        raise_error_for_unhandled_request=False,
    )

    @app.action(re.compile(f"^{ACTION_PREFIX}(claim|take_over|reply|resolve|not_an_issue)$"))
    async def button(ack: Any, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
            "channel_id"
        )
        desk_action = DeskAction(
            kind=action["action_id"][len(ACTION_PREFIX) :],
            staff=_staff(body),
            ref=str(action.get("value", "")),
            channel=channel,
            message_ts=(body.get("message") or {}).get("ts"),
            trigger_id=body.get("trigger_id"),
        )
        result = await on_action(desk_action)
        if result.notice and channel:
            await _notify(desk, channel, desk_action.staff.id, result.notice)

    @app.view(re.compile(f"^{FORM_PREFIX}[a-z_]+$"))
    async def form(ack: Any, body: dict[str, Any], view: dict[str, Any]) -> None:
        values = form_values(view)
        desk_action = DeskAction(
            kind="form:" + view["callback_id"][len(FORM_PREFIX) :],
            staff=_staff(body),
            ref=str(view.get("private_metadata", "")),
            values=values,
        )
        result = await on_action(desk_action)
        errors = dict(result.form_errors)
        if result.notice and not errors and values:
            errors[next(iter(values))] = result.notice  # a modal can only speak through errors
        if errors:
            await ack(response_action="errors", errors=errors)
        else:
            await ack()

    @app.event("message")
    async def message(event: dict[str, Any]) -> None:
        thread_ts = event.get("thread_ts")
        if (
            not thread_ts
            or thread_ts == event.get("ts")
            or event.get("subtype")
            or event.get("bot_id")
        ):
            return  # only people's replies in a thread can be for a customer
        desk_action = DeskAction(
            kind="thread_message",
            staff=Staff(str(event.get("user", ""))),
            channel=event.get("channel"),
            thread_ts=thread_ts,
            message_ts=event.get("ts"),
            text=str(event.get("text") or ""),
        )
        result = await on_action(desk_action)
        if result.notice and desk_action.channel:
            await _notify(desk, desk_action.channel, desk_action.staff.id, result.notice)

    return app


async def _notify(desk: SlackDesk, channel: str, user: str, text: str) -> None:
    try:
        await desk.notify(channel, user, text)
    except Exception as exc:  # a notice that does not arrive changes nothing stored
        log.warning("could not show %s a notice: %s", user, exc)


def slack_route(app: AsyncApp, path: str = "/slack/events") -> Route:
    """The Events API, interactivity and slash command endpoint on the bot's web server."""
    handler = AsyncSlackRequestHandler(app)

    async def endpoint(request: Request) -> Response:
        try:
            return await handler.handle(request)
        except ValueError as exc:  # a body Bolt cannot parse (JSON or form garbage)
            log.warning("unreadable Slack request refused: %s", exc)
            return Response("unreadable request", status_code=400)

    return Route(path, endpoint, methods=["POST"])


async def start_socket_mode(app: AsyncApp, app_token: str, ping_interval: float = 10.0) -> Any:
    """Connect over Socket Mode (no public URL needed); returns the handler to close later.
    A lost connection is noticed and reconnected within ``ping_interval`` seconds."""
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    handler = AsyncSocketModeHandler(app, app_token, ping_interval=ping_interval)
    await handler.connect_async()
    return handler


async def socket_mode_connected(handler: Any) -> bool:
    """Whether a Socket Mode handler's WebSocket is up (slack_sdk's public ``is_connected``)."""
    return bool(await handler.client.is_connected())
