"""Failure injection as slack_sdk sees it: 429 with Retry-After, outage, injected errors."""

from __future__ import annotations

import aiohttp
import pytest
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_async_handlers import (
    AsyncRateLimitErrorRetryHandler,
    AsyncServerErrorRetryHandler,
)
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator
from slack_sdk.web.async_client import AsyncWebClient

from sandbox.local_servers.slack_api import LocalSlackApi

from .conftest import TOKEN


async def test_429_reaches_a_plain_client(slack: LocalSlackApi, client: AsyncWebClient) -> None:
    slack.rate_limit_next("chat.postMessage", retry_after=7)
    with pytest.raises(SlackApiError) as err:
        await client.chat_postMessage(channel="C1", text="card")
    assert err.value.response.status_code == 429
    assert err.value.response.headers["Retry-After"] == "7"
    assert err.value.response["error"] == "ratelimited"
    assert slack.messages("C1") == []
    # the rule was used up: the next post goes through
    await client.chat_postMessage(channel="C1", text="card")
    assert len(slack.messages("C1")) == 1
    assert slack.stats["ratelimited"] == 1


async def test_rate_limit_only_hits_the_named_method(
    slack: LocalSlackApi, client: AsyncWebClient
) -> None:
    slack.rate_limit_next("chat.update", times=2)
    await client.chat_postMessage(channel="C1", text="not limited")
    assert slack.stats["ratelimited"] == 0


async def test_429_retried_by_rate_limit_handler(slack: LocalSlackApi) -> None:
    retrying = AsyncWebClient(
        token=TOKEN,
        base_url=slack.base_url,
        retry_handlers=[AsyncRateLimitErrorRetryHandler(max_retry_count=2)],
    )
    slack.rate_limit_next(retry_after=0)
    posted = await retrying.chat_postMessage(channel="C1", text="card")
    assert posted["ok"] is True
    assert [c.status for c in slack.calls_to("chat.postMessage")] == [429, 200]
    assert [m["text"] for m in slack.messages("C1")] == ["card"]


async def test_outage_503_then_recovery(slack: LocalSlackApi, client: AsyncWebClient) -> None:
    slack.set_outage(True)
    with pytest.raises(SlackApiError) as err:
        await client.chat_postMessage(channel="C1", text="card")
    assert err.value.response.status_code == 503
    assert slack.messages("C1") == []
    slack.set_outage(False)
    await client.chat_postMessage(channel="C1", text="card")
    assert len(slack.messages("C1")) == 1
    assert slack.stats["outage"] == 1


async def test_outage_503_is_retried_by_server_error_handler(slack: LocalSlackApi) -> None:
    retrying = AsyncWebClient(
        token=TOKEN,
        base_url=slack.base_url,
        retry_handlers=[AsyncServerErrorRetryHandler(2, FixedValueRetryIntervalCalculator(0.01))],
    )
    slack.set_outage(True)
    with pytest.raises(SlackApiError):
        await retrying.auth_test()
    assert slack.stats["outage"] == 3  # first try + 2 retries


async def test_outage_disconnect_is_a_connection_error(
    slack: LocalSlackApi, client: AsyncWebClient
) -> None:
    slack.set_outage(True, mode="disconnect")
    with pytest.raises(aiohttp.ServerDisconnectedError):
        await client.chat_postMessage(channel="C1", text="card")
    # slack_sdk's default connection-error handler retried once
    assert slack.stats["outage"] == 2
    assert slack.messages("C1") == []


async def test_fail_next_injects_a_slack_error(
    slack: LocalSlackApi, client: AsyncWebClient
) -> None:
    slack.fail_next("chat.postMessage", "channel_not_found")
    with pytest.raises(SlackApiError) as err:
        await client.chat_postMessage(channel="C1", text="card")
    assert err.value.response["error"] == "channel_not_found"
    assert err.value.response.status_code == 200
    await client.chat_postMessage(channel="C1", text="card")
    assert slack.stats["injected_errors"] == 1
    assert len(slack.messages("C1")) == 1


async def test_many_posts_stay_fast(slack: LocalSlackApi, client: AsyncWebClient) -> None:
    import time

    start = time.perf_counter()
    for i in range(300):
        await client.chat_postMessage(channel="C1", text=f"card {i}")
    elapsed = time.perf_counter() - start
    assert len(slack.messages("C1")) == 300
    assert elapsed < 5, elapsed
