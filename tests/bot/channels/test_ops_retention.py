"""The retention sweep erases customers inactive past ``privacy.retention`` like /forget does,
leaves everyone else alone, and the managers' figures are the same before and after."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select

from bot.retention_wiring import run_sweep
from handlers.customers.retention import sweep
from storage.insights.aggregates import InsightFilter
from storage.insights.store import InsightsStore
from storage.models import Answer, ChannelLink, Customer, CustomerMessage
from tests.bot.channels.harness import Harness

EVER = InsightFilter(datetime(2020, 1, 1, tzinfo=UTC), datetime(2035, 1, 1, tzinfo=UTC))
WORDS = "The door seal was torn when it arrived."


async def answer_checkin(tg: Harness, chat: int, order: str) -> None:
    """Opt in, get the usage check-in, answer NPS 2, the words, and CES 3."""
    await tg.opt_in(chat, order)
    tg.clock.advance(days=14)
    await tg.bot.dispatch()
    since = tg.server.last_seq
    await tg.press(chat, "2")
    await tg.next_message(chat, since, contains="What went wrong")
    since = tg.server.last_seq
    tg.server.push_message(chat, WORDS)
    await tg.next_message(chat, since, contains="How easy")
    since = tg.server.last_seq
    await tg.press(chat, "3")
    await tg.next_message(chat, since, contains="Thank you")
    await tg.settle()


async def figures(tg: Harness) -> tuple[Any, ...]:
    """Every figure managers see over all time (answers, responses, cases)."""
    ins = InsightsStore(tg.bot.db)
    await ins.roll_up(tg.clock(), settle=timedelta(0))
    answers = await ins.answer_figures(EVER)
    responses = await ins.response_figures(EVER)
    cases = await ins.case_figures(EVER, tg.clock())
    by_touchpoint = await ins.breakdown(EVER, "touchpoint")
    return answers, responses, cases, by_touchpoint


async def customer(tg: Harness, order_email: str) -> Customer:
    async with tg.bot.db.session() as s:
        found = (await s.execute(select(Customer).where(Customer.email == order_email))).scalar()
    assert found is not None
    return found


async def test_sweep_erases_the_inactive_and_keeps_the_figures(tg: Harness) -> None:
    await answer_checkin(tg, 7101, "R-OLD")
    old = await customer(tg, "r-old@example.com")
    tg.clock.advance(days=800)  # more than 24 months later
    await answer_checkin(tg, 7102, "R-NEW")
    new = await customer(tg, "r-new@example.com")
    before = await figures(tg)

    retention = timedelta(days=24 * 31)
    dry = await sweep(
        tg.bot.repos.customers,
        tg.bot.repos.leases,
        tg.bot.units,
        retention,
        tg.clock(),
        worker="w",
        dry_run=True,
    )
    assert dry.customer_ids == [old.id] and dry.answers == 3 and dry.purchases == 1
    assert (await customer(tg, "r-old@example.com")).name == "Ann Smith"  # dry: nothing erased

    done = await sweep(
        tg.bot.repos.customers, tg.bot.repos.leases, tg.bot.units, retention, tg.clock(), worker="w"
    )
    assert done.customer_ids == [old.id] and not done.skipped_lease
    assert await figures(tg) == before

    async with tg.bot.db.session() as s:
        erased = await s.get(Customer, old.id)
        kept = await s.get(Customer, new.id)
        old_answers = list(
            (await s.execute(select(Answer).where(Answer.customer_id == old.id))).scalars()
        )
        links = list(
            (
                await s.execute(select(ChannelLink).where(ChannelLink.customer_id == old.id))
            ).scalars()
        )
        old_messages = list(
            (
                await s.execute(
                    select(CustomerMessage).where(CustomerMessage.customer_id == old.id)
                )
            ).scalars()
        )
    assert erased is not None and kept is not None
    assert (erased.name, erased.email, erased.phone, erased.opt_in_state) == (
        None, None, None, "forgotten",
    )  # fmt: skip
    assert [a.text for a in old_answers if a.text] == []
    assert sorted(a.score for a in old_answers if a.score is not None) == [2, 3]  # kept
    assert all(link.chat_id is None for link in links)
    assert all("Ann" not in m.text for m in old_messages if m.status != "pending")
    assert kept.name == "Ann Smith" and kept.opt_in_state == "opted_in"

    again = await sweep(
        tg.bot.repos.customers, tg.bot.repos.leases, tg.bot.units, retention, tg.clock(), worker="w"
    )
    assert again.customer_ids == []  # the erased are not erased twice


async def test_another_worker_sweeping_holds_the_lease(tg: Harness) -> None:
    await answer_checkin(tg, 7103, "R-LEASE")
    tg.clock.advance(days=800)
    now = tg.clock()
    assert await tg.bot.repos.leases.take_lease("privacy_sweep", "other:1", now, timedelta(hours=1))
    report = await sweep(
        tg.bot.repos.customers,
        tg.bot.repos.leases,
        tg.bot.units,
        timedelta(days=744),
        now,
        worker="w",
    )
    assert report.skipped_lease and report.customer_ids == []


async def test_the_daily_job_is_scheduled_only_with_a_retention(tg_config, db_url) -> None:  # type: ignore[no-untyped-def]
    from bot.app import Mentorbot
    from sandbox.local_servers.bot_api import LocalBotApi

    async with LocalBotApi() as server:
        without = Mentorbot(tg_config(server), db_schema=db_url[1])
        with_retention = Mentorbot(
            tg_config(server, privacy={"retention": "24 months", "sweep_hour": 4}),
            db_schema=db_url[1],
        )
        try:
            assert "privacy_sweep" not in [j.name for j in without.jobs]
            (job,) = [j for j in with_retention.jobs if j.name == "privacy_sweep"]
            assert job.trigger == "cron" and job.args["hour"] == 4
            assert await run_sweep(without) is None
            report = await run_sweep(with_retention)
            assert report is not None and report.customer_ids == []
        finally:
            await without.close()
            await with_retention.close()
