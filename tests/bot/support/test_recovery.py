"""Service recovery end to end (real PTB and Bolt against the local servers, both backends):
the acknowledgement instead of the cheerful close, and the resolve note with its gesture."""

from __future__ import annotations

import asyncio
import re
from typing import Any

from sqlalchemy import select

from sandbox.local_servers.slack_signing import post_signed, view_submission
from storage.models import CheckIn, VoucherCode
from tests.bot.support.conftest import POOL
from tests.bot.support.desk_harness import SECRET, DeskHarness

CHEERFUL = "Thank you, that's all"


def texts(desk: DeskHarness, chat: int) -> list[str]:
    return [m.get("text") or "" for m in desk.tg.server.messages(chat)]


async def opened(desk: DeskHarness, chat: int, order: str) -> tuple[int, str]:
    await desk.unhappy_customer(chat, order)
    case = (await desk.cases())[-1]
    assert case.id and case.slack_ts
    return case.id, case.slack_ts


async def resolve(
    desk: DeskHarness,
    case_id: int,
    ts: str,
    gesture: str | None,
    *,
    user: str = "U0ANNA",
    edit: Any = None,
) -> Any:
    """Press Resolve, read the prefilled message from the opened form, submit it."""
    await desk.press("resolve", case_id, ts, user=user)
    view = desk.slack.opened_views[-1]
    (block,) = [b for b in view["blocks"] if b.get("block_id") == "message"]
    message = block["element"].get("initial_value", "")
    values: dict[str, Any] = {
        "note": "New door fitted",
        "message": edit(message) if edit else message,
    }
    if gesture:
        values["gesture"] = {"type": "static_select", "selected_option": {"value": gesture}}
    return await desk.submit("resolve", case_id, values, user=user)


# --- the acknowledgement ---------------------------------------------------------------------


async def test_an_answer_that_opens_a_case_gets_the_acknowledgement_not_the_cheerful_close(
    desk: DeskHarness,
) -> None:
    await desk.unhappy_customer(4101, "R-1")
    said = texts(desk, 4101)
    # NPS 2 opened the case at the first question; the check-in still went on to the end, and
    # only its last word changed.
    assert any("What went wrong" in t for t in said) and any("How easy" in t for t in said)
    last = said[-1]
    assert CHEERFUL not in "\n".join(said)
    # Monday 7 Dec (14 days on), 10:00 in Amsterdam, within business hours: the target is 60m.
    assert last == (
        "Thank you for telling us, Ann, and I'm sorry it went wrong. I've passed this on to "
        "a colleague, who will get back to you within an hour."
    )
    assert not any("get back to you" in t for t in said[:-1])
    (case,) = await desk.cases()
    assert case.status == "open"
    async with desk.tg.bot.db.session() as s:
        found = await s.execute(select(CheckIn).where(CheckIn.touchpoint == "usage"))
        (checkin,) = found.scalars().all()
    assert checkin.status == "answered"  # the check-in completed


async def test_dutch_customer_on_saturday_hears_monday_in_dutch(desk: DeskHarness) -> None:
    tg = desk.tg
    await tg.opt_in(4102, "R-2", lang="nl")
    tg.clock.advance(days=12)  # Saturday 5 Dec, 10:00 in Amsterdam: nobody at work
    await tg.bot.dispatch()
    since = tg.server.last_seq
    await tg.press(4102, "1")
    await tg.next_message(4102, since, contains="Wat ging er mis")
    since = tg.server.last_seq
    tg.server.push_message(4102, "De deur is kapot en ik wil mijn geld terug!", language_code="nl")
    await tg.next_message(4102, since, contains="Hoe makkelijk")
    since = tg.server.last_seq
    await tg.press(4102, "2")
    ack = await tg.next_message(4102, since)
    assert ack["text"] == (
        "Dank je dat je het ons laat weten, Ann, en sorry dat het misging. Ik heb het "
        "doorgegeven aan een collega, die op maandag voor 10:00 contact met je opneemt."
    )
    assert not any("Dank je wel, dat was het" in t for t in texts(desk, 4102))


async def test_a_happy_check_in_still_ends_with_the_cheerful_close(desk: DeskHarness) -> None:
    tg = desk.tg
    await tg.opt_in(4103, "R-3")
    tg.clock.advance(days=14)
    await tg.bot.dispatch()
    since = tg.server.last_seq
    await tg.press(4103, "10")
    await tg.next_message(4103, since, contains="What did you like")
    since = tg.server.last_seq
    tg.server.push_message(4103, "Quiet and it cleans well")
    await tg.next_message(4103, since, contains="How easy")
    since = tg.server.last_seq
    await tg.press(4103, "7")
    done = await tg.next_message(4103, since)
    assert done["text"].startswith(CHEERFUL)
    assert await desk.cases() == []


async def test_words_outside_a_check_in_that_open_a_case_get_the_acknowledgement(
    desk: DeskHarness,
) -> None:
    tg = desk.tg
    await tg.opt_in(4104, "R-4")
    reply = await tg.send(4104, "The machine is broken and leaking, I want a refund!")
    assert "will get back to you within an hour" in reply["text"]
    assert "passed it on" not in reply["text"]
    await desk.settle()
    (case,) = await desk.cases()
    assert case.status == "open"
    # Once the case is open, more words go to its thread and the customer hears who has it.
    reply = await tg.send(4104, "Any news?")
    assert "passed that on to our support team" in reply["text"]


async def test_a_claimed_case_names_the_colleague(desk: DeskHarness) -> None:
    tg = desk.tg
    await tg.opt_in(4105, "R-5")
    await tg.send(4105, "The machine is broken and leaking, I want a refund!")
    await desk.settle()
    (case,) = await desk.cases()
    await desk.press("claim", case.id or 0, case.slack_ts or "")
    # A second flagged message while the case is open is relayed, not acknowledged again: the
    # acknowledgement goes with the answer that opens or joins the case.
    reply = await tg.send(4105, "It is still leaking!")
    assert "passed that on to Anna" in reply["text"]


# --- the resolve note and the gesture --------------------------------------------------------


async def test_resolve_sends_the_note_with_a_pool_voucher_once(desk: DeskHarness) -> None:
    case_id, ts = await opened(desk, 4201, "R-11")
    await desk.press("claim", case_id, ts)
    since = desk.tg.server.last_seq
    response = await resolve(desk, case_id, ts, "Voucher €10")
    assert response.status_code == 200 and response.text == ""
    note = await desk.tg.next_message(4201, since)
    assert note["text"] == (
        "Hi Ann, thank you for your patience. We have looked into your Washing machine and "
        "sorted it out for you.\n\nHere is a €10 voucher for your next order: SORRY-AAA111"
        "\n\n— Anna, customer support"
    )
    (case,) = await desk.cases()
    assert case.status == "resolved" and case.gesture == "Voucher €10"
    assert case.gesture_code == "SORRY-AAA111" and case.note_delivery == "sent"
    assert case.customer_note == note["text"]
    card = desk.card_text(ts)
    assert "voucher code `SORRY-AAA111`" in card and "Sent to the customer" in card
    assert "> Here is a €10 voucher for your next order: SORRY-AAA111" in card
    assert any("sent to the customer" in t and "SORRY-AAA111" in t for t in desk.thread(ts))
    # A second submit of the same form (a double click, a stale modal) sends nothing more.
    since = desk.tg.server.last_seq
    values = {"note": "again", "gesture": {"selected_option": {"value": "Voucher €10"}}}
    again = await desk.submit("resolve", case_id, values)
    assert "already closed" in again.json()["errors"]["note"]
    await asyncio.sleep(0.1)
    assert [m for m in desk.tg.server.messages(4201) if m["message_id"] > 0][-1] == note
    assert desk.tg.server.last_seq == since
    async with desk.tg.bot.db.session() as s:
        codes = (await s.execute(select(VoucherCode).order_by(VoucherCode.id))).scalars().all()
    assert [(c.code, c.case_id) for c in codes] == [(POOL[0], case_id), (POOL[1], None)]
    # /forget erases the note (it greets the customer by name); the code stays spent.
    since = desk.tg.server.last_seq
    desk.tg.server.push_message(4201, "/forget")
    await desk.tg.next_message(4201, since, contains="Are you sure")
    since = desk.tg.server.last_seq
    await desk.tg.press(4201, "Yes, erase my data")
    await desk.tg.next_message(4201, since, contains="erased")
    (case,) = await desk.cases()
    assert case.customer_note is None and case.gesture_code == POOL[0]


async def test_the_prefilled_message_is_in_the_customers_language_and_editable(
    desk: DeskHarness,
) -> None:
    tg = desk.tg
    await tg.opt_in(4202, "R-12", lang="nl")
    reply = await tg.send(4202, "Het apparaat is kapot, ik wil mijn geld terug!", lang="nl")
    assert "contact met je opneemt" in reply["text"]
    await desk.settle()
    (case,) = await desk.cases()
    since = tg.server.last_seq
    await resolve(
        desk,
        case.id or 0,
        case.slack_ts or "",
        "Voucher €25",
        edit=lambda m: m + " Een monteur komt morgen.",
    )
    note = await tg.next_message(4202, since)
    assert note["text"].startswith(
        "Hoi Ann, bedankt voor je geduld. We hebben naar je Washing machine gekeken en het voor "
        "je opgelost. Een monteur komt morgen.\n\nAls klein gebaar van ons krijg je deze "
        "vouchercode: WB25-"
    )
    assert note["text"].endswith("\n\n— Anna, klantenservice")
    code = re.search(r"WB25-[A-Z0-9]{4}-[A-Z0-9]{4}", note["text"])
    assert code is not None
    (case,) = await desk.cases()
    assert case.gesture_code == code.group(0)


async def test_two_cases_resolved_at_once_get_two_different_codes(desk: DeskHarness) -> None:
    first, ts1 = await opened(desk, 4203, "R-13")
    await desk.press("not_an_issue", first, ts1)  # the customer may open a second case now
    await desk.unhappy_customer(4204, "R-14")
    cases = await desk.cases()
    a, b = cases[-1], None
    await desk.tg.opt_in(4205, "R-15")
    await desk.tg.send(4205, "Broken on arrival, I want my money back!")
    await desk.settle()
    b = (await desk.cases())[-1]
    assert a.id != b.id

    def submit(case_id: int, user: str) -> Any:
        body = view_submission(
            callback_id="case_form_resolve",
            private_metadata=str(case_id),
            values={
                "note": {"note": "Sorted"},
                "message": {"message": "So sorry."},
                "gesture": {"gesture": {"selected_option": {"value": "Voucher €10"}}},
            },
            user_id=user,
        )
        return post_signed("/slack/events", body, secret=SECRET, client=desk.http)

    await asyncio.gather(submit(a.id or 0, "U0ANNA"), submit(b.id or 0, "U0BOB"))
    await desk.settle()
    resolved = {c.id: c for c in await desk.cases()}
    codes = {resolved[a.id].gesture_code, resolved[b.id].gesture_code}  # type: ignore[index]
    assert codes == set(POOL)
    for chat, case in ((4204, resolved[a.id]), (4205, resolved[b.id])):  # type: ignore[index]
        notes = [t for t in texts(desk, chat) if "€10 voucher" in t]
        assert notes == [case.customer_note] and case.gesture_code in notes[0]


async def test_two_staff_resolving_the_same_case_at_once_one_wins(desk: DeskHarness) -> None:
    case_id, _ = await opened(desk, 4206, "R-16")

    def submit(user: str) -> Any:
        body = view_submission(
            callback_id="case_form_resolve",
            private_metadata=str(case_id),
            values={
                "note": {"note": f"Sorted by {user}"},
                "message": {"message": f"Message from {user}"},
                "gesture": {"gesture": {"selected_option": {"value": "Voucher €10"}}},
            },
            user_id=user,
        )
        return post_signed("/slack/events", body, secret=SECRET, client=desk.http)

    responses = await asyncio.gather(submit("U0ANNA"), submit("U0BOB"))
    await desk.settle()
    refused = [r for r in responses if r.text]
    assert len(refused) == 1 and "already closed" in refused[0].json()["errors"]["note"]
    notes = [t for t in texts(desk, 4206) if "€10 voucher" in t]
    assert len(notes) == 1
    async with desk.tg.bot.db.session() as s:
        handed = (
            (await s.execute(select(VoucherCode).where(VoucherCode.case_id.is_not(None))))
            .scalars()
            .all()
        )
    assert [c.code for c in handed] == [POOL[0]] and POOL[0] in notes[0]


async def test_an_empty_pool_is_a_clear_message_to_staff_and_the_case_stays_open(
    desk: DeskHarness,
) -> None:
    ids = []
    for i, chat in enumerate((4207, 4208, 4209)):
        await desk.tg.opt_in(chat, f"R-2{i}")
        await desk.tg.send(chat, "Broken on arrival, I want my money back!")
        await desk.settle()
        case = (await desk.cases())[-1]
        ids.append((case.id or 0, case.slack_ts or ""))
    for case_id, ts in ids[:2]:
        await resolve(desk, case_id, ts, "Voucher €10")
    since = desk.tg.server.last_seq
    response = await resolve(desk, *ids[2], "Voucher €10")
    assert response.status_code == 200
    error = response.json()["errors"]["gesture"]
    assert "No voucher codes left for “Voucher €10”" in error and "still open" in error
    third = (await desk.cases())[-1]
    assert third.status == "open" and third.gesture_code is None
    await asyncio.sleep(0.1)
    assert desk.tg.server.last_seq == since  # nothing went to the customer
    await resolve(desk, *ids[2], "Handwritten card")  # another gesture still works
    assert (await desk.cases())[-1].status == "resolved"


async def test_a_customer_who_blocked_the_bot_gets_nothing_and_the_code_goes_back(
    desk: DeskHarness,
) -> None:
    case_id, ts = await opened(desk, 4210, "R-30")
    desk.tg.server.block(4210)
    before = len(desk.tg.server.messages(4210))
    await resolve(desk, case_id, ts, "Voucher €10")
    (case,) = await desk.cases()
    assert case.status == "resolved" and case.note_delivery == "blocked"
    assert case.gesture_code is None
    assert len(desk.tg.server.messages(4210)) == before
    card = desk.card_text(ts)
    assert "Nothing reached the customer:* the customer has blocked the bot" in card
    assert any("went back to the pool" in t for t in desk.thread(ts))
    async with desk.tg.bot.db.session() as s:
        free = (
            (await s.execute(select(VoucherCode.code).where(VoucherCode.case_id.is_(None))))
            .scalars()
            .all()
        )
    assert sorted(free) == POOL
    # The customer is known to be unreachable now: a Reply form would say so at once.
    assert (await desk.tg.bot.repos.cases.customer_chat(case.customer_id))[0].opt_in_state == (  # type: ignore[index]
        "unreachable"
    )


async def test_a_customer_who_erased_their_data_gets_nothing(desk: DeskHarness) -> None:
    case_id, ts = await opened(desk, 4211, "R-31")
    await desk.press("resolve", case_id, ts)  # the form is open while the customer erases
    tg = desk.tg
    since = tg.server.last_seq
    tg.server.push_message(4211, "/forget")
    await tg.next_message(4211, since, contains="Are you sure")
    since = tg.server.last_seq
    await tg.press(4211, "Yes, erase my data")
    await tg.next_message(4211, since, contains="erased")
    await desk.settle()
    before = len(tg.server.messages(4211))
    values = {
        "note": {"note": "Sorted"},
        "message": {"message": "So sorry."},
        "gesture": {"gesture": {"selected_option": {"value": "Voucher €10"}}},
    }
    body = view_submission(
        callback_id="case_form_resolve", private_metadata=str(case_id), values=values
    )
    response = await post_signed("/slack/events", body, secret=SECRET, client=desk.http)
    await desk.settle()
    assert "already closed" in response.json()["errors"]["note"]
    assert len(tg.server.messages(4211)) == before
    assert "erased their data" in desk.card_text(ts)
    async with desk.tg.bot.db.session() as s:
        handed = (
            await s.execute(select(VoucherCode).where(VoucherCode.case_id.is_not(None)))
        ).first()
    assert handed is None


async def test_telegram_away_queues_the_note_with_its_code_and_delivers_it_later(
    desk: DeskHarness,
) -> None:
    case_id, ts = await opened(desk, 4212, "R-32")
    desk.tg.server.set_unavailable(True)
    try:
        response = await resolve(desk, case_id, ts, "Voucher €10")
    finally:
        desk.tg.server.set_unavailable(False)
    assert response.status_code == 200  # resolved; the form closes
    (case,) = await desk.cases()
    assert case.status == "resolved" and case.note_delivery == "queued"
    assert case.gesture_code == POOL[0]  # kept with the case
    assert "Queued for the customer" in desk.card_text(ts)
    assert any("queued" in t and POOL[0] in t for t in desk.thread(ts))
    # Telegram is back: the customers' outbox delivers the note, with its code, once
    before = len(desk.tg.server.messages(4212))
    desk.tg.clock.advance(minutes=5)
    assert await desk.tg.bot.deliver_customer_messages() == 1
    assert await desk.tg.bot.deliver_customer_messages() == 0
    (note,) = desk.tg.server.messages(4212)[before:]
    assert POOL[0] in note["text"]


async def test_the_managers_cases_figure_counts_gestures_and_recovered(desk: DeskHarness) -> None:
    from sandbox.local_servers.slack_signing import slash_command

    case_id, ts = await opened(desk, 4213, "R-33")
    await desk.press("claim", case_id, ts)
    await resolve(desk, case_id, ts, "Voucher €10")
    tg = desk.tg
    tg.clock.advance(days=3)  # the recovery check-in, survey fatigue allowing
    since = tg.server.last_seq
    await tg.bot.dispatch()
    await tg.next_message(4213, since, contains="Did we fix it?")
    since = tg.server.last_seq
    await tg.press(4213, "Yes")
    await tg.next_message(4213, since, contains="recommend")
    since = tg.server.last_seq
    await tg.press(4213, "10")
    await tg.next_message(4213, since, contains="Thank you")
    await desk.settle()
    assert (await desk.cases())[0].recovered is True
    body = slash_command(
        command="/mentor",
        text="cases 30d",
        user_id="U0BOSS",
        channel_id="C0SUPPORT",
        response_url=desk.slack.new_response_url("C0SUPPORT", user="U0BOSS"),
    )
    await post_signed("/slack/events", body, secret=SECRET, client=desk.http)
    await desk.slack.wait_for("response_url", timeout=5)
    (post,) = desk.slack.response_posts
    assert post.body["response_type"] == "in_channel"  # plain figures
    assert (
        "Goodwill gestures given 1 (+1); came back as promoters 1 of 1 asked" in post.body["text"]
    )
