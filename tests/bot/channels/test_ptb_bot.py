"""The bot's ExtBot: raw sends through PTB's public ``do_api_request``, against the local server.

The contract test pins the one PTB behaviour the bot relies on beyond the documented signature:
``do_api_request`` on an endpoint PTB has a method for warns with the message that
:data:`bot.channels.ptb_bot.RAW_CALL_WARNING` matches. An upgrade that changes it fails here.
"""

from __future__ import annotations

import re
import warnings
from typing import Any

import pytest
from telegram import Message
from telegram.error import BadRequest
from telegram.ext import BaseRateLimiter
from telegram.warnings import PTBUserWarning

from bot.channels.aiohttp_request import AiohttpRequest
from bot.channels.ptb_bot import RAW_CALL_WARNING, RAW_ENDPOINTS, TolerantBot, quiet_raw_calls
from sandbox.local_servers.bot_api import LocalBotApi


class RecordingLimiter(BaseRateLimiter[None]):
    """PTB's rate-limiter hook that lets every call through and notes its endpoint."""

    def __init__(self) -> None:
        self.endpoints: list[str] = []

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def process_request(
        self,
        callback: Any,
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: None,
    ) -> Any:
        """Note ``endpoint``, then make the call."""
        self.endpoints.append(endpoint)
        return await callback(*args, **kwargs)


async def test_raw_sends_return_telegram_json_through_the_rate_limiter_without_warnings() -> None:
    limiter = RecordingLimiter()
    async with LocalBotApi() as server:
        bot = TolerantBot(
            "1:T", base_url=server.base_url, request=AiohttpRequest(), rate_limiter=limiter
        )
        async with bot:
            with warnings.catch_warnings(record=True) as caught:
                keyboard = {"inline_keyboard": [[{"text": "Yes", "callback_data": "y"}]]}
                sent = await bot.post_unparsed(
                    "sendMessage", {"chat_id": 42, "text": "Hoe was het?", "reply_markup": keyboard}
                )
                await bot.post_unparsed(
                    "editMessageText",
                    {"chat_id": 42, "message_id": sent["message_id"], "text": "Dank je"},
                )
        assert isinstance(sent, dict) and not isinstance(sent, Message)
        assert sent["chat"]["id"] == 42 and sent["reply_markup"] == keyboard
        assert server.messages(42)[-1]["text"] == "Dank je"
        assert "reply_markup" not in server.messages(42)[-1]  # an edit without one drops it
        assert [w for w in caught if issubclass(w.category, PTBUserWarning)] == []
        assert limiter.endpoints[-2:] == ["sendMessage", "editMessageText"]


async def test_raw_sends_raise_telegrams_errors_as_ptb_errors() -> None:
    async with LocalBotApi() as server:
        async with TolerantBot("1:T", base_url=server.base_url, request=AiohttpRequest()) as bot:
            server.fail_next("sendMessage", 400, "Bad Request: chat not found")
            with pytest.raises(BadRequest, match=r"(?i)chat not found"):
                await bot.post_unparsed("sendMessage", {"chat_id": 42, "text": "hi"})


async def test_contract_ptb_warns_about_raw_calls_with_the_message_the_bot_ignores() -> None:
    async with LocalBotApi() as server:
        async with TolerantBot("1:T", base_url=server.base_url, request=AiohttpRequest()) as bot:
            for endpoint in RAW_ENDPOINTS:
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")  # see PTB's warning, whatever is installed
                    data = {"chat_id": 42, "text": "x"}
                    if endpoint == "editMessageText":
                        sent = await bot.post_unparsed("sendMessage", data)
                        data = {**data, "message_id": sent["message_id"], "text": "y"}
                    elif endpoint == "getUpdates":
                        data = {"offset": 0, "timeout": 0}
                    await bot.do_api_request(endpoint, api_kwargs=data)
                ours = [w for w in caught if issubclass(w.category, PTBUserWarning)]
                assert len(ours) == 1 + (endpoint == "editMessageText"), ours
                assert all(re.match(RAW_CALL_WARNING, str(w.message)) for w in ours), ours


async def test_a_batch_with_an_unreadable_update_is_read_one_update_at_a_time() -> None:
    async with LocalBotApi() as server:
        async with TolerantBot("1:T", base_url=server.base_url, request=AiohttpRequest()) as bot:
            bad = server.push_raw_update({"message": {"message_id": "not a message"}})
            good = server.push_message(42, "hallo")
            with warnings.catch_warnings(record=True) as caught:
                updates = await bot.get_updates(timeout=0)
            assert [u.update_id for u in updates] == [bad["update_id"], good["update_id"]]
            assert updates[0].message is None  # kept only so the offset moves past it
            assert updates[1].message is not None and updates[1].message.text == "hallo"
            assert [w for w in caught if issubclass(w.category, PTBUserWarning)] == []


async def test_the_filter_ignores_only_the_raw_endpoints_warning() -> None:
    async with LocalBotApi() as server:
        async with TolerantBot("1:T", base_url=server.base_url, request=AiohttpRequest()) as bot:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                quiet_raw_calls()  # in front of "always", as after a bot's initialize
                await bot.do_api_request("sendMessage", api_kwargs={"chat_id": 42, "text": "x"})
                await bot.do_api_request("getMe")  # not one of the bot's raw endpoints
                warnings.warn("something else", PTBUserWarning, stacklevel=1)
            messages = [str(w.message) for w in caught if issubclass(w.category, PTBUserWarning)]
            assert len(messages) == 2 and "'Bot.getMe'" in messages[0], messages
            assert messages[1] == "something else"
