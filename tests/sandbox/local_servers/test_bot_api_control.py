"""The local Bot API server in its own process, driven through its /_local/ routes."""

from __future__ import annotations

from telegram import Bot

from benchmarks.dispatch import server_process
from bot.channels.aiohttp_request import AiohttpRequest
from sandbox.local_servers.bot_api_control import RemoteControl


async def test_push_updates_and_read_back_what_the_bot_sent() -> None:
    with server_process(history=2, control=True) as server:
        async with (
            RemoteControl(server.root) as control,
            Bot("1:T", base_url=server.base_url, request=AiohttpRequest()) as bot,
        ):
            question = await bot.send_message(501, "How was the delivery?")
            await control.push(
                messages=[(500, "8")], callbacks=[(501, question.message_id, "a:1:0:4")]
            )
            updates = await bot.get_updates(timeout=0)
            assert [u.message.text for u in updates if u.message] == ["8"]
            assert [u.callback_query.data for u in updates if u.callback_query] == ["a:1:0:4"]
            await bot.send_message(500, "Thanks!")
            last = await control.last_messages(500, 3)
            assert last[500]["text"] == "Thanks!"
            assert last[501]["message_id"] == question.message_id
            assert 502 not in last
            assert await control.calls("sendMessage") == 2
