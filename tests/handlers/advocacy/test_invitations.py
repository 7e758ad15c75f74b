"""Who is an ambassador candidate, when a no may be followed by another ask, where links lead."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from handlers.advocacy.invitations import (
    CODE_ALPHABET,
    AdvocacySettings,
    ambassador_key,
    is_candidate,
    may_ask_again,
    new_code,
    review_key,
)
from sentiment import analyze
from storage.checkins.lifecycle import CheckInContext
from storage.models import AdvocacyAsk, Answer, CheckIn, Customer

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
SETTINGS = AdvocacySettings(public_url="https://bot.example")


def scored(
    qid: str, qtype: str, score: int | None, text: str | None = None, base: int | None = None
) -> Answer:
    """An answer scored by the real sentiment analyzer, as the scoring pipeline does."""
    result = analyze(text or "", lang="en", score=base if score is None else score, question=qtype)
    return Answer(
        customer_id=1,
        checkin_id=1,
        question_id=qid,
        question_type="text" if score is None else qtype,
        score=score,
        text=text,
        sentiment=result.label,
        segment=result.segment,
        escalate=result.escalate,
    )


def usage(nps: int, words: str, ces: int = 7) -> list[Answer]:
    return [
        scored("nps", "nps", nps),
        scored("nps_why", "nps", None, words, base=nps),
        scored("ces", "ces", ces),
    ]


def test_a_promoter_with_positive_words_is_a_candidate() -> None:
    assert is_candidate(usage(10, "Love it, quiet and fast, great installer!"), SETTINGS)


@pytest.mark.parametrize(
    ("nps", "words"),
    [
        (10, "It leaks and nobody answers, I want my money back"),  # contradiction
        (8, "Love it, quiet and fast, great installer!"),  # a passive
        (3, "Love it, quiet and fast, great installer!"),  # a detractor
        (9, "ok"),  # no positive words
    ],
)
def test_others_are_not(nps: int, words: str) -> None:
    assert not is_candidate(usage(nps, words), SETTINGS)


def test_a_plain_promoter_qualifies_when_words_are_not_required() -> None:
    settings = AdvocacySettings(public_url="x", require_positive_words=False)
    assert is_candidate(usage(9, "ok"), settings)
    assert not is_candidate(usage(7, "ok"), settings)


def test_only_the_configured_question_types_count() -> None:
    delivery = [scored("csat", "csat", 5), scored("csat_why", "csat", None, "Great, lovely!", 5)]
    assert not is_candidate(delivery, SETTINGS)
    assert is_candidate(delivery, AdvocacySettings(public_url="x", qualify_types=("csat",)))


def ask(status: str, sent: datetime | None = NOW, answered: datetime | None = None) -> AdvocacyAsk:
    return AdvocacyAsk(
        dedupe_key="k",
        kind="ambassador",
        customer_id=1,
        status=status,
        sent_at=sent,
        answered_at=answered,
        created_at=NOW,
    )


def test_a_no_is_respected_forever_by_default() -> None:
    assert may_ask_again([], SETTINGS, NOW)
    for status in ("declined", "expired", "answered", "sent", "scheduled"):
        assert not may_ask_again([ask(status)], SETTINGS, NOW + timedelta(days=3650)), status
    assert may_ask_again([ask("cancelled", sent=None)], SETTINGS, NOW)  # never reached them


def test_a_no_may_be_followed_by_one_more_ask_after_the_configured_period() -> None:
    settings = AdvocacySettings(
        public_url="x", respect_no_forever=False, ask_again_after=timedelta(days=180)
    )
    declined = [ask("declined", answered=NOW)]
    assert not may_ask_again(declined, settings, NOW + timedelta(days=179))
    assert may_ask_again(declined, settings, NOW + timedelta(days=180))
    assert not may_ask_again([ask("answered")], settings, NOW + timedelta(days=999))
    assert ambassador_key(7, []) == "ambassador:customer:7"
    assert ambassador_key(7, declined) == "ambassador:customer:7:2"


def context(purchase_id: int | None) -> CheckInContext:
    checkin = CheckIn(
        id=12, customer_id=7, purchase_id=purchase_id, journey="s", touchpoint="t", due_at=NOW
    )
    return CheckInContext(checkin, Customer(id=7), 1, "Dryer")


def test_review_invitations_once_per_checkin_purchase_or_customer() -> None:
    assert review_key("checkin", context(3)) == "review:checkin:12"
    assert review_key("purchase", context(3)) == "review:purchase:3"
    assert review_key("purchase", context(None)) == "review:checkin:12"
    assert review_key("customer", context(3)) == "review:customer:7"


def test_links_and_codes() -> None:
    assert SETTINGS.link("abcd2345") == "https://bot.example/r/abcd2345"
    with_placeholder = AdvocacySettings(public_url="x", referral_url="https://s/w?ref={code}&u=1")
    assert with_placeholder.referral_target("abc") == "https://s/w?ref=abc&u=1"
    assert AdvocacySettings(public_url="x", referral_url="https://s/").referral_target("abc") == (
        "https://s/?ref=abc"
    )
    assert AdvocacySettings(public_url="x", referral_url="https://s/?a=1").referral_target(
        "abc"
    ) == ("https://s/?a=1&ref=abc")
    codes = {new_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(len(c) == 8 and set(c) <= set(CODE_ALPHABET) for c in codes)
