"""Claim, Reply, Resolve, Not an issue, and the relay both ways, through signed requests."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select

from sandbox.local_servers.slack_signing import block_actions, post_signed
from storage.models import CheckIn
from tests.bot.support.desk_harness import CHANNEL, SECRET, DeskHarness


async def opened(desk: DeskHarness, chat: int, order: str) -> tuple[int, str]:
    await desk.unhappy_customer(chat, order)
    (case,) = await desk.cases()
    assert case.id and case.slack_ts
    return case.id, case.slack_ts


async def test_claim_updates_the_card_and_a_second_claim_learns_the_owner(
    desk: DeskHarness,
) -> None:
    case_id, ts = await opened(desk, 3101, "D-1")
    response = await desk.press("claim", case_id, ts)
    assert response.status_code == 200
    (case,) = await desk.cases()
    assert case.status == "claimed" and case.owner == "U0ANNA"
    assert "<@U0ANNA>" in desk.card_text(ts) and "Claimed" in desk.card_text(ts)
    assert desk.buttons(ts) == ["Take over", "Reply", "Resolve", "Not an issue"]
    await desk.press("claim", case_id, ts, user="U0BOB", name="bob")
    notice = desk.slack.ephemerals[-1]
    assert notice["user"] == "U0BOB" and "already claimed by <@U0ANNA>" in notice["text"]
    assert "Take over" in notice["text"]
    assert (await desk.cases())[0].owner == "U0ANNA"


async def test_a_colleague_takes_a_claimed_case_over_and_the_thread_says_from_whom(
    desk: DeskHarness,
) -> None:
    case_id, ts = await opened(desk, 3111, "D-11")
    await desk.press("claim", case_id, ts)
    await desk.press("take_over", case_id, ts, user="U0BOB", name="bob")
    (case,) = await desk.cases()
    assert case.owner == "U0BOB" and case.status == "claimed"
    assert "<@U0BOB>" in desk.card_text(ts)
    assert any("<@U0BOB> took over from <@U0ANNA>" in line for line in desk.thread(ts))
    await desk.press("take_over", case_id, ts, user="U0BOB", name="bob")
    assert "You already have case" in desk.slack.ephemerals[-1]["text"]
    await desk.press("not_an_issue", case_id, ts, user="U0BOB", name="bob")
    await desk.press("take_over", case_id, ts)
    assert "closed" in desk.slack.ephemerals[-1]["text"]
    assert (await desk.cases())[0].owner == "U0BOB"


async def test_two_people_claim_at_the_same_moment_and_one_gets_it(desk: DeskHarness) -> None:
    case_id, ts = await opened(desk, 3102, "D-2")

    def press(user: str) -> object:
        body = block_actions(
            action_id="case_claim",
            value=str(case_id),
            channel_id=CHANNEL,
            message_ts=ts,
            user_id=user,
        )
        return post_signed("/slack/events", body, secret=SECRET, client=desk.http)

    responses = await asyncio.gather(press("U0ANNA"), press("U0BOB"))
    assert [r.status_code for r in responses] == [200, 200]  # type: ignore[attr-defined]
    await desk.settle()
    (case,) = await desk.cases()
    assert case.owner in ("U0ANNA", "U0BOB")
    loser = "U0BOB" if case.owner == "U0ANNA" else "U0ANNA"
    notices = [e for e in desk.slack.ephemerals if e["user"] == loser]
    assert len(notices) == 1 and f"<@{case.owner}>" in notices[0]["text"]


async def test_reply_modal_goes_to_the_customer_signed_and_the_answer_comes_back(
    desk: DeskHarness,
) -> None:
    case_id, ts = await opened(desk, 3103, "D-3")
    await desk.press("reply", case_id, ts)
    (view,) = desk.slack.opened_views
    assert view["callback_id"] == "case_form_reply" and view["private_metadata"] == str(case_id)
    since = desk.tg.server.last_seq
    response = await desk.submit(
        "reply", case_id, {"message": "So sorry! A new hose is on its way."}
    )
    assert response.status_code == 200 and response.text == ""
    sent = await desk.tg.next_message(3103, since)
    assert sent["text"] == "So sorry! A new hose is on its way.\n\n— Anna, customer support"
    case = await desk.case_where(lambda c: c.status != "open")
    assert case.status == "waiting_on_customer" and case.owner == "U0ANNA"
    assert any("A new hose" in t for t in desk.thread(ts))
    assert "Waiting on the customer" in desk.card_text(ts)
    since = desk.tg.server.last_seq
    desk.tg.server.push_message(3103, "Thank you, when will it arrive?")
    ack = await desk.tg.next_message(3103, since)
    assert ack["text"] == "Thanks, I've passed that on to Anna."
    await desk.settle()
    assert any("when will it arrive?" in t for t in desk.thread(ts))
    assert (await desk.cases())[0].status == "claimed"


async def test_empty_reply_is_refused_in_the_modal(desk: DeskHarness) -> None:
    case_id, _ts = await opened(desk, 3104, "D-4")
    since = desk.tg.server.last_seq
    response = await desk.submit("reply", case_id, {"message": "   "})
    assert response.json() == {
        "response_action": "errors",
        "errors": {"message": "Write something to send."},
    }
    await asyncio.sleep(0.05)
    assert desk.tg.server.last_seq == since  # nothing went to the customer
    assert (await desk.cases())[0].status == "open"


async def test_thread_replies_are_relayed_but_internal_notes_are_not(desk: DeskHarness) -> None:
    _, ts = await opened(desk, 3105, "D-5")
    since = desk.tg.server.last_seq
    await desk.thread_reply(ts, "note: checking the stock first", user="U0BOB")
    await desk.thread_reply(ts, "Hi! Could you send a photo of the leak?", user="U0BOB")
    sent = await desk.tg.next_message(3105, since)
    assert sent["text"] == "Hi! Could you send a photo of the leak?\n\n— Bob, customer support"
    texts = [m["text"] for m in desk.tg.server.messages(3105)]
    assert not any("checking the stock" in t for t in texts)
    case = await desk.case_where(lambda c: c.status != "open")
    assert case.status == "waiting_on_customer" and case.owner == "U0BOB"


async def test_resolve_schedules_recovery_and_a_promoter_counts_as_recovered(
    desk: DeskHarness,
) -> None:
    case_id, ts = await opened(desk, 3106, "D-6")
    await desk.press("claim", case_id, ts)
    await desk.press("resolve", case_id, ts)
    view = desk.slack.opened_views[-1]
    assert view["callback_id"] == "case_form_resolve"
    gesture = {"type": "static_select", "selected_option": {"value": "Handwritten card"}}
    await desk.submit("resolve", case_id, {"note": "Sent a new hose", "gesture": gesture})
    (case,) = await desk.cases()
    assert case.status == "resolved" and case.open_for_customer is None
    assert case.gesture == "Handwritten card" and case.resolution_note == "Sent a new hose"
    assert desk.buttons(ts) == []
    card = desk.card_text(ts)
    assert "Resolved" in card and "Sent a new hose" in card and "Handwritten card" in card
    async with desk.tg.bot.db.session() as s:
        recovery = (await s.execute(select(CheckIn).where(CheckIn.case_id == case_id))).scalar_one()
    assert recovery.touchpoint == "recovery" and recovery.status == "scheduled"
    assert recovery.due_at == desk.tg.clock.now + timedelta(days=2)
    desk.tg.clock.advance(days=2)
    await desk.tg.bot.dispatch()  # survey fatigue: 3 days since the last check-in, not yet
    assert "gesture from us: Handwritten card" in desk.tg.server.messages(3106)[-1]["text"]
    desk.tg.clock.advance(days=1)
    since = desk.tg.server.last_seq
    await desk.tg.bot.dispatch()
    question = await desk.tg.next_message(3106, since)
    assert "Did we fix it?" in question["text"]
    since = desk.tg.server.last_seq
    await desk.tg.press(3106, "Yes")
    await desk.tg.next_message(3106, since, contains="recommend")
    since = desk.tg.server.last_seq
    await desk.tg.press(3106, "10")
    await desk.tg.next_message(3106, since, contains="Thank you")
    await desk.settle()
    (case,) = await desk.cases()
    assert case.recovered is True
    thread = desk.thread(ts)
    assert any("Recovery check-in (fixed): Yes/no yes" in t for t in thread)
    assert any("Recovery check-in (recovery_nps): NPS 10" in t for t in thread)
    assert "recovered, came back as a promoter" in desk.card_text(ts)


async def test_not_an_issue_closes_the_case(desk: DeskHarness) -> None:
    case_id, ts = await opened(desk, 3107, "D-7")
    await desk.press("not_an_issue", case_id, ts, user="U0BOB")
    (case,) = await desk.cases()
    assert case.status == "not_an_issue" and case.closed_by == "U0BOB"
    assert case.open_for_customer is None
    assert "not an issue" in desk.card_text(ts) and desk.buttons(ts) == []
    await desk.press("claim", case_id, ts)
    assert "closed" in desk.slack.ephemerals[-1]["text"]


async def test_a_button_for_an_unknown_case_changes_nothing(desk: DeskHarness) -> None:
    _, ts = await opened(desk, 3108, "D-8")
    await desk.press("claim", 999, ts)
    assert "does not exist" in desk.slack.ephemerals[-1]["text"]
    assert (await desk.cases())[0].owner is None


async def test_forget_closes_the_open_case_and_tells_support(desk: DeskHarness) -> None:
    case_id, ts = await opened(desk, 3109, "D-9")
    await desk.tg.send(3109, "/forget")
    await desk.tg.press(3109, "Yes, erase my data")
    case = await desk.case_where(lambda c: c.status != "open")
    assert case.status == "not_an_issue" and case.closed_by == "customer"
    assert case.open_for_customer is None
    await desk.support.deliver()  # the scheduled outbox round (support.outbox_every)
    assert any("erased their data" in line for line in desk.thread(ts))
    assert desk.buttons(ts) == []  # the card no longer offers Claim or Reply
    assert "Closed: the customer erased their data" in desk.card_text(ts)
    assert "not an issue" not in desk.card_text(ts)
    assert "<@customer>" not in desk.card_text(ts)
    await desk.press("claim", case_id, ts)
    assert "closed: the customer erased their data" in desk.slack.ephemerals[-1]["text"]
