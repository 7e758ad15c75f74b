"""The log of a whole customer journey at INFO holds no personal data, forged requests are
WARNINGs without a traceback, and lines carry the ids of what they concern."""

from __future__ import annotations

import io
import json
import logging

import pytest

from bot.log_context import ContextFilter, JsonFormatter, TextFormatter, log_context, setup_logging
from sandbox.local_servers.slack_signing import event_callback, message_event, post_signed
from tests.bot.support.desk_harness import CHANNEL, DeskHarness

NAME = "Marieke Jansen-Oost"
EMAIL = "marieke.private@example.org"
PHONE = "+31612345678"
WORDS = "The drum rattles like a freight train and soaked my parquet floor."
MORE_WORDS = "My neighbour Hendrik heard it through the wall, utterly humiliating."
STAFF_REPLY = "Dear Marieke, a technician visits on Tuesday."


async def journey(desk: DeskHarness, chat: int) -> None:
    """Buy, opt in, answer a check-in unhappily, get a staff reply, write back, ask for the
    data, then be forgotten."""
    tg = desk.tg
    token = await tg.buy("P-77", name=NAME, email=EMAIL, phone=PHONE)
    await tg.send(chat, f"/start {token}")
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
    await desk.settle()
    (case,) = await desk.cases()
    assert case.slack_ts
    await desk.press("claim", case.id or 0, case.slack_ts)
    since = tg.server.last_seq
    await desk.submit("reply", case.id or 0, {"message": STAFF_REPLY})
    await tg.next_message(chat, since)
    since = tg.server.last_seq
    tg.server.push_message(chat, MORE_WORDS)
    await tg.next_message(chat, since)
    await desk.settle()
    await tg.send(chat, "/mydata")
    await tg.send(chat, "/forget")
    await desk.settle()


async def test_a_whole_journey_logs_no_personal_data_at_info(
    desk: DeskHarness, caplog: pytest.LogCaptureFixture
) -> None:
    chat = 6201
    caplog.handler.addFilter(ContextFilter())  # as the handler setup_logging installs
    with caplog.at_level(logging.INFO):
        await journey(desk, chat)
    records = [r for r in caplog.records if r.levelno >= logging.INFO]
    assert records, "the journey should log something at INFO"
    # The lines about an answer name its update, check-in and answer; a staff action its case.
    flagged = next(r for r in records if "flagged for support" in r.getMessage())
    assert {"update_id", "checkin_id", "answer_id"} <= set(flagged.mentorbot_ids)
    claimed = next(r for r in records if "claimed by" in r.getMessage())
    assert claimed.mentorbot_ids.get("case_id") == 1
    text = "\n".join(TextFormatter().format(r) for r in records)
    json_lines = "\n".join(JsonFormatter().format(r) for r in records)
    forbidden = [
        NAME, "Marieke", "Jansen", EMAIL, PHONE, "31612345678",
        "freight train", "parquet", "Hendrik", "humiliating", "technician",
    ]  # fmt: skip
    for personal in forbidden:
        assert personal not in text, f"{personal!r} in the log:\n{text}"
        assert personal not in json_lines
    # Nothing in the journey is a bug: no ERROR lines.
    assert not [r for r in records if r.levelno >= logging.ERROR], text


async def test_forged_requests_are_warnings_without_a_traceback(
    desk: DeskHarness, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO):
        forged = await desk.http.post(
            "/telegram/webhook",
            json={"update_id": 1},
            headers={"X-Telegram-Bot-Api-Secret-Token": "guess"},
        )
        event = message_event(channel=CHANNEL, text="hi", user="U0X", ts="1.1")
        slack = await post_signed(
            "/slack/events", event_callback(event), secret="not-the-secret", client=desk.http
        )
        no_key = await desk.http.post("/api/purchases", json={"order_id": "X"})
    assert slack.status_code == 401 and no_key.status_code == 401
    assert forged.status_code in (403, 404)  # 404: this bot polls, it has no webhook route
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings
    for record in caplog.records:
        if record.levelno >= logging.WARNING:
            assert record.levelno == logging.WARNING, record.getMessage()
            assert record.exc_info is None, record.getMessage()


def test_lines_carry_the_ids_of_what_they_concern_in_text_and_json() -> None:
    out = io.StringIO()
    logger = logging.getLogger("mentorbot.test.ids")
    setup_logging("json", "INFO")
    handler = next(h for h in logging.getLogger().handlers if h.get_name() == "mentorbot")
    handler.setStream(out)  # type: ignore[attr-defined]
    try:
        with log_context(update_id=991), log_context(checkin_id=17, case_id=None):
            logger.info("answer stored")
        logger.debug("a scheduler run")  # below INFO: not written
        try:
            raise RuntimeError("a bug")
        except RuntimeError:
            logger.exception("handling failed")
    finally:
        logging.getLogger().removeHandler(handler)
    first, second = (
        json.loads(line) for line in out.getvalue().splitlines() if line.startswith("{")
    )
    assert first["message"] == "answer stored" and first["level"] == "INFO"
    assert first["update_id"] == 991 and first["checkin_id"] == 17 and "case_id" not in first
    assert second["level"] == "ERROR" and "RuntimeError: a bug" in second["exception"]
    assert "update_id" not in second
    record = logging.LogRecord("x", logging.INFO, "f", 1, "sent", None, None)
    record.mentorbot_ids = {"update_id": 5, "checkin_id": 6}
    assert TextFormatter().format(record).endswith("sent [update=5 checkin=6]")
