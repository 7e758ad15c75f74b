"""Slack's mrkdwn comes from the Slack adapter: the case card the handlers build through the
desk's markup reads byte for byte as the card they used to write in mrkdwn themselves (the
literals below were taken from the card before the markup moved; the escalation's user-group
mention is checked end to end in tests/bot/support/test_response_times.py)."""

from __future__ import annotations

from datetime import datetime

from bot.channels.slack_markup import SLACK_MARKUP
from handlers.desk.card import render_case
from storage.desk.case_view import CaseView
from storage.models import CLOSED_BY_FORGET, Answer, Case, Customer

NOW = datetime(2026, 11, 20, 10, 0)


def view(*, closed_by: str | None = "U0ANNA", recovered: bool | None = True) -> CaseView:
    """A resolved case with every part of the card: words, analysis, history, gesture, note."""
    case = Case(
        id=7,
        customer_id=3,
        status="resolved",
        priority="high",
        owner="U0ANNA",
        resolution_note="refunded",
        gesture="Voucher",
        gesture_code="SORRY-AAA111",
        customer_note="Sorry, Ann.\nWe refunded you.",
        note_delivery="sent",
        opened_at=datetime(2026, 11, 18, 9, 30),
        closed_by=closed_by,
        recovered=recovered,
    )
    customer = Customer(id=3, name="Ann de Vries", language="nl")
    answers = [
        Answer(
            id=1,
            customer_id=3,
            question_id="nps",
            question_type="nps",
            score=2,
            segment="detractor",
            sentiment="negative",
            polarity=-0.6,
            analysis={"reasons": ["low score", "angry words"], "themes": ["delivery"]},
        ),
        Answer(
            id=2,
            customer_id=3,
            question_id="nps_why",
            question_type="text",
            text="Late\nand broken",
            sentiment="negative",
            polarity=-0.8,
        ),
    ]
    earlier = Answer(
        id=0,
        customer_id=3,
        question_id="csat",
        question_type="csat",
        score=3,
        touchpoint="delivery",
        created_at=datetime(2026, 10, 1, 8, 0),
    )
    earlier_case = Case(
        id=2, customer_id=3, status="not_an_issue", opened_at=datetime(2026, 10, 2, 8, 0)
    )
    return CaseView(
        case,
        customer,
        datetime(2026, 9, 1),
        None,
        "usage",
        answers,
        previous_answers=[earlier],
        previous_cases=[earlier_case],
        added_answers=2,
    )


def test_slack_markup_writes_mrkdwn() -> None:
    m = SLACK_MARKUP
    assert m.mention("U0ANNA") == "<@U0ANNA>"
    assert m.group_mention("S0LEADS") == "<!subteam^S0LEADS>"
    assert (m.bold("a"), m.italic("b"), m.code("c")) == ("*a*", "_b_", "`c`")
    assert m.quote("one\ntwo") == "> one\n> two"


def test_a_resolved_case_card_reads_as_before() -> None:
    card = render_case(view(), NOW, SLACK_MARKUP).card
    assert card is not None
    assert card.facts[-1] == ("Owner", "<@U0ANNA>")
    assert card.sections == (
        "> “Late and broken”",
        "*Why flagged:* low score; angry words\n*Themes:* delivery",
        "*2 more flagged answer(s) in the thread.*",
        "*Earlier answers:* 01 Oct delivery: CSAT 3",
        "*Earlier cases:* #2 02 Oct closed: not an issue",
        "*Resolved* by <@U0ANNA>: refunded\n*Goodwill gesture:* Voucher · voucher code "
        "`SORRY-AAA111`\n*Sent to the customer:*\n> Sorry, Ann.\n> We refunded you.",
        "*Closing the loop:* recovered, came back as a promoter 🎉",
    )


def test_an_erased_customers_card_reads_as_before() -> None:
    card = render_case(view(closed_by=CLOSED_BY_FORGET, recovered=False), NOW, SLACK_MARKUP).card
    assert card is not None
    assert card.sections[-2].startswith(
        "*Closed: the customer erased their data* (/forget): they can no longer be reached"
    )
    assert card.sections[-1] == "*Closing the loop:* not recovered yet"


def test_the_note_lines_read_as_before() -> None:
    expected = {
        "queued": "*Queued for the customer* (Telegram was away; it goes out when it is back):"
        "\n> Sorry, Ann.\n> We refunded you.",
        "blocked": "*Nothing reached the customer:* the customer has blocked the bot.",
        "none": "_No message to the customer._",
    }
    for delivery, line in expected.items():
        v = view()
        v.case.note_delivery = delivery
        v.answers.pop()  # the score alone
        card = render_case(v, NOW, SLACK_MARKUP).card
        assert card is not None
        assert card.sections[0] == "_No words, only the score._"
        assert card.sections[-2].endswith("\n" + line), delivery
