"""Advocacy after a finished check-in: review invitations for all, ambassador asks for candidates.

Review invitations are scheduled for EVERY customer who finished a check-in, with the same
text whatever their score: inviting only happy customers ("review gating") breaks the terms
of the big review platforms, so nothing here reads a score before scheduling one. Ambassador
asks (referral link, testimonial, product panel) may target promoters with positive words.
Asks are only scheduled here; a periodic job sends them when quiet hours and the survey-fatigue
gap allow (handlers/advocacy/rounds.py).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal

from handlers.deps import Deps
from storage.advocacy.asks import AdvocacyQueries
from storage.checkins.lifecycle import CheckInContext
from storage.models import AdvocacyAsk, Answer

log = logging.getLogger(__name__)

CODE_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no 0/o, 1/l/i: easy to type at checkout
CODE_LENGTH = 8
_WORDS_SUFFIXES = ("_why", "_comment")
Offer = Literal["referral", "testimonial", "panel"]


def new_code() -> str:
    """A fresh opaque link code (8 characters from 31: about 10^12 possibilities)."""
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


@dataclass(frozen=True)
class ReviewSite:
    """A review platform: its name and the page to review per (SKU, language)."""

    name: str
    url_for: Callable[[str | None, str], str]


@dataclass(frozen=True)
class AdvocacySettings:
    """What advocacy needs from the config."""

    public_url: str
    reviews_enabled: bool = False
    review_delay: timedelta = timedelta(hours=1)
    review_once_per: Literal["checkin", "purchase", "customer"] = "purchase"
    review_sites: tuple[ReviewSite, ...] = ()
    ambassadors_enabled: bool = False
    ambassador_delay: timedelta = timedelta(days=1)
    qualify_types: tuple[str, ...] = ("nps",)
    require_positive_words: bool = True
    respect_no_forever: bool = True
    ask_again_after: timedelta | None = None
    answer_within: timedelta = timedelta(days=14)
    offers: tuple[Offer, ...] = ("referral", "testimonial", "panel")
    referral_url: str | None = None
    batch: int = 100
    lease: timedelta = timedelta(minutes=5)

    def link(self, code: str) -> str:
        """The public tracked link of a code."""
        return f"{self.public_url}/r/{code}"

    def referral_target(self, code: str) -> str:
        """The shop page a referral link leads to, carrying the code."""
        base = self.referral_url or self.public_url
        if "{code}" in base:
            return base.replace("{code}", code)
        return f"{base}{'&' if '?' in base else '?'}ref={code}"


@dataclass
class Advocacy:
    """The advocacy capability: its settings, its queries and how codes are made."""

    settings: AdvocacySettings
    queries: AdvocacyQueries
    make_code: Callable[[], str] = field(default=new_code)


def review_key(once_per: str, ctx: CheckInContext) -> str:
    """The dedupe key of a review invitation: one per check-in, purchase or customer."""
    if once_per == "checkin" or (once_per == "purchase" and ctx.checkin.purchase_id is None):
        return f"review:checkin:{ctx.checkin.id}"
    if once_per == "purchase":
        return f"review:purchase:{ctx.checkin.purchase_id}"
    return f"review:customer:{ctx.customer.id}"


def is_candidate(answers: list[Answer], settings: AdvocacySettings) -> bool:
    """Whether a finished check-in's answers make the customer an ambassador candidate.

    A promoter score on one of the qualifying question types, with positive words when
    required (the scoring marks those answers ``ambassador_candidate``), and nothing in the
    check-in that was negative or flagged for support.
    """
    if any(a.escalate or a.sentiment == "negative" for a in answers):
        return False
    scored_types = {a.question_id: a.question_type for a in answers if a.score is not None}

    def question_type(a: Answer) -> str | None:
        """The scored question an answer belongs to (words take their score's type)."""
        if a.score is not None:
            return a.question_type
        base = (a.question_id or "").rsplit("_", 1)[0]
        is_words = (a.question_id or "").endswith(_WORDS_SUFFIXES)
        return scored_types.get(base) if is_words else None

    wanted = {"ambassador_candidate"}
    if not settings.require_positive_words:
        wanted.add("promoter")
    return any(a.segment in wanted and question_type(a) in settings.qualify_types for a in answers)


def ambassador_key(customer_id: int, earlier: list[AdvocacyAsk]) -> str:
    """The dedupe key of a customer's next ambassador ask (the first has no number)."""
    base = f"ambassador:customer:{customer_id}"
    return base if not earlier else f"{base}:{len(earlier) + 1}"


def may_ask_again(earlier: list[AdvocacyAsk], settings: AdvocacySettings, now: datetime) -> bool:
    """Whether a candidate may get an ambassador ask, given the asks they had before.

    Never after a yes. After a no or an unanswered ask: never when ``respect_no_forever``,
    else once ``ask_again_after`` has passed. An ask that never went out does not count.
    """
    asked = [a for a in earlier if a.status != "cancelled"]
    if not asked:
        return True
    last = asked[-1]
    if any(a.status == "answered" for a in asked) or last.status not in ("declined", "expired"):
        return False
    if settings.respect_no_forever or settings.ask_again_after is None:
        return False
    since = last.answered_at or last.sent_at or last.created_at
    return since + settings.ask_again_after <= now


async def on_checkin_finished(adv: Advocacy, deps: Deps, ctx: CheckInContext) -> None:
    """After a check-in's last answer: schedule the review invitation and, for an ambassador
    candidate, the ambassador ask."""
    settings, now = adv.settings, deps.clock()
    customer_id = ctx.customer.id or 0
    if settings.reviews_enabled and settings.review_sites:
        # The same invitation for everyone who finished: no score is read on this path.
        key = review_key(settings.review_once_per, ctx)
        if await adv.queries.schedule_ask(
            "review", key, customer_id, now + settings.review_delay, ctx.checkin.id
        ):
            log.info("review invitation %s scheduled", key)
    if not settings.ambassadors_enabled:
        return
    answers = await deps.answers.answers_for_checkin(ctx.checkin.id or 0)
    if not is_candidate(answers, settings):
        return
    earlier = await adv.queries.asks_of(customer_id, "ambassador")
    if not may_ask_again(earlier, settings, now):
        log.info("customer %s was asked before; no new ambassador ask", customer_id)
        return
    key = ambassador_key(customer_id, earlier)
    if await adv.queries.schedule_ask(
        "ambassador", key, customer_id, now + settings.ambassador_delay, ctx.checkin.id
    ):
        log.info("ambassador ask %s scheduled", key)
