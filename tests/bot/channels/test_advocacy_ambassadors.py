"""Ambassador asks end to end: asked once and politely, each answer, consent, a no respected,
forged buttons refused."""

from __future__ import annotations

import re

from sqlalchemy import select

from storage.models import CheckIn, TrackedLink
from storage.models import Testimonial as Quote
from tests.bot.channels.advocacy_helpers import (
    advocacy_harness,  # noqa: F401  (the fixture h)
    asks,
    buy_and_opt_in,
    customer,
    finish_usage,
    later,
    round_,
    texts,
)
from tests.bot.channels.harness import Harness

STALE = "That button is no longer active."
HAPPY = "Fantastic machine, so quiet, and the installer was lovely!"


async def ambassador_ask(h: Harness, chat: int, order: str, name: str = "Ann Smith") -> int:
    """A promoter with positive words finishes the usage check-in and gets the ask."""
    customer_id = await buy_and_opt_in(h, chat, order, name)
    await finish_usage(h, chat, "10", HAPPY)
    assert sorted(a.kind for a in await asks(h, customer_id)) == ["ambassador", "review"]
    later(h, days=3)
    report = await round_(h)
    assert report.reviews_sent == 1 and report.ambassador_asks_sent == 0  # one ask at a time
    later(h, days=3)
    report = await round_(h)
    assert report.ambassador_asks_sent == 1
    return customer_id


def ask_message(h: Harness, chat: int) -> dict:
    return h.last_keyboard_message(chat)


async def test_a_promoter_is_asked_once_and_takes_every_offer(h: Harness) -> None:
    customer_id = await ambassador_ask(h, 4001, "A-1")
    message = ask_message(h, 4001)
    assert message["text"].startswith("Ann, thank you for your kind words about your Washing")
    assert "won't ask again" in message["text"]
    labels = [b["text"] for row in message["reply_markup"]["inline_keyboard"] for b in row]
    assert labels == [
        "🔗 A link to share with friends",
        "💬 Write a testimonial",
        "🧪 Join the product panel",
        "No thanks",
    ]
    # referral: a personal link through /r/ and a code for checkout
    since = h.server.last_seq
    await h.press(4001, "🔗 A link to share with friends")
    link_text = (await h.next_message(4001, since))["text"]
    code = re.search(r"https://bot\.example/r/([a-z0-9]{8})", link_text).group(1)  # type: ignore[union-attr]
    assert f"enter the code {code}" in link_text
    async with h.bot.db.session() as s:
        link = await s.get(TrackedLink, code)
    assert link is not None and link.customer_id == customer_id and link.kind == "referral"
    assert link.target_url == f"https://shop.example/welcome?ref={code}"
    assert (await customer(h, customer_id)).segment == "ambassador"
    # the same link on a second press
    since = h.server.last_seq
    await h.press_data(4001, message["message_id"], f"adv:{(await asks(h))[1].id}:referral")
    assert code in (await h.next_message(4001, since))["text"]
    # testimonial: words first, then explicit consent, stored with its date
    since = h.server.last_seq
    await h.press(4001, "💬 Write a testimonial")
    assert "in your own words" in (await h.next_message(4001, since))["text"]
    consent = await h.send(4001, "Best washing machine I have owned. Quiet and quick.")
    assert consent["text"].startswith("Thank you! May we quote these words")
    async with h.bot.db.session() as s:
        (row,) = (await s.execute(select(Quote))).scalars().all()
    assert row.consent is False and row.text.startswith("Best washing machine")
    since = h.server.last_seq
    await h.press(4001, "Yes, you may quote me")
    assert (await h.next_message(4001, since))["text"].startswith("Thank you, Ann!")
    async with h.bot.db.session() as s:
        (row,) = (await s.execute(select(Quote))).scalars().all()
    assert row.consent is True and row.consent_at == h.clock.now and row.language == "en"
    assert row.customer_id == customer_id
    # the consent button works once
    again = await h.press_data(
        4001, consent["message_id"], f"adv:{(await asks(h))[1].id}:quote_yes"
    )
    assert again.get("text") == STALE
    # panel
    since = h.server.last_seq
    await h.press(4001, "🧪 Join the product panel")
    assert "Welcome to the product panel" in (await h.next_message(4001, since))["text"]
    ambassador = [a for a in await asks(h) if a.kind == "ambassador"]
    assert len(ambassador) == 1
    assert ambassador[0].status == "answered"
    assert ambassador[0].choices == ["referral", "testimonial", "panel"]


async def test_a_no_is_respected_for_good(h: Harness) -> None:
    customer_id = await ambassador_ask(h, 4002, "A-2", "Bea Klein")
    message = ask_message(h, 4002)
    since = h.server.last_seq
    await h.press(4002, "No thanks")
    reply = await h.next_message(4002, since, contains="No problem")
    assert reply["text"] == "No problem at all, I won't ask again. Thanks for being our customer!"
    edited = h.server.message(4002, message["message_id"])
    assert edited["text"] == "✔ No thanks" and not edited.get("reply_markup")
    (ask,) = [a for a in await asks(h, customer_id) if a.kind == "ambassador"]
    assert ask.status == "declined" and ask.answered_at == h.clock.now
    # Another happy check-in a year later: no second ask.
    later(h, days=365)
    async with h.bot.db.session() as s:
        checkin_id = (
            await s.execute(select(CheckIn.id).where(CheckIn.touchpoint == "usage"))
        ).scalar_one()
    ctx = await h.bot.repos.checkins.checkin_context(checkin_id)
    assert ctx is not None and h.bot.deps is not None
    for finished in h.bot.deps.after_checkin:
        await finished(h.bot.deps, ctx)
    assert [a.kind for a in await asks(h, customer_id)].count("ambassador") == 1
    later(h, days=10)
    assert (await round_(h)).ambassador_asks_sent == 0
    # Pressing an offer on the old ask now is stale.
    answer = await h.press_data(4002, message["message_id"], f"adv:{ask.id}:referral")
    assert answer.get("text") == STALE
    async with h.bot.db.session() as s:
        kinds = [link.kind for link in (await s.execute(select(TrackedLink))).scalars()]
    assert "referral" not in kinds


async def test_a_detractor_or_a_plain_promoter_gets_no_ambassador_ask(h: Harness) -> None:
    unhappy = await buy_and_opt_in(h, 4003, "A-3", "Cas Dijk")
    await finish_usage(h, 4003, "3", "It leaks water and nobody answers my mails")
    quiet = await buy_and_opt_in(h, 4004, "A-4", "Dee Berg")
    await finish_usage(h, 4004, "9", "ok")
    assert [a.kind for a in await asks(h, unhappy)] == ["review"]
    assert [a.kind for a in await asks(h, quiet)] == ["review"]


async def test_forged_and_foreign_buttons_change_nothing(h: Harness) -> None:
    customer_id = await ambassador_ask(h, 4005, "A-5", "Eli Vos")
    (ask,) = [a for a in await asks(h, customer_id) if a.kind == "ambassador"]
    mid = ask_message(h, 4005)["message_id"]
    for data in (
        f"adv:{ask.id + 999}:referral",
        f"adv:{ask.id}:bogus",
        f"adv:{ask.id}:quote_yes",  # no testimonial is waiting for consent
        "adv:x:referral",
        f"adv:{ask.id}:referral:extra",
        "adv:" + "9" * 40 + ":panel",
        f"adv:{(await asks(h, customer_id))[0].id}:referral",  # the review invitation
    ):
        answer = await h.press_data(4005, mid, data)
        assert answer.get("text") == STALE, data
    # Someone else's chat pressing this customer's ask
    greeting = await h.opt_in(4006, "A-6")
    other = await h.press_data(4006, greeting["message_id"], f"adv:{ask.id}:referral")
    assert other.get("text") == STALE
    (ask,) = [a for a in await asks(h, customer_id) if a.kind == "ambassador"]
    assert ask.status == "sent" and ask.choices == []
    async with h.bot.db.session() as s:
        kinds = [link.kind for link in (await s.execute(select(TrackedLink))).scalars()]
    assert "referral" not in kinds
    # Two weeks later the ask has lapsed: its buttons are stale and it counts as unanswered.
    later(h, days=15)
    await round_(h)
    answer = await h.press_data(4005, mid, f"adv:{ask.id}:panel")
    assert answer.get("text") == STALE
    (ask,) = [a for a in await asks(h, customer_id) if a.kind == "ambassador"]
    assert ask.status == "expired"


async def test_testimonial_words_are_kept_even_without_consent(h: Harness) -> None:
    customer_id = await ambassador_ask(h, 4007, "A-7", "Fay Mol")
    since = h.server.last_seq
    await h.press(4007, "💬 Write a testimonial")
    await h.next_message(4007, since, contains="own words")
    await h.send(4007, "Lovely machine, but please don't publish my name")
    since = h.server.last_seq
    await h.press(4007, "No, keep it private")
    reply = await h.next_message(4007, since, contains="publish")
    assert reply["text"].startswith("Understood: we won't publish your words.")
    async with h.bot.db.session() as s:
        (row,) = (await s.execute(select(Quote))).scalars().all()
    assert row.consent is False and row.consent_at is None and row.customer_id == customer_id
    # Words written afterwards are an ordinary message again, not a testimonial.
    reply = await h.send(4007, "One more thing about the delivery")
    assert reply["text"] == "Thanks for your message, we've passed it on."
    assert "Understood" in texts(h, 4007)[-2]
