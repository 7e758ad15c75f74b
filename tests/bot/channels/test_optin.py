"""Opt-in through the real PTB and the local Bot API server: deep link, fallback, lockout."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import ChannelLink, Customer
from tests.bot.channels.harness import Harness


async def test_deep_link_links_the_chat_and_greets_in_the_customers_language(tg: Harness) -> None:
    greeting = await tg.opt_in(1001, "A-1", lang="nl")
    assert greeting["text"].startswith("Hoi Ann! Bedankt voor je bestelling van Washing machine")
    assert "/stop" in greeting["text"] and "rond" in greeting["text"]
    async with tg.bot.db.session() as s:
        link = (await s.execute(select(ChannelLink))).scalar_one()
        customer = (await s.execute(select(Customer))).scalar_one()
    assert link.chat_id == 1001 and link.token_used_at is not None
    assert customer.opt_in_state == "opted_in"


async def test_reused_token_from_another_chat_is_explained(tg: Harness) -> None:
    token = await tg.buy("A-2")
    await tg.send(1002, f"/start {token}")
    since = tg.server.last_seq
    again = await tg.send(1003, f"/start {token}")
    assert "already been used" in again["text"]
    # the linked chat is asked whether to move; the used link alone moves nothing
    asked = await tg.next_message(1002, since, contains="Someone tried")
    assert asked["reply_markup"]["inline_keyboard"]
    same_chat = await tg.send(1002, f"/start {token}")
    assert "already connected" in same_chat["text"]


async def test_unknown_and_expired_tokens(tg: Harness) -> None:
    unknown = await tg.send(1004, "/start not-a-real-token")
    assert "don't recognise that link" in unknown["text"]
    token = await tg.buy("A-3")
    tg.clock.advance(days=31)
    expired = await tg.send(1005, f"/start {token}")
    assert "expired" in expired["text"]


async def test_fallback_linking_with_order_number_and_email(tg: Harness) -> None:
    await tg.buy("A-4", postcode="1234 AB")
    assert "order number" in (await tg.send(1006, "/start"))["text"]
    assert "postcode or e-mail" in (await tg.send(1006, "a-4"))["text"]
    greeting = await tg.send(1006, "1234ab")
    assert greeting["text"].startswith("Hi Ann!")


async def test_wrong_tries_lock_the_chat_out(tg: Harness) -> None:
    await tg.buy("A-5")
    await tg.send(1007, "/start")
    for _ in range(4):
        await tg.send(1007, "A-5")
        assert "couldn't find an order" in (await tg.send(1007, "wrong@example.com"))["text"]
    await tg.send(1007, "A-5")
    locked = await tg.send(1007, "still-wrong@example.com")
    assert "Too many tries" in locked["text"] and "30 minutes" in locked["text"]
    # the right answer does not help while locked
    assert "Too many tries" in (await tg.send(1007, "/start"))["text"]
    tg.clock.advance(minutes=31)
    assert "order number" in (await tg.send(1007, "/start"))["text"]
    await tg.send(1007, "A-5")
    assert "Hi Ann" in (await tg.send(1007, "a-5@example.com"))["text"]


async def test_unlinked_chat_writing_text_is_pointed_to_the_link(tg: Harness) -> None:
    reply = await tg.send(1008, "hello?")
    assert "isn't connected to an order" in reply["text"]


async def test_commands_are_registered_in_both_languages(tg: Harness) -> None:
    en = [c["command"] for c in tg.server.get_commands("en")]
    nl = tg.server.get_commands("nl")
    assert en == ["help", "stop", "language", "mydata", "forget"]
    assert nl[0]["description"] == "Wat ik kan"
    assert tg.server.get_commands("") == tg.server.get_commands("en")


async def test_token_ttl_is_respected_at_the_boundary(tg: Harness) -> None:
    token = await tg.buy("A-6")
    tg.clock.advance(days=30, seconds=-1)  # the default opt_in_token_ttl is 30 days
    ok = await tg.send(1009, f"/start {token}")
    assert ok["text"].startswith("Hi Ann")
