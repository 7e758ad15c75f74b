"""Nothing is lost when Slack is away: the outbox holds posts, retries, and keeps their order."""

from __future__ import annotations

import asyncio

from tests.bot.support.desk_harness import CHANNEL, DeskHarness


async def test_outage_delays_the_card_and_it_goes_out_once_in_order(desk: DeskHarness) -> None:
    desk.slack.set_outage(True)
    await desk.unhappy_customer(3401, "G-1")
    since = desk.tg.server.last_seq
    desk.tg.server.push_message(3401, "Hello?? Is anyone reading this? Terrible service.")
    await desk.tg.next_message(3401, since, contains="passed that on")
    await desk.settle()
    (case,) = await desk.cases()
    assert case.slack_ts is None and desk.slack.top_level(CHANNEL) == []
    pending = await desk.outbox()
    assert pending[0].kind == "case_card" and pending[0].attempts >= 1
    assert {m.status for m in pending} == {"pending"}
    held = await desk.support.deliver()  # still inside the backoff: nothing is tried
    assert held.held and held.sent == 0
    desk.slack.set_outage(False)
    desk.tg.clock.advance(seconds=31)
    report = await desk.support.deliver()
    assert report.sent == len(pending) and not report.held
    (card,) = desk.slack.top_level(CHANNEL)
    (case,) = await desk.cases()
    assert card["ts"] == case.slack_ts
    thread = desk.thread(card["ts"])
    assert len(thread) == 1 and "Is anyone reading this?" in thread[0]
    assert {m.status for m in await desk.outbox()} == {"sent"}
    again = await desk.support.deliver()
    assert again.sent == 0 and len(desk.slack.top_level(CHANNEL)) == 1


async def test_rate_limit_retry_after_is_honoured(desk: DeskHarness) -> None:
    desk.slack.rate_limit_next("chat.postMessage", retry_after=7)
    await desk.unhappy_customer(3402, "G-2")
    (card_post,) = [m for m in await desk.outbox() if m.kind == "case_card"]
    assert card_post.status == "pending"
    assert (card_post.next_attempt_at - desk.tg.clock.now).total_seconds() == 7
    desk.tg.clock.advance(seconds=6)
    assert (await desk.support.deliver()).sent == 0
    desk.tg.clock.advance(seconds=1)
    assert (await desk.support.deliver()).sent >= 1
    assert len(desk.slack.top_level(CHANNEL)) == 1
    assert len([c for c in desk.slack.calls_to("chat.postMessage") if c.status == 429]) == 1


async def test_a_post_refused_for_good_is_set_aside_and_the_rest_goes_on(
    desk: DeskHarness,
) -> None:
    desk.slack.fail_next("chat.postMessage", "channel_not_found")
    await desk.unhappy_customer(3403, "G-3")
    statuses = [(m.kind, m.status) for m in await desk.outbox()]
    assert statuses[0] == ("case_card", "failed")
    assert (await desk.outbox())[0].last_error == "chat.postMessage: channel_not_found"
    # The card updates after it cannot find a card to update: also set aside, not retried forever.
    assert all(status == "failed" for _, status in statuses)


async def test_overlapping_delivery_rounds_post_each_card_once(desk: DeskHarness) -> None:
    desk.support.pump.kick = lambda: None  # type: ignore[method-assign]  # only the rounds below
    for chat, order in ((3404, "G-4"), (3405, "G-5"), (3406, "G-6")):
        await desk.unhappy_customer(chat, order)
    reports = await asyncio.gather(*(desk.support.deliver() for _ in range(3)))
    assert sum(r.sent for r in reports) == len(await desk.outbox())
    assert len(desk.slack.top_level(CHANNEL)) == 3


async def test_a_card_posted_but_not_confirmed_is_found_again_not_posted_twice(
    desk: DeskHarness,
) -> None:
    """The card's post reaches Slack but its answer is lost (as when the worker dies mid-post):
    the next attempt finds the card in the channel's history by the case id in its metadata
    and records it, instead of posting a second card."""
    desk.slack.lose_next_answer("chat.postMessage")
    await desk.unhappy_customer(3410, "G-10")
    (card,) = desk.slack.top_level(CHANNEL)  # it went out
    (case,) = await desk.cases()
    assert case.slack_ts is None  # ... but the bot could not know
    first = (await desk.outbox())[0]
    assert first.kind == "case_card" and first.status == "pending" and first.started_at
    desk.tg.clock.advance(seconds=31)
    report = await desk.support.deliver()
    assert report.sent >= 1 and not report.held
    assert len(desk.slack.top_level(CHANNEL)) == 1  # recognised, not repeated
    (case,) = await desk.cases()
    assert case.slack_ts == card["ts"]
    assert len(desk.slack.calls_to("conversations.history")) == 1
    posts = [c for c in desk.slack.calls_to("chat.postMessage") if not c.params.get("thread_ts")]
    assert len(posts) == 1
