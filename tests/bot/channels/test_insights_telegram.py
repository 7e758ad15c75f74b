"""Managers ask for figures in a private Telegram chat; the digest reaches their chats.

Everything goes through python-telegram-bot and the local Bot API server.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime

import pytest
from apscheduler.triggers.cron import CronTrigger

from sandbox.local_servers.bot_api import LocalBotApi
from tests.bot.channels.conftest import start_harness, stop_harness
from tests.bot.channels.harness import FakeClock, Harness
from tests.storage.insights.insights_data import NOW, load

MANAGER_CHAT = 1001
CUSTOMER_CHAT = 2002


@pytest.fixture
async def tgm(tg_config, db_url) -> AsyncIterator[Harness]:  # type: ignore[no-untyped-def]
    """A running bot with insights installed, a manager, and the known data set."""
    async with LocalBotApi() as server:
        config = tg_config(
            server,
            managers={"telegram_user_ids": [MANAGER_CHAT]},
            insights={"timezone": "UTC", "digest_day": "mon", "digest_hour": 9},
            timezone="Europe/Amsterdam",
        )
        h = await start_harness(server, config, db_url[1], FakeClock(NOW))
        await load(h.bot.db)
        try:
            yield h
        finally:
            await stop_harness(h)


async def test_manager_gets_stats_in_the_private_chat(tgm: Harness) -> None:
    reply = await tgm.send(MANAGER_CHAT, "/stats 2026-11-01..2026-11-14")
    assert "NPS +20 (n=10, 95% CI -34 to +74) (+45)" in reply["text"]
    assert "CSAT 60% (n=5) (-40 pts)" in reply["text"]
    mentor = await tgm.send(MANAGER_CHAT, "/mentor cases 2026-11-01..2026-11-14")
    assert "Opened 3 (+3), still open 1, resolved 2" in mentor["text"]


async def test_trend_comes_with_a_photo(tgm: Harness) -> None:
    since = tgm.server.last_seq
    text = await tgm.send(MANAGER_CHAT, "/trend 2026-10-18..2026-11-14")
    assert text["text"].startswith("NPS trend")
    photo = await tgm.next_message(MANAGER_CHAT, since=since, contains="NPS per week")
    assert photo["photo"][0]["width"] == 800 and photo["photo"][0]["height"] == 450
    (upload,) = tgm.server.documents(MANAGER_CHAT)
    assert upload.data[:8] == b"\x89PNG\r\n\x1a\n"


async def test_garbage_gets_a_helpful_reply(tgm: Harness) -> None:
    reply = await tgm.send(MANAGER_CHAT, "/stats 3od")
    assert "Did you mean 30d?" in reply["text"]
    reply = await tgm.send(MANAGER_CHAT, "/mentor ☃ ;; '")
    assert "I did not understand" in reply["text"]


async def test_a_customer_is_refused_politely(tgm: Harness) -> None:
    reply = await tgm.send(CUSTOMER_CHAT, "/stats")
    assert "only for managers" in reply["text"]
    assert "NPS" not in reply["text"]
    assert tgm.server.documents(CUSTOMER_CHAT) == []


async def test_digest_reaches_the_managers_chat_on_schedule(tgm: Harness) -> None:
    (job,) = [j for j in tgm.bot.jobs if j.name == "insights_digest"]
    trigger = CronTrigger(**job.args)
    sunday = datetime(2026, 11, 22, 20, 0, tzinfo=UTC)
    assert trigger.get_next_fire_time(None, sunday) == datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
    since = tgm.server.last_seq
    report = await job.run()
    assert report.delivered == [f"telegram:{MANAGER_CHAT}"]  # type: ignore[attr-defined]
    text = await tgm.next_message(MANAGER_CHAT, since=since, contains="Weekly digest")
    assert "Stats, 7d (08 Nov - 14 Nov 2026)" in text["text"]
    photo = await tgm.next_message(MANAGER_CHAT, since=since, contains="NPS per week")
    assert photo["photo"][0]["width"] == 800
    assert tgm.server.messages(CUSTOMER_CHAT) == []


def _chat_scope(chat_id: int) -> str:
    return json.dumps({"type": "chat", "chat_id": chat_id}, sort_keys=True)


async def test_a_managers_chat_has_the_insights_commands_in_its_menu(tgm: Harness) -> None:
    mine = [c["command"] for c in tgm.server.get_commands("", scope=_chat_scope(MANAGER_CHAT))]
    assert {"help", "forget", "mentor", "stats", "trend"} <= set(mine)
    dutch = tgm.server.get_commands("nl", scope=_chat_scope(MANAGER_CHAT))
    assert any(c["command"] == "stats" and "respons" in c["description"] for c in dutch)
    everyone = [c["command"] for c in tgm.server.get_commands("")]
    assert "help" in everyone and "stats" not in everyone


async def test_a_chat_telegram_refuses_does_not_stop_the_bot(tgm: Harness) -> None:
    from bot.channels.telegram_adapter import register_commands

    tgm.server.fail_next("setMyCommands", 400, "Bad Request: chat not found", times=1)
    menus = [((4040,), {"en": [("stats", "NPS")]}), ((MANAGER_CHAT,), {"en": [("trend", "T")]})]
    assert tgm.bot.telegram is not None
    with_failure = tgm.server.stats.failed
    await register_commands(tgm.bot.telegram.bot, {}, menus)
    assert tgm.server.stats.failed == with_failure + 1
    assert [c["command"] for c in tgm.server.get_commands("", scope=_chat_scope(4040))] == []
    assert [c["command"] for c in tgm.server.get_commands("", _chat_scope(MANAGER_CHAT))] == [
        "trend"
    ]


async def test_a_managers_command_in_a_group_is_answered_in_the_private_chat_only(
    tgm: Harness,
) -> None:
    group = -100500
    await tgm.send(MANAGER_CHAT, "/help")  # the manager has a private chat with the bot
    message = tgm.server.build_user_message(
        group, "/detractors 2026-11-01..2026-11-14", user_id=MANAGER_CHAT
    )
    message["chat"] = {"id": group, "type": "group", "title": "Shop team"}
    since = tgm.server.last_seq
    tgm.server.push_raw_update({"message": message})
    reply = await tgm.next_message(MANAGER_CHAT, since=since, contains="Detractors")
    assert "It leaked, water everywhere" in reply["text"]
    await tgm.settle()
    assert tgm.server.messages(group) == []  # nothing for the group to read
    # A customer command in a group is still ignored.
    other = tgm.server.build_user_message(group, "/mydata", user_id=CUSTOMER_CHAT)
    other["chat"] = {"id": group, "type": "group", "title": "Shop team"}
    tgm.server.push_raw_update({"message": other})
    await tgm.settle()
    assert tgm.server.messages(group) == [] and tgm.server.messages(CUSTOMER_CHAT) == []
