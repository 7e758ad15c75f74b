"""Nobody takes over a customer's chat with an order number: real PTB, local Bot API server.

An order number and the e-mail on it are printed on parcels; only the deep link's one-time
token, or a tap in the chat linked now, moves a customer to another Telegram account.
"""

from __future__ import annotations

from sqlalchemy import select, update

from storage.models import ChannelLink, CheckIn, CheckInStatus
from tests.bot.channels.harness import Harness

OWNER, STRANGER, NEW_PHONE = 3001, 3002, 3003


async def _linked_chat(tg: Harness) -> int | None:
    async with tg.bot.db.session() as s:
        return (await s.execute(select(ChannelLink.chat_id))).scalar_one()


async def _try_order(tg: Harness, chat: int, order: str, proof: str) -> dict:
    await tg.send(chat, "/start")
    await tg.send(chat, order)
    return await tg.send(chat, proof)


async def test_order_number_and_email_never_move_a_linked_customer(tg: Harness) -> None:
    await tg.opt_in(OWNER, "T-1")
    since = tg.server.last_seq
    reply = await _try_order(tg, STRANGER, "T-1", "t-1@example.com")
    assert "already connected to another Telegram account" in reply["text"]
    for personal in ("Ann", "Smith", "Washing machine", "t-1@example.com"):
        assert personal not in reply["text"]
    assert await _linked_chat(tg) == OWNER
    warned = await tg.next_message(OWNER, since, contains="Someone tried")
    labels = [b["text"] for row in warned["reply_markup"]["inline_keyboard"] for b in row]
    assert labels == ["Move to the new account", "That wasn't me"]
    # the stranger's chat shows nothing personal, the customer's own chat still works
    assert "isn't connected" in (await tg.send(STRANGER, "/mydata"))["text"]
    assert tg.server.documents(STRANGER) == []
    await tg.send(OWNER, "/mydata")
    (doc,) = tg.server.documents(OWNER)
    assert b"t-1@example.com" in doc.data
    # asking again at once does not flood the customer with requests
    before = len(tg.server.messages(OWNER))
    await _try_order(tg, STRANGER, "T-1", "t-1@example.com")
    await tg.settle()
    assert len(tg.server.messages(OWNER)) == before


async def test_only_the_linked_chat_can_confirm_a_move(tg: Harness) -> None:
    await tg.opt_in(OWNER, "T-2")
    await _try_order(tg, STRANGER, "T-2", "t-2@example.com")
    await tg.settle()
    request = tg.last_keyboard_message(OWNER)
    yes = request["reply_markup"]["inline_keyboard"][0][0]["callback_data"]
    # the stranger forges the owner's button on a message in their own chat
    own = tg.server.messages(STRANGER)[-1]["message_id"]
    forged = await tg.press_data(STRANGER, own, yes)
    assert forged.get("text") == "That button is no longer active."
    assert await _linked_chat(tg) == OWNER
    # the owner says no: nothing changes
    since = tg.server.last_seq
    await tg.press(OWNER, "That wasn't me")
    await tg.server.wait_for("editMessageText", since=since)
    assert "nothing changed" in tg.server.message(OWNER, request["message_id"])["text"]
    assert await _linked_chat(tg) == OWNER


async def test_the_linked_chat_moves_the_customer_to_a_new_phone(tg: Harness) -> None:
    await tg.opt_in(OWNER, "T-3")
    await _try_order(tg, NEW_PHONE, "T-3", "t-3@example.com")
    await tg.settle()
    since = tg.server.last_seq
    await tg.press(OWNER, "Move to the new account")
    greeting = await tg.next_message(NEW_PHONE, since, contains="Hi Ann")
    assert "Thanks for your order of Washing machine" in greeting["text"]
    assert await _linked_chat(tg) == NEW_PHONE
    assert "isn't connected" in (await tg.send(OWNER, "/mydata"))["text"]
    # pressing again in the old chat does nothing
    request = tg.server.messages(OWNER)[-2]
    assert "no longer connected" in request["text"]


async def test_the_deep_link_moves_a_customer_linked_by_order_number(tg: Harness) -> None:
    token = await tg.buy("T-4")
    assert "Hi Ann" in (await _try_order(tg, OWNER, "T-4", "t-4@example.com"))["text"]
    since = tg.server.last_seq
    greeting = await tg.send(NEW_PHONE, f"/start {token}")
    assert greeting["text"].startswith("Hi Ann!")
    assert await _linked_chat(tg) == NEW_PHONE
    moved = await tg.next_message(OWNER, since, contains="another Telegram account")
    assert "no longer connected" in moved["text"]
    # the token was used now: it cannot move the customer again
    again = await tg.send(STRANGER, f"/start {token}")
    assert "already been used" in again["text"]
    assert await _linked_chat(tg) == NEW_PHONE


async def test_wrong_tries_from_many_chats_lock_the_order(tg: Harness) -> None:
    await tg.buy("T-5")
    for chat in range(4000, 4005):  # five chats, one wrong e-mail each
        reply = await _try_order(tg, chat, "T-5", f"guess{chat}@example.com")
        assert "couldn't find an order" in reply["text"]
    locked = await _try_order(tg, 4010, "T-5", "t-5@example.com")
    assert "Too many tries for this order" in locked["text"]
    assert await _linked_chat(tg) is None
    tg.clock.advance(minutes=31)
    assert "Hi Ann" in (await _try_order(tg, 4010, "T-5", "t-5@example.com"))["text"]


async def test_greeting_without_a_scheduled_checkin_names_the_product(tg: Harness) -> None:
    token = await tg.buy("T-6")
    async with tg.bot.db.session() as s:
        await s.execute(update(CheckIn).values(status=CheckInStatus.EXPIRED))
    greeting = await tg.send(OWNER, f"/start {token}")
    assert "Thanks for your order of Washing machine" in greeting["text"]
    assert "your order of your order" not in greeting["text"]
    assert "after your next purchase" in greeting["text"]
