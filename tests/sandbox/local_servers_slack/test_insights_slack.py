"""``/mentor`` and ``@Mentorbot`` through a real Bolt app, signed requests and the local Slack
Web API server: figures for managers, charts uploaded, polite refusals for everyone else."""

from __future__ import annotations

import httpx
import pytest
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.channels.slack_insights import mention_text, post_digest, register_insights
from handlers.insights.service import InsightsService, InsightsSettings
from sandbox.local_servers.slack_api import LocalSlackApi
from sandbox.local_servers.slack_signing import (
    app_mention_event,
    event_callback,
    post_signed,
    slash_command,
)
from storage.db import Database
from storage.insights.store import InsightsStore
from tests.storage.insights.insights_data import NOW, load

from .conftest import EVENTS_URL, SECRET

RANGE = "2026-11-01..2026-11-14"


@pytest.fixture
async def service(db: Database) -> InsightsService:
    await load(db)
    settings = InsightsSettings(
        timezone="UTC", slack_user_ids=frozenset({"U0BOSS"}), slack_usergroup="support-leads"
    )
    return InsightsService(InsightsStore(db), settings, lambda: NOW)


@pytest.fixture
def mentor_app(bolt_app: AsyncApp, service: InsightsService) -> AsyncApp:
    register_insights(bolt_app, service.answer, manager_channel="C0MGMT")
    return bolt_app


async def _slash(
    slack: LocalSlackApi, http: httpx.AsyncClient, text: str, user: str
) -> httpx.Response:
    url = slack.new_response_url("C0MGMT")
    body = slash_command(
        command="/mentor", text=text, user_id=user, channel_id="C0MGMT", response_url=url
    )
    return await post_signed(EVENTS_URL, body, secret=SECRET, client=http)


async def test_slash_command_answers_a_manager_with_text_and_chart(
    slack: LocalSlackApi, mentor_app: AsyncApp, bolt_http: httpx.AsyncClient
) -> None:
    response = await _slash(slack, bolt_http, "trend 2026-10-18..2026-11-14", "U0BOSS")
    assert response.status_code == 200
    await slack.wait_for("files.completeUploadExternal", timeout=5)
    post = slack.response_posts[0]
    assert post.body["text"].startswith("NPS trend") and post.body["response_type"] == "in_channel"
    (upload,) = slack.files.values()
    assert upload.completed and upload.channel == "C0MGMT"
    assert upload.content is not None and upload.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert [c.method for c in slack.calls if c.method.startswith(("files", "upload"))] == [
        "files.getUploadURLExternal",
        "upload",
        "files.completeUploadExternal",
    ]


async def test_slash_stats_and_a_typo(
    slack: LocalSlackApi, mentor_app: AsyncApp, bolt_http: httpx.AsyncClient
) -> None:
    await _slash(slack, bolt_http, f"stats {RANGE}", "U0BOSS")
    await slack.wait_for("response_url", timeout=5)
    assert "NPS +20 (n=10, 95% CI -34 to +74) (+45)" in slack.response_posts[0].body["text"]
    await _slash(slack, bolt_http, "stats las-month", "U0BOSS")
    await slack.wait_for("response_url", timeout=5, count=2)
    assert "Did you mean last-month?" in slack.response_posts[1].body["text"]
    assert slack.files == {}


async def test_user_group_members_are_managers_too(
    slack: LocalSlackApi, mentor_app: AsyncApp, bolt_http: httpx.AsyncClient
) -> None:
    await _slash(slack, bolt_http, f"cases {RANGE}", "U0ANNA")  # in @support-leads
    await slack.wait_for("response_url", timeout=5)
    assert "Opened 3 (+3)" in slack.response_posts[0].body["text"]
    assert slack.calls_to("usergroups.list")[0].params["include_users"] in ("1", "true", True)


async def test_others_are_refused_privately(
    slack: LocalSlackApi, mentor_app: AsyncApp, bolt_http: httpx.AsyncClient
) -> None:
    await _slash(slack, bolt_http, "stats", "U0BOB")
    await slack.wait_for("response_url", timeout=5)
    post = slack.response_posts[0]
    assert post.body["response_type"] == "ephemeral"
    assert "only for managers" in post.body["text"] and "NPS" not in post.body["text"]
    assert slack.files == {}


async def test_mention_answers_in_the_thread(
    slack: LocalSlackApi, mentor_app: AsyncApp, bolt_http: httpx.AsyncClient
) -> None:
    mention = app_mention_event(
        channel="C0MGMT", text=f"<@U0BOT> detractors {RANGE}", user="U0BOSS"
    )
    await post_signed(EVENTS_URL, event_callback(mention), secret=SECRET, client=bolt_http)
    call = await slack.wait_for("chat.postMessage", timeout=5)
    assert call.params["thread_ts"] == mention["ts"]
    assert "3 of 10 NPS answers (30%)" in call.params["text"]

    refused = app_mention_event(channel="C0MGMT", text="<@U0BOT> stats", user="U0BOB")
    await post_signed(EVENTS_URL, event_callback(refused), secret=SECRET, client=bolt_http)
    await slack.wait_for("chat.postEphemeral", timeout=5)
    assert slack.ephemerals[0]["user"] == "U0BOB"
    assert "only for managers" in slack.ephemerals[0]["text"]


async def test_digest_post_to_the_manager_channel(
    slack: LocalSlackApi, client: AsyncWebClient, service: InsightsService
) -> None:
    await post_digest(client, "C0MGMT", await service.digest())
    message, shared = slack.top_level("C0MGMT")  # the digest, then the chart's share
    assert message["text"].startswith("Weekly digest from Mentorbot")
    (upload,) = slack.files.values()
    assert upload.channel == "C0MGMT" and upload.content and upload.content[:4] == b"\x89PNG"
    assert [f["id"] for f in shared["files"]] == [upload.id] and upload.shared_ts == shared["ts"]


def test_mention_text() -> None:
    assert mention_text("<@U0BOT> stats  30d") == "stats 30d"
    assert mention_text("<@U0BOT|mentorbot>   trend") == "trend"


# --- customers' words stay with managers ------------------------------------------------------


async def _slash_in(
    slack: LocalSlackApi,
    http: httpx.AsyncClient,
    text: str,
    channel: str,
    name: str,
    user: str = "U0BOSS",
) -> httpx.Response:
    url = slack.new_response_url(channel, user=user)
    body = slash_command(
        command="/mentor",
        text=text,
        user_id=user,
        channel_id=channel,
        channel_name=name,
        response_url=url,
    )
    return await post_signed(EVENTS_URL, body, secret=SECRET, client=http)


@pytest.mark.parametrize("what", ["detractors", "themes", "stats"])
async def test_quotes_asked_in_a_public_channel_go_to_the_asker_alone(
    slack: LocalSlackApi, mentor_app: AsyncApp, bolt_http: httpx.AsyncClient, what: str
) -> None:
    await _slash_in(slack, bolt_http, f"{what} {RANGE}", "C0GENERAL", "general")
    await slack.wait_for("response_url", timeout=5)
    (post,) = slack.response_posts
    assert post.body["response_type"] == "ephemeral"
    assert "Only you can see this" in post.body["text"]
    assert slack.top_level("C0GENERAL") == []  # nothing the channel can read
    (shown,) = slack.ephemerals
    assert shown["user"] == "U0BOSS" and shown["channel"] == "C0GENERAL"
    if what == "detractors":
        assert "It leaked, water everywhere" in shown["text"]  # the words, to the manager only


async def test_plain_figures_may_go_where_they_were_asked(
    slack: LocalSlackApi, mentor_app: AsyncApp, bolt_http: httpx.AsyncClient
) -> None:
    await _slash_in(slack, bolt_http, f"cases {RANGE}", "C0GENERAL", "general")
    await slack.wait_for("response_url", timeout=5)
    (post,) = slack.response_posts
    assert post.body["response_type"] == "in_channel"
    (message,) = slack.top_level("C0GENERAL")
    assert "Opened 3 (+3)" in message["text"] and slack.ephemerals == []


async def test_quotes_are_shared_in_the_manager_channel_named_by_its_name(
    slack: LocalSlackApi, bolt_app: AsyncApp, service: InsightsService, bolt_http: httpx.AsyncClient
) -> None:
    register_insights(bolt_app, service.answer, manager_channel="#managers")
    await _slash_in(slack, bolt_http, f"detractors {RANGE}", "C0MGMT", "managers")
    await slack.wait_for("response_url", timeout=5)
    assert slack.response_posts[0].body["response_type"] == "in_channel"
    (message,) = slack.top_level("C0MGMT")
    assert "It leaked, water everywhere" in message["text"]


async def test_a_mention_in_a_public_channel_answers_quotes_ephemerally_in_the_thread(
    slack: LocalSlackApi, mentor_app: AsyncApp, bolt_http: httpx.AsyncClient
) -> None:
    mention = app_mention_event(
        channel="C0GENERAL", text=f"<@U0BOT> detractors {RANGE}", user="U0BOSS"
    )
    await post_signed(EVENTS_URL, event_callback(mention), secret=SECRET, client=bolt_http)
    call = await slack.wait_for("chat.postEphemeral", timeout=5)
    assert call.params["user"] == "U0BOSS" and call.params["channel"] == "C0GENERAL"
    assert call.params["thread_ts"] == mention["ts"]
    assert slack.calls_to("chat.postMessage") == []
    (shown,) = slack.ephemerals
    assert "It leaked, water everywhere" in shown["text"] and shown["thread_ts"] == mention["ts"]
    # A trend (plain figures, a chart) is answered in the thread for everyone.
    trend = app_mention_event(channel="C0GENERAL", text="<@U0BOT> trend", user="U0BOSS")
    await post_signed(EVENTS_URL, event_callback(trend), secret=SECRET, client=bolt_http)
    posted = await slack.wait_for("chat.postMessage", timeout=5)
    assert posted.params["channel"] == "C0GENERAL" and posted.params["thread_ts"] == trend["ts"]
