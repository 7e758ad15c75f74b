"""The desk relay takes a customer's words only when their chat is idle (its table in
handlers/conversation_states.py): an ambassador with an open case who was asked for a
testimonial has their words kept as the testimonial, not relayed; afterwards words go to the
case's thread again."""

from __future__ import annotations

from sqlalchemy import select

from handlers.advocacy.texts import say
from storage.models import AdvocacyAsk, ConversationState
from storage.models import Testimonial as Quote
from tests.bot.support.desk_harness import DeskHarness

WORDS = "Lovely machine once it worked, you may quote me"


async def test_testimonial_words_are_not_relayed_to_an_open_case(desk: DeskHarness) -> None:
    await desk.unhappy_customer(3101, "C-101")
    (case,) = await desk.cases()
    async with desk.tg.bot.db.session() as s:
        ask = AdvocacyAsk(
            dedupe_key=f"ambassador:customer:{case.customer_id}",
            kind="ambassador",
            customer_id=case.customer_id,
            status="answered",
            sent_at=desk.tg.clock.now,
            choices=["testimonial"],
        )
        s.add(ask)
        await s.flush()
        s.add(
            ConversationState(
                channel="telegram",
                chat_id=3101,
                user_id=3101,
                step="testimonial",
                data={"ask_id": ask.id},
            )
        )
    reply = await desk.tg.send(3101, WORDS)
    assert reply["text"] == say("testimonial_consent", "en")
    await desk.settle()
    async with desk.tg.bot.db.session() as s:
        (kept,) = (await s.execute(select(Quote))).scalars().all()
    assert kept.text == WORDS and kept.customer_id == case.customer_id
    assert not any(WORDS in t for t in desk.thread(case.slack_ts or ""))
    # The consent answered, the chat is idle again: words go to the case's thread.
    await desk.tg.press(3101, say("quote_yes", "en"))
    since = desk.tg.server.last_seq
    desk.tg.server.push_message(3101, "And the door handle broke off.")
    await desk.tg.next_message(3101, since, contains="passed that on to our support team")
    await desk.settle()
    assert any("door handle broke off" in t for t in desk.thread(case.slack_ts or ""))
