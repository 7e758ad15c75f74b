"""Signed requests to a real slack-bolt AsyncApp whose Web API calls go to the local server."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from sandbox.local_servers.slack_api import LocalSlackApi
from sandbox.local_servers.slack_signing import (
    app_mention_event,
    block_actions,
    event_callback,
    message_event,
    post_signed,
    post_stale,
    post_wrongly_signed,
    slash_command,
    url_verification,
    view_submission,
)

from .conftest import EVENTS_URL, SECRET


async def _post_card(client: AsyncWebClient) -> str:
    card = [{"type": "section", "text": {"type": "mrkdwn", "text": "Case 1: leaking machine"}}]
    return (await client.chat_postMessage(channel="C0SUPPORT", text="Case 1", blocks=card))["ts"]


async def test_button_press_reaches_action_listener_which_updates_the_card(
    slack: LocalSlackApi, client: AsyncWebClient, bolt_app: AsyncApp, bolt_http: httpx.AsyncClient
) -> None:
    ts = await _post_card(client)
    seen: list[dict[str, Any]] = []

    @bolt_app.action("claim")
    async def claim(ack, body, action, client) -> None:  # type: ignore[no-untyped-def]
        await ack()
        seen.append(action)
        await client.chat_update(
            channel=body["channel"]["id"],
            ts=body["message"]["ts"],
            text=f"Case 1 claimed by <@{body['user']['id']}>",
        )

    press = block_actions(action_id="claim", value="case-1", channel_id="C0SUPPORT", message_ts=ts)
    response = await post_signed(EVENTS_URL, press, secret=SECRET, client=bolt_http)
    assert response.status_code == 200

    update = await slack.wait_for("chat.update", timeout=3)
    assert update.params["ts"] == ts
    assert slack.message("C0SUPPORT", ts)["text"] == "Case 1 claimed by <@U0ANNA>"
    assert seen[0]["value"] == "case-1"
    assert slack.calls[1].method == "auth.test"  # Bolt authorised against the local server


async def test_slash_command_reaches_command_listener_and_respond(
    slack: LocalSlackApi, bolt_app: AsyncApp, bolt_http: httpx.AsyncClient
) -> None:
    @bolt_app.command("/mentorbot")
    async def command(ack, command, respond) -> None:  # type: ignore[no-untyped-def]
        await ack()
        await respond(f"NPS for {command['text']}: 42")

    url = slack.new_response_url("C0SUPPORT")
    body = slash_command(command="/mentorbot", text="nps week", response_url=url)
    response = await post_signed(EVENTS_URL, body, secret=SECRET, client=bolt_http)
    assert response.status_code == 200

    await slack.wait_for("response_url", timeout=3)
    assert slack.response_posts[0].body["text"] == "NPS for nps week: 42"
    assert slack.response_posts[0].channel == "C0SUPPORT"


async def test_view_submission_reaches_view_listener(
    bolt_app: AsyncApp, bolt_http: httpx.AsyncClient
) -> None:
    got: list[tuple[str, str]] = []

    @bolt_app.view("reply")
    async def submitted(ack, view) -> None:  # type: ignore[no-untyped-def]
        await ack()
        text = view["state"]["values"]["reply"]["text"]["value"]
        got.append((view["private_metadata"], text))

    body = view_submission(
        callback_id="reply",
        private_metadata="case:1",
        values={"reply": {"text": "We send a new hose today"}},
    )
    response = await post_signed(EVENTS_URL, body, secret=SECRET, client=bolt_http)
    assert response.status_code == 200
    for _ in range(100):
        if got:
            break
        await asyncio.sleep(0.01)
    assert got == [("case:1", "We send a new hose today")]


async def test_thread_message_and_app_mention_reach_event_listeners(
    slack: LocalSlackApi, client: AsyncWebClient, bolt_app: AsyncApp, bolt_http: httpx.AsyncClient
) -> None:
    ts = await _post_card(client)

    @bolt_app.event("message")
    async def on_message(event, say) -> None:  # type: ignore[no-untyped-def]
        await say(text=f"relayed: {event['text']}", thread_ts=event["thread_ts"])

    @bolt_app.event("app_mention")
    async def on_mention(event, say) -> None:  # type: ignore[no-untyped-def]
        await say(text="at your service", thread_ts=event["thread_ts"])

    msg = message_event(channel="C0SUPPORT", text="Sorry about that!", thread_ts=ts)
    response = await post_signed(EVENTS_URL, event_callback(msg), secret=SECRET, client=bolt_http)
    assert response.status_code == 200
    await slack.wait_for(lambda c: c.method == "chat.postMessage" and c.params.get("thread_ts"))
    assert slack.thread("C0SUPPORT", ts)[1]["text"] == "relayed: Sorry about that!"

    mention = app_mention_event(channel="C0SUPPORT", text="<@U0BOT> hi", thread_ts=ts)
    await post_signed(EVENTS_URL, event_callback(mention), secret=SECRET, client=bolt_http)
    await slack.wait_for(lambda c: c.params.get("text") == "at your service")
    assert len(slack.thread("C0SUPPORT", ts)) == 3


async def test_url_verification_echoes_the_challenge(bolt_http: httpx.AsyncClient) -> None:
    body = url_verification("abc123")
    response = await post_signed(EVENTS_URL, body, secret=SECRET, client=bolt_http)
    assert response.status_code == 200
    assert "abc123" in response.text


async def test_forged_and_stale_requests_get_401_and_run_nothing(
    slack: LocalSlackApi, bolt_app: AsyncApp, bolt_http: httpx.AsyncClient
) -> None:
    ran: list[str] = []

    @bolt_app.action("claim")
    async def claim(ack) -> None:  # type: ignore[no-untyped-def]
        ran.append("action")
        await ack()

    @bolt_app.command("/mentorbot")
    async def command(ack) -> None:  # type: ignore[no-untyped-def]
        ran.append("command")
        await ack()

    press = block_actions(action_id="claim", value="1")
    cmd = slash_command(command="/mentorbot", text="nps")
    responses = [
        await post_wrongly_signed(EVENTS_URL, press, secret=SECRET, client=bolt_http),
        await post_stale(EVENTS_URL, press, secret=SECRET, client=bolt_http),
        await post_wrongly_signed(EVENTS_URL, cmd, secret=SECRET, client=bolt_http),
        await post_stale(EVENTS_URL, cmd, secret=SECRET, client=bolt_http),
        await post_signed(EVENTS_URL, cmd, secret=SECRET, client=bolt_http, signature="v0=00"),
    ]
    await asyncio.sleep(0.05)
    assert [r.status_code for r in responses] == [401] * 5
    assert ran == []
    assert slack.calls == []  # not even auth.test: verification comes first
