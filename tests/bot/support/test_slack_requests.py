"""Bolt verifies every request: unsigned, wrongly signed or stale requests change nothing."""

from __future__ import annotations

from sandbox.local_servers.slack_signing import (
    block_actions,
    post_signed,
    post_stale,
    post_wrongly_signed,
    url_verification,
)
from tests.bot.support.desk_harness import CHANNEL, SECRET, DeskHarness


async def test_forged_and_stale_requests_get_401_and_change_nothing(desk: DeskHarness) -> None:
    await desk.unhappy_customer(3201, "E-1")
    (case,) = await desk.cases()
    updates_before = len(desk.slack.calls_to("chat.update"))
    press = block_actions(
        action_id="case_claim", value=str(case.id), channel_id=CHANNEL, message_ts=case.slack_ts
    )
    unsigned = await desk.http.post(
        "/slack/events", content=press.body, headers={"Content-Type": press.content_type}
    )
    wrong = await post_wrongly_signed("/slack/events", press, secret=SECRET, client=desk.http)
    stale = await post_stale("/slack/events", press, secret=SECRET, client=desk.http)
    await desk.settle()
    assert [unsigned.status_code, wrong.status_code, stale.status_code] == [401, 401, 401]
    (case,) = await desk.cases()
    assert case.owner is None and case.status == "open"
    assert len(desk.slack.calls_to("chat.update")) == updates_before


async def test_url_verification_and_garbage(desk: DeskHarness) -> None:
    challenge = await post_signed(
        "/slack/events", url_verification("abc123"), secret=SECRET, client=desk.http
    )
    assert challenge.status_code == 200 and challenge.json()["challenge"] == "abc123"
    garbage = await post_signed(
        "/slack/events", "{not json", "application/json", secret=SECRET, client=desk.http
    )
    assert garbage.status_code in (400, 404)
