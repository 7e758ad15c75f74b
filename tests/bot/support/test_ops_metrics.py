"""Each metric at GET /metrics moves when its event happens: a check-in, an answer, a case, an
outage of the support desk's outbox, a 429 from Telegram, a job run, a lease."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from bot.metrics import BotMetrics
from tests.bot.metrics_reading import Scrape, scrape
from tests.bot.support.desk_harness import DeskHarness

DEPLOY = Path(__file__).resolve().parents[3] / "deploy"
ALERTS = DEPLOY / "prometheus" / "mentorbot-alerts.yml"
DASHBOARD = DEPLOY / "grafana" / "mentorbot-dashboard.json"


async def fresh(desk: DeskHarness) -> Scrape:
    desk.tg.bot.ops.collector.max_age = 0  # every scrape reads the database again
    return await scrape(desk.http)


async def test_metrics_follow_a_checkin_an_answer_a_case_and_an_outbox_outage(
    desk: DeskHarness,
) -> None:
    before = await fresh(desk)
    assert before.value("mentorbot_database_up") == 1
    assert before.value("mentorbot_cases") == 0
    assert before.value("mentorbot_messages_sent_total") == 0

    await desk.unhappy_customer(5101, "M-1")
    after = await fresh(desk)
    # The check-in was sent and answered.
    assert after.value("mentorbot_checkins", status="answered") == 1
    assert before.value("mentorbot_checkins", status="answered") == 0
    assert after.value("mentorbot_checkin_last_sent_timestamp_seconds") > 0
    assert after.value("mentorbot_customers", opt_in_state="opted_in") == 1
    # Greeting, questions, thanks: sent on Telegram; every press and word handled and timed.
    assert after.value("mentorbot_messages_sent_total", channel="telegram", method="send") >= 4
    assert after.value("mentorbot_update_handling_seconds_count", kind="button") >= 2
    assert after.value("mentorbot_update_handling_seconds_count", kind="text") >= 1
    assert after.value("mentorbot_update_errors_total") == 0
    # Three answers went through scoring; the unhappy one opened a case.
    assert after.value("mentorbot_answers_processed_total", outcome="scored") == 3
    assert after.value("mentorbot_answer_scoring_seconds_count") == 3
    assert after.value("mentorbot_cases", status="open") == 1
    assert after.value("mentorbot_outbox_pending_messages", destination="slack") == 0
    assert after.value("mentorbot_outbox_oldest_pending_age_seconds", destination="slack") == 0

    # Slack goes away: the customer's next words wait in the outbox and grow old there.
    desk.slack.set_outage(True)
    since = desk.tg.server.last_seq
    desk.tg.server.push_message(5101, "Still waiting for an answer about the leak.")
    await desk.tg.next_message(5101, since)
    await desk.settle()
    desk.tg.clock.advance(minutes=11)
    outage = await fresh(desk)
    assert outage.value("mentorbot_outbox_pending_messages", destination="slack") >= 1
    assert outage.value("mentorbot_outbox_oldest_pending_age_seconds", destination="slack") > 600
    assert outage.value("mentorbot_outbox_retrying_messages", destination="slack") >= 1

    desk.slack.set_outage(False)
    await desk.support.deliver()
    back = await fresh(desk)
    assert back.value("mentorbot_outbox_pending_messages", destination="slack") == 0
    assert back.value("mentorbot_outbox_oldest_pending_age_seconds", destination="slack") == 0
    assert back.value("mentorbot_outbox_retrying_messages", destination="slack") == 0


async def test_a_429_from_telegram_is_counted_by_reason(desk: DeskHarness) -> None:
    tg = desk.tg
    await tg.opt_in(5102, "M-2")
    before = await fresh(desk)
    tg.server.fail_next("sendMessage", 429, "Too Many Requests: retry after 5", retry_after=5)
    tg.clock.advance(days=14)
    await tg.bot.dispatch()  # the check-in's first question meets the 429
    after = await fresh(desk)
    failed = after.value("mentorbot_messages_failed_total", channel="telegram")
    limited = after.value("mentorbot_messages_failed_total", reason="rate_limited")
    assert limited == 1 and failed == 1
    assert before.value("mentorbot_messages_failed_total") == 0


async def test_job_runs_failures_and_leases(desk: DeskHarness) -> None:
    bot = desk.tg.bot
    metrics = bot.ops.metrics

    async def lost_database() -> None:
        raise ConnectionError("the database is not reachable")

    await metrics.job("dispatch", bot.dispatch)()
    with pytest.raises(ConnectionError):
        await metrics.job("housekeeping", lost_database)()
    now = desk.tg.clock()
    assert await bot.repos.leases.take_lease("outbox_test", bot.worker, now, timedelta(minutes=5))
    assert await bot.repos.leases.take_lease("other_test", "elsewhere:1", now, timedelta(minutes=5))
    s = await fresh(desk)
    assert s.value("mentorbot_scheduler_job_runs_total", task="dispatch") == 1
    assert s.value("mentorbot_scheduler_job_runs_total", task="housekeeping") == 1
    assert s.value("mentorbot_scheduler_job_failures_total", task="housekeeping") == 1
    assert s.value("mentorbot_scheduler_job_failures_total", reason="database") == 1
    assert s.value("mentorbot_scheduler_job_duration_seconds_count", task="dispatch") == 1
    assert s.value("mentorbot_lease_held", lease="outbox_test") == 1
    assert s.value("mentorbot_lease_held", lease="other_test") == 0


def test_two_bots_in_one_process_keep_their_own_figures() -> None:
    one, two = BotMetrics(), BotMetrics()
    one.job_runs.labels("dispatch").inc()
    assert one.registry.get_sample_value("mentorbot_scheduler_job_runs_total", {"task": "dispatch"})
    assert (
        two.registry.get_sample_value("mentorbot_scheduler_job_runs_total", {"task": "dispatch"})
        is None
    )


async def test_no_customer_data_in_any_label(desk: DeskHarness) -> None:
    await desk.unhappy_customer(5103, "M-3")
    body = (await fresh(desk)).body
    for personal in ("Ann Smith", "m-3@example.com", "leaked", "M-3"):
        assert personal not in body
    # The chat id is digits, which a sample's value may hold by chance (a timestamp, a sum):
    # it must not be in any label.
    labels = re.findall(r'="([^"]*)"', body)
    assert labels and not any("5103" in value for value in labels)


async def test_deploy_alerts_and_dashboard_use_only_metrics_the_bot_exposes(
    desk: DeskHarness,
) -> None:
    await desk.unhappy_customer(5104, "M-4")
    body = (await fresh(desk)).body
    exposed = set(re.findall(r"^# HELP (\S+)", body, flags=re.MULTILINE))
    used: set[str] = set()
    for path in (ALERTS, DASHBOARD):
        used |= set(re.findall(r"\bmentorbot_[a-z_]+", path.read_text()))
    json.loads(DASHBOARD.read_text())  # valid JSON
    assert yaml.safe_load(ALERTS.read_text())["groups"][0]["rules"]
    assert len(used) > 10
    for name in sorted(used):
        base = re.sub(r"_(bucket|sum|count)$", "", name)
        assert name in exposed or base in exposed, f"{name} is not exposed by the bot"
