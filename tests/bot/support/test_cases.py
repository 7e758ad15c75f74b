"""Cases open from flagged answers and their card tells support everything."""

from __future__ import annotations

from tests.bot.support.desk_harness import CHANNEL, DeskHarness


async def test_flagged_answer_opens_a_case_with_a_full_card(desk: DeskHarness) -> None:
    await desk.unhappy_customer(3001, "C-1")
    (case,) = await desk.cases()
    assert case.status == "open" and case.open_for_customer == case.customer_id
    assert case.priority in ("high", "urgent") and case.slack_ts
    (card,) = desk.cards()
    assert card["ts"] == case.slack_ts
    text = desk.card_text(card["ts"])
    for expected in (
        f"Case #{case.id}",
        "Ann Smith",
        "English",
        "C-1 · Washing machine",
        "usage",
        "NPS 2 (detractor)",
        "water everywhere",
        "negative",
        "Why flagged",
        "nobody",
    ):
        assert expected in text, expected
    assert desk.buttons(card["ts"]) == ["Claim", "Reply", "Resolve", "Not an issue"]
    # The score opened the case at once; the words that followed updated the card in place.
    kinds = [(m.kind, m.status) for m in await desk.outbox()]
    assert kinds[0] == ("case_card", "sent") and len(kinds) > 1
    assert set(kinds[1:]) == {("card_update", "sent")}
    assert desk.thread(card["ts"]) == []
    # the words joined the card itself: the card does not point to an empty thread
    assert "more flagged" not in desk.card_text(card["ts"])


async def test_later_flagged_words_go_into_the_same_thread(desk: DeskHarness) -> None:
    await desk.unhappy_customer(3002, "C-2")
    since = desk.tg.server.last_seq
    desk.tg.server.push_message(3002, "Also the door handle broke off. This is a disgrace.")
    relayed = await desk.tg.next_message(3002, since)
    assert relayed["text"] == "Thanks, I've passed that on to our support team."
    await desk.settle()
    (case,) = await desk.cases()
    assert len(desk.cards()) == 1
    assert any("door handle broke off" in t for t in desk.thread(case.slack_ts or ""))
    assert case.open_for_customer == case.customer_id


async def test_a_happy_answer_opens_no_case(desk: DeskHarness) -> None:
    await desk.tg.opt_in(3003, "C-3")
    desk.tg.clock.advance(days=14)
    await desk.tg.bot.dispatch()
    since = desk.tg.server.last_seq
    await desk.tg.press(3003, "10")
    await desk.tg.next_message(3003, since, contains="like most")
    await desk.settle()
    assert await desk.cases() == [] and desk.slack.top_level(CHANNEL) == []


async def test_a_complaint_outside_a_check_in_opens_a_case(desk: DeskHarness) -> None:
    await desk.tg.opt_in(3004, "C-4")
    since = desk.tg.server.last_seq
    desk.tg.server.push_message(3004, "My order never arrived and nobody answers. I want a refund!")
    await desk.tg.next_message(3004, since)
    await desk.settle()
    (case,) = await desk.cases()
    text = desk.card_text(case.slack_ts or "")
    assert "written outside a check-in" in text and "I want a refund" in text
    assert "no score" in text


async def test_check_ins_wait_while_a_case_is_open(desk: DeskHarness) -> None:
    await desk.tg.opt_in(3005, "C-5")
    since = desk.tg.server.last_seq
    await desk.tg.bot.dispatch()  # the delivery check-in
    await desk.tg.next_message(3005, since)
    since = desk.tg.server.last_seq
    await desk.tg.press(3005, "1")
    await desk.tg.next_message(3005, since, contains="What went wrong")
    await desk.settle()
    (case,) = await desk.cases()
    desk.tg.clock.advance(days=14)  # the usage check-in is due now
    assert (await desk.tg.bot.dispatch()).sent == 0
    await desk.press("not_an_issue", case.id or 0, case.slack_ts or "")
    assert (await desk.tg.bot.dispatch()).sent == 1
