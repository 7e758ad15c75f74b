"""Response-time targets: a reminder in the thread, then the escalation group, in business hours."""

from __future__ import annotations

from tests.bot.support.desk_harness import DeskHarness


async def test_unclaimed_case_is_reminded_then_escalated(desk: DeskHarness) -> None:
    await desk.unhappy_customer(3301, "F-1")
    (case,) = await desk.cases()
    ts = case.slack_ts or ""
    desk.tg.clock.advance(minutes=10)
    assert (await desk.support.check_response_times()).reminded == 0
    desk.tg.clock.advance(minutes=6)
    report = await desk.support.check_response_times()
    await desk.settle()
    assert report.reminded == 1 and report.escalated == 0
    assert any(t.startswith("⏰ Reminder: case #") for t in desk.thread(ts))
    assert (await desk.support.check_response_times()).reminded == 0  # once only
    desk.tg.clock.advance(minutes=45)
    report = await desk.support.check_response_times()
    await desk.settle()
    assert report.escalated == 1
    assert any("<!subteam^S0LEADS>" in t for t in desk.thread(ts))
    (case,) = await desk.cases()
    assert case.reminded_at is not None and case.escalated_at is not None


async def test_claimed_case_is_not_reminded(desk: DeskHarness) -> None:
    await desk.unhappy_customer(3302, "F-2")
    (case,) = await desk.cases()
    await desk.press("claim", case.id or 0, case.slack_ts or "")
    desk.tg.clock.advance(hours=3)
    report = await desk.support.check_response_times()
    assert (report.reminded, report.escalated) == (0, 0)
