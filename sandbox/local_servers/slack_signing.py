"""Build and send the signed HTTP requests Slack sends to an app's Bolt endpoint.

Bodies match what Slack posts: Events API callbacks as JSON, interactivity (block_actions,
view_submission) as a form with one `payload` field holding JSON, slash commands as form fields.
Requests are signed with Slack's v0 scheme::

    X-Slack-Request-Timestamp: <unix seconds>
    X-Slack-Signature: v0=hex(hmac_sha256(signing_secret, "v0:{timestamp}:{body}"))

Bolt rejects (401) a wrong signature and a timestamp more than five minutes away from now.

Usage::

    press = block_actions(action_id="claim", value="case-1", channel_id="C0SUPPORT",
                          message_ts=ts, response_url=slack.new_response_url("C0SUPPORT", ts))
    response = await post_signed(url, press, secret=SECRET, client=http)  # httpx.AsyncClient
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Mapping
from typing import Any, NamedTuple
from urllib.parse import parse_qs, urlencode

import httpx

from sandbox.local_servers.slack_state import APP_ID, BOT_USER_ID, TEAM_ID

__all__ = [
    "FORM",
    "JSON",
    "SlackBody",
    "app_mention_event",
    "block_actions",
    "event_callback",
    "message_event",
    "post_signed",
    "post_stale",
    "post_wrongly_signed",
    "sign",
    "signature_headers",
    "slash_command",
    "stale_timestamp",
    "state_values",
    "url_verification",
    "view_submission",
]

JSON = "application/json"
FORM = "application/x-www-form-urlencoded"
TEAM_DOMAIN = "mentorbot-local"
DEFAULT_USER = ("U0ANNA", "anna")


class SlackBody(NamedTuple):
    """A request body exactly as Slack would send it, with its content type."""

    body: str
    content_type: str

    def json(self) -> dict[str, Any]:
        """The JSON inside (Events API body or interactivity `payload`), for assertions."""
        if self.content_type == JSON:
            return json.loads(self.body)
        fields = parse_qs(self.body)
        if "payload" in fields:
            return json.loads(fields["payload"][0])
        return {k: v[0] for k, v in fields.items()}


# -- signing --------------------------------------------------------------------------------------


def sign(secret: str, body: str | bytes, timestamp: int) -> str:
    """The `X-Slack-Signature` value: `v0=` + hex HMAC-SHA256 of `v0:{timestamp}:{body}`."""
    raw = body.encode() if isinstance(body, str) else body
    base = b"v0:" + str(timestamp).encode() + b":" + raw
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def signature_headers(
    secret: str, body: str | bytes, content_type: str = JSON, timestamp: int | None = None
) -> dict[str, str]:
    """Content-Type, X-Slack-Request-Timestamp and X-Slack-Signature for a body."""
    ts = int(time.time()) if timestamp is None else timestamp
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": str(ts),
        "X-Slack-Signature": sign(secret, body, ts),
    }


def stale_timestamp(age_seconds: int = 600) -> int:
    """A timestamp `age_seconds` in the past (Bolt refuses anything older than 5 minutes)."""
    return int(time.time()) - age_seconds


async def post_signed(
    url: str,
    body: str | bytes | SlackBody,
    content_type: str | None = None,
    secret: str = "",
    timestamp: int | None = None,
    *,
    client: httpx.AsyncClient | None = None,
    signature: str | None = None,
) -> httpx.Response:
    """POST a body signed with `secret` (a `SlackBody` brings its own content type).

    `client` lets tests reach an ASGI app through `httpx.ASGITransport`; without it a short-lived
    client is used. `signature` overrides the computed signature (for forgery tests).
    """
    if isinstance(body, SlackBody):
        body, content_type = body.body, content_type or body.content_type
    headers = signature_headers(secret, body, content_type or JSON, timestamp)
    if signature is not None:
        headers["X-Slack-Signature"] = signature
    if client is not None:
        return await client.post(url, content=body, headers=headers)
    async with httpx.AsyncClient(timeout=10) as own:
        return await own.post(url, content=body, headers=headers)


async def post_wrongly_signed(
    url: str,
    body: str | bytes | SlackBody,
    content_type: str | None = None,
    secret: str = "",
    *,
    client: httpx.AsyncClient | None = None,
) -> httpx.Response:
    """POST with a fresh timestamp but a signature made with a different secret."""
    return await post_signed(url, body, content_type, "not-" + secret, client=client)


async def post_stale(
    url: str,
    body: str | bytes | SlackBody,
    content_type: str | None = None,
    secret: str = "",
    *,
    age_seconds: int = 600,
    client: httpx.AsyncClient | None = None,
) -> httpx.Response:
    """POST correctly signed, but with a timestamp `age_seconds` old (a replayed request)."""
    ts = stale_timestamp(age_seconds)
    return await post_signed(url, body, content_type, secret, ts, client=client)


# -- bodies ---------------------------------------------------------------------------------------


def _trigger_id() -> str:
    return f"{secrets.randbelow(10**10)}.{secrets.randbelow(10**10)}.{secrets.token_hex(16)}"


def _user(user_id: str, user_name: str) -> dict[str, str]:
    return {"id": user_id, "username": user_name, "name": user_name, "team_id": TEAM_ID}


def _interactive(payload: Mapping[str, Any]) -> SlackBody:
    return SlackBody(urlencode({"payload": json.dumps(payload)}), FORM)


def block_actions(
    *,
    action_id: str,
    value: str | None = None,
    block_id: str = "actions",
    channel_id: str = "C0SUPPORT",
    message_ts: str = "1700000000.000100",
    message_text: str = "",
    message_blocks: list[dict[str, Any]] | None = None,
    user_id: str = DEFAULT_USER[0],
    user_name: str = DEFAULT_USER[1],
    response_url: str = "http://127.0.0.1:9/response/none",
    trigger_id: str | None = None,
    action_type: str = "button",
) -> SlackBody:
    """A `block_actions` payload: a button pressed on a message posted by the bot."""
    message = {
        "type": "message",
        "user": BOT_USER_ID,
        "ts": message_ts,
        "text": message_text,
        "blocks": message_blocks or [],
    }
    action: dict[str, Any] = {
        "action_id": action_id,
        "block_id": block_id,
        "type": action_type,
        "action_ts": f"{time.time():.6f}",
    }
    if value is not None:
        action["value"] = value
    if action_type == "button":
        action["text"] = {"type": "plain_text", "text": action_id}
    return _interactive(
        {
            "type": "block_actions",
            "user": _user(user_id, user_name),
            "api_app_id": APP_ID,
            "token": "legacy-verification-token",
            "container": {
                "type": "message",
                "message_ts": message_ts,
                "channel_id": channel_id,
                "is_ephemeral": False,
            },
            "trigger_id": trigger_id or _trigger_id(),
            "team": {"id": TEAM_ID, "domain": TEAM_DOMAIN},
            "enterprise": None,
            "is_enterprise_install": False,
            "channel": {"id": channel_id, "name": "support"},
            "message": message,
            "state": {"values": {}},
            "response_url": response_url,
            "actions": [action],
        }
    )


def state_values(values: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Modal `state.values` from `{block_id: {action_id: value}}`.

    A str becomes a plain_text_input value, a dict is taken as the element state as is (e.g.
    `{"type": "static_select", "selected_option": {...}}`), None a cleared input.
    """
    out: dict[str, dict[str, Any]] = {}
    for block_id, actions in values.items():
        out[block_id] = {}
        for action_id, value in actions.items():
            if isinstance(value, dict):
                out[block_id][action_id] = value
            else:
                out[block_id][action_id] = {"type": "plain_text_input", "value": value}
    return out


def view_submission(
    *,
    callback_id: str,
    values: Mapping[str, Mapping[str, Any]] | None = None,
    private_metadata: str = "",
    view_id: str = "V00000001",
    user_id: str = DEFAULT_USER[0],
    user_name: str = DEFAULT_USER[1],
    blocks: list[dict[str, Any]] | None = None,
    title: str = "Modal",
) -> SlackBody:
    """A `view_submission` payload: a modal submitted; `values` as for `state_values`."""
    view = {
        "id": view_id,
        "team_id": TEAM_ID,
        "type": "modal",
        "blocks": blocks or [],
        "private_metadata": private_metadata,
        "callback_id": callback_id,
        "state": {"values": state_values(values or {})},
        "hash": secrets.token_hex(6),
        "title": {"type": "plain_text", "text": title},
        "close": None,
        "submit": {"type": "plain_text", "text": "Submit"},
        "clear_on_close": False,
        "notify_on_close": False,
        "previous_view_id": None,
        "root_view_id": view_id,
        "app_id": APP_ID,
        "external_id": "",
        "app_installed_team_id": TEAM_ID,
        "bot_id": "B0BOT",
    }
    return _interactive(
        {
            "type": "view_submission",
            "team": {"id": TEAM_ID, "domain": TEAM_DOMAIN},
            "user": _user(user_id, user_name),
            "api_app_id": APP_ID,
            "token": "legacy-verification-token",
            "trigger_id": _trigger_id(),
            "view": view,
            "response_urls": [],
            "is_enterprise_install": False,
            "enterprise": None,
        }
    )


def message_event(
    *,
    channel: str,
    text: str,
    user: str = DEFAULT_USER[0],
    ts: str | None = None,
    thread_ts: str | None = None,
) -> dict[str, Any]:
    """A `message` event by a person, in a thread when `thread_ts` is given."""
    ts = ts or f"{time.time():.6f}"
    event: dict[str, Any] = {
        "type": "message",
        "channel": channel,
        "user": user,
        "text": text,
        "ts": ts,
        "event_ts": ts,
        "channel_type": "channel",
        "team": TEAM_ID,
    }
    if thread_ts:
        event["thread_ts"] = thread_ts
        event["parent_user_id"] = BOT_USER_ID
    return event


def app_mention_event(
    *, channel: str, text: str, user: str = DEFAULT_USER[0], thread_ts: str | None = None
) -> dict[str, Any]:
    """An `app_mention` event; put `<@U0BOT>` in `text` as Slack does."""
    event = message_event(channel=channel, text=text, user=user, thread_ts=thread_ts)
    event["type"] = "app_mention"
    event.pop("channel_type")
    return event


def event_callback(event: Mapping[str, Any], *, event_id: str | None = None) -> SlackBody:
    """The Events API envelope (`type: event_callback`) around one event, as JSON."""
    envelope = {
        "token": "legacy-verification-token",
        "team_id": TEAM_ID,
        "api_app_id": APP_ID,
        "event": dict(event),
        "type": "event_callback",
        "event_id": event_id or f"Ev{secrets.token_hex(5).upper()}",
        "event_time": int(time.time()),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": f"4-{secrets.token_hex(8)}",
    }
    return SlackBody(json.dumps(envelope), JSON)


def slash_command(
    *,
    command: str,
    text: str = "",
    user_id: str = DEFAULT_USER[0],
    user_name: str = DEFAULT_USER[1],
    channel_id: str = "C0SUPPORT",
    channel_name: str = "support",
    response_url: str = "http://127.0.0.1:9/response/none",
    trigger_id: str | None = None,
) -> SlackBody:
    """A slash command, form-encoded as Slack posts it."""
    fields = {
        "token": "legacy-verification-token",
        "team_id": TEAM_ID,
        "team_domain": TEAM_DOMAIN,
        "channel_id": channel_id,
        "channel_name": channel_name,
        "user_id": user_id,
        "user_name": user_name,
        "command": command,
        "text": text,
        "api_app_id": APP_ID,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": trigger_id or _trigger_id(),
    }
    return SlackBody(urlencode(fields), FORM)


def url_verification(challenge: str = "local-challenge") -> SlackBody:
    """The handshake Slack sends when the Events API Request URL is set."""
    body = {
        "token": "legacy-verification-token",
        "challenge": challenge,
        "type": "url_verification",
    }
    return SlackBody(json.dumps(body), JSON)
