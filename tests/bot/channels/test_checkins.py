"""Check-ins end to end through the real PTB and the local Bot API server."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select

from handlers.texts import say
from storage.models import AdvocacyAsk, Answer, CheckIn
from tests.bot.channels.harness import Harness


async def answers(tg: Harness) -> list[tuple[str | None, int | None, str | None]]:
    async with tg.bot.db.session() as s:
        rows = await s.execute(select(Answer).order_by(Answer.id))
        return [(a.question_id, a.score, a.text) for a in rows.scalars()]


async def checkins(tg: Harness) -> dict[str, CheckIn]:
    async with tg.bot.db.session() as s:
        rows = (await s.execute(select(CheckIn).order_by(CheckIn.id))).scalars().all()
    return {c.touchpoint: c for c in rows}


async def start_delivery_checkin(tg: Harness, chat: int, order: str, lang: str = "en") -> dict:
    await tg.opt_in(chat, order, lang)
    since = tg.server.last_seq
    report = await tg.bot.dispatch()
    assert report.sent == 1, report
    return await tg.next_message(chat, since)


async def test_delivery_checkin_with_follow_up_and_yes_no(tg: Harness) -> None:
    question = await start_delivery_checkin(tg, 2001, "B-1")
    assert question["text"].startswith("Hi Ann! Your Washing machine should have arrived by now.")
    labels = [b["text"] for row in question["reply_markup"]["inline_keyboard"] for b in row]
    assert labels == ["1", "2", "3", "4", "5"]
    since = tg.server.last_seq
    await tg.press(2001, "2")
    follow_up = await tg.next_message(2001, since)
    assert follow_up["text"] == "Sorry to hear that. What went wrong?"
    edited = tg.server.message(2001, question["message_id"])
    assert edited["text"].endswith("✔ Your answer: 2") and not edited.get("reply_markup")
    since = tg.server.last_seq
    yes_no = await tg.send(2001, "The box was torn and it came two days late")
    assert yes_no["text"] == "Did everything arrive undamaged and complete?"
    await tg.press(2001, "No")
    thanks = await tg.next_message(2001, since, contains="Thank you")
    assert thanks["text"].startswith("Thank you, that's all!")
    assert await answers(tg) == [
        ("delivery_csat", 2, None),
        ("delivery_csat_why", None, "The box was torn and it came two days late"),
        ("arrived_ok", 0, None),
    ]
    assert (await checkins(tg))["delivery"].status == "answered"


async def test_usage_checkin_typed_nps_promoter_follow_up_and_ces_in_dutch(tg: Harness) -> None:
    await tg.opt_in(2002, "B-2", lang="nl")
    tg.clock.advance(days=12)  # usage is due 14 days after delivery (2 days ago)
    async with tg.bot.db.session() as s:  # the delivery check-in was answered long ago
        delivery = (
            await s.execute(select(CheckIn).where(CheckIn.touchpoint == "delivery"))
        ).scalar_one()
        delivery.status = "answered"
        s.add(delivery)
    since = tg.server.last_seq
    assert (await tg.bot.dispatch()).sent == 1
    nps = await tg.next_message(2002, since)
    assert "Hoe waarschijnlijk" in nps["text"]
    assert len(nps["reply_markup"]["inline_keyboard"]) == 2  # 0-5 and 6-10
    liked = await tg.send(2002, "9", lang="nl")
    assert liked["text"] == "Fijn om te horen! Wat vond je het beste?"
    ces = await tg.send(2002, "Snelle levering en aardige monteur", lang="nl")
    assert "Hoe makkelijk" in ces["text"]
    assert [b["text"] for b in ces["reply_markup"]["inline_keyboard"][0]] == [
        str(i) for i in range(1, 8)
    ]
    since = tg.server.last_seq
    await tg.press(2002, "6")
    assert (await tg.next_message(2002, since, contains="Dank je"))["text"].startswith(
        "Dank je wel"
    )
    assert [(q, sc) for q, sc, _ in await answers(tg)] == [
        ("nps", 9),
        ("nps_why", None),
        ("ces", 6),
    ]


async def test_words_where_a_score_was_asked_are_kept_and_the_question_repeated(
    tg: Harness,
) -> None:
    await start_delivery_checkin(tg, 2003, "B-3")
    hint = await tg.send(2003, "it's broken!!")
    assert "tap a button or type a number from 1 to 5" in hint["text"]
    reply = await tg.send(2003, "4/5")
    assert reply["text"] == "Did everything arrive undamaged and complete?"
    assert await answers(tg) == [
        ("delivery_csat_comment", None, "it's broken!!"),
        ("delivery_csat", 4, None),
    ]


async def test_forged_and_stale_buttons_change_nothing(tg: Harness, caplog) -> None:  # type: ignore[no-untyped-def]
    question = await start_delivery_checkin(tg, 2004, "B-4")
    cid = (await checkins(tg))["delivery"].id
    mid = question["message_id"]
    for data in (
        f"a:{cid}:0:42",
        f"a:{cid + 999}:0:3",
        f"a:{cid}:1:1",
        "a:x:y:z",
        "garbage",
        "lang:fr",
        f"a:{cid}:0:3:extra",
    ):
        answer = await tg.press_data(2004, mid, data)
        assert answer.get("text") == "That button is no longer active.", data
    # another customer's check-in through their own chat
    greeting = await tg.opt_in(2005, "B-5")
    other = await tg.press_data(2005, greeting["message_id"], f"a:{cid}:0:3")
    assert other.get("text") == "That button is no longer active."
    assert await answers(tg) == []
    # a real press works, and pressing the same button again is stale
    await tg.press_data(2004, mid, f"a:{cid}:0:3")
    again = await tg.press_data(2004, mid, f"a:{cid}:0:3")
    assert again.get("text") == "That button is no longer active."
    assert await answers(tg) == [("delivery_csat", 3, None)]
    # a forged button is a WARNING line, never a traceback
    forged = [r for r in caplog.records if "forged" in r.getMessage()]
    assert forged and all(r.levelname == "WARNING" and r.exc_info is None for r in forged)
    assert not [r for r in caplog.records if r.exc_info]


async def test_redelivered_update_is_processed_once(tg: Harness) -> None:
    await start_delivery_checkin(tg, 2006, "B-6")
    update = tg.server.push_message(2006, "5")
    await tg.server.wait_for_message(2006, contains="undamaged")
    since = tg.server.last_seq
    tg.server.push_raw_update(dict(update))  # Telegram sends the same update again
    tg.server.push_message(2006, "ja, alles goed")  # a marker to know the first was handled
    await tg.server.wait_for_message(2006, since=since)
    await tg.settle()
    assert [a[:2] for a in await answers(tg)] == [("delivery_csat", 5), ("arrived_ok", 1)]


async def test_garbage_updates_are_ignored(tg: Harness) -> None:
    tg.server.push_raw_update({"edited_message": {"bogus": True}})
    tg.server.push_raw_update(
        {
            "message": {
                "message_id": 1,
                "date": 0,
                "chat": {"id": 3, "type": "group"},
                "text": "hi",
                "from": {"id": 5, "is_bot": False, "first_name": "G"},
            }
        }
    )
    greeting = await tg.opt_in(2007, "B-7")
    assert greeting["text"].startswith("Hi Ann")


async def test_quiet_hours_move_the_checkin_to_the_morning(tg: Harness) -> None:
    await tg.opt_in(2008, "B-8")
    tg.clock.now = datetime(2026, 11, 22, 22, 30, tzinfo=ZoneInfo("Europe/Amsterdam"))
    report = await tg.bot.dispatch()
    assert (report.sent, report.rescheduled) == (0, 1)
    due = (await checkins(tg))["delivery"].due_at
    assert due == datetime(2026, 11, 23, 9, 0, tzinfo=ZoneInfo("Europe/Amsterdam"))
    tg.clock.now = due
    assert (await tg.bot.dispatch()).sent == 1


async def test_fatigue_gap_never_two_checkins_open_at_once(tg: Harness) -> None:
    await tg.opt_in(2009, "B-9")
    await tg.buy("B-9b", delivered_days_ago=2)  # same customer? no: a new e-mail, new customer
    async with tg.bot.db.session() as s:  # give the customer a second due check-in
        first = (
            (await s.execute(select(CheckIn).where(CheckIn.touchpoint == "delivery")))
            .scalars()
            .first()
        )
        s.add(
            CheckIn(
                customer_id=first.customer_id,
                journey="standard",
                touchpoint="usage",
                due_at=tg.clock.now - timedelta(hours=1),
            )
        )
    report = await tg.bot.dispatch()
    assert (report.sent, report.rescheduled) == (1, 1)
    async with tg.bot.db.session() as s:
        rows = (
            (
                await s.execute(
                    select(CheckIn)
                    .where(CheckIn.customer_id == first.customer_id)
                    .order_by(CheckIn.due_at)
                )
            )
            .scalars()
            .all()
        )
    sent = [c for c in rows if c.status == "sent"]
    moved = [c for c in rows if c.status == "scheduled" and c.last_error == "survey fatigue"]
    assert len(sent) == 1 and len(moved) == 1
    assert moved[0].due_at >= sent[0].sent_at + timedelta(days=3)


async def test_one_reminder_then_expiry(tg: Harness) -> None:
    await start_delivery_checkin(tg, 2010, "B-10")
    tg.clock.advance(hours=23)
    assert (await tg.bot.dispatch()).reminded == 0
    tg.clock.advance(hours=2)
    since = tg.server.last_seq
    assert (await tg.bot.dispatch()).reminded == 1
    reminder = await tg.next_message(2010, since)
    assert reminder["text"].startswith("A gentle reminder")
    tg.clock.advance(hours=10)
    assert (await tg.bot.dispatch()).reminded == 0  # one reminder at most
    tg.clock.advance(days=2)
    report = await tg.bot.dispatch()
    assert report.expired == 1 and (await checkins(tg))["delivery"].status == "expired"
    after = await tg.send(2010, "3")
    assert after["text"] == "Thanks for your message, we've passed it on."
    assert await answers(tg) == [(None, None, "3")]


async def test_stop_cancels_checkins(tg: Harness) -> None:
    await tg.opt_in(2011, "B-11")
    assert "won't get any more check-ins" in (await tg.send(2011, "/stop"))["text"]
    assert {c.status for c in (await checkins(tg)).values()} == {"cancelled"}
    assert (await tg.bot.dispatch()).sent == 0
    assert "Welcome back" in (await tg.send(2011, "/start"))["text"]


async def test_forget_erases_personal_data_after_confirmation(tg: Harness) -> None:
    await start_delivery_checkin(tg, 2012, "B-12")
    await tg.send(2012, "1")
    await tg.send(2012, "The drum leaks, my name is Ann Smith")
    confirm = await tg.send(2012, "/forget")
    assert "Are you sure?" in confirm["text"]
    since = tg.server.last_seq
    await tg.press(2012, "Yes, erase my data")
    assert "erased" in (await tg.next_message(2012, since))["text"]
    data = await tg.bot.repos.customers.export_customer(1)
    assert data["customer"]["name"] is None and data["customer"]["email"] is None
    assert data["customer"]["opt_in_state"] == "forgotten"
    assert [(a["score"], a["text"]) for a in data["answers"]] == [(1, None), (None, None)]
    assert "isn't connected" in (await tg.send(2012, "hello"))["text"]


async def test_mydata_sends_a_json_document(tg: Harness) -> None:
    await tg.opt_in(2013, "B-13")
    await tg.send(2013, "/mydata")
    (doc,) = tg.server.documents(2013)
    assert doc.filename == "mentorbot-my-data.json"
    assert b'"external_order_id": "B-13"' in doc.data and b"token" not in doc.data
    for section in (b'"testimonials"', b'"review_and_ambassador_asks"', b'"referred_purchases"'):
        assert section in doc.data


async def test_language_switch(tg: Harness) -> None:
    await tg.opt_in(2014, "B-14")
    await tg.send(2014, "/language")
    since = tg.server.last_seq
    await tg.press(2014, "Nederlands")
    assert (await tg.next_message(2014, since))[
        "text"
    ] == "Ik schrijf je vanaf nu in het Nederlands."
    assert (await tg.send(2014, "/help"))["text"].startswith("Ik vraag na je aankoop")


async def test_unsolicited_text_huge_text_and_empty_messages(tg: Harness) -> None:
    await tg.opt_in(2015, "B-15")
    assert "passed it on" in (await tg.send(2015, "When will the spare part arrive?"))["text"]
    since = tg.server.last_seq
    tg.server.push_message(2015, "x" * 5000)
    assert "kept the first 4000" in (await tg.next_message(2015, since, contains="kept"))["text"]
    await tg.next_message(2015, since, contains="passed it on")
    since = tg.server.last_seq
    tg.server.push_raw_update(
        {
            "message": {  # a location: no text at all
                "message_id": 9999,
                "date": 0,
                "location": {"latitude": 52.1, "longitude": 5.1},
                "chat": {"id": 2015, "type": "private", "first_name": "Ann"},
                "from": {"id": 2015, "is_bot": False, "first_name": "Ann"},
            }
        }
    )
    place = await tg.next_message(2015, since)
    assert place["text"].startswith("Thanks! I can only read written words, not photos")
    since = tg.server.last_seq
    tg.server.push_message(2015, " \n ")  # words that are only white space
    empty = await tg.next_message(2015, since)
    assert empty["text"] == "I didn't catch that. You can type your answer or tap a button."
    assert [len(t or "") for *_, t in await answers(tg)] == [32, 4000]


async def test_an_album_without_words_is_answered_once(tg: Harness) -> None:
    """Telegram delivers an album as one message per photo: the customer hears "I can only
    read written words" once, not once per photo; a photo sent minutes later is answered
    again."""
    await tg.opt_in(2025, "B-25")
    told = say("attachment_unread", "en")

    def replies() -> int:
        return sum(m.get("text") == told for m in tg.server.messages(2025))

    since = tg.server.last_seq
    for n in range(3):
        tg.server.push_photo(2025, data=bytes([n]) * 100, media_group_id="album-1")
    # the chat's updates are handled in order: once this is answered, the album was too
    tg.server.push_message(2025, "Is the stand included?")
    await tg.next_message(2025, since, contains="passed it on")
    assert replies() == 1
    tg.clock.advance(minutes=3)
    since = tg.server.last_seq
    tg.server.push_photo(2025, data=b"later" * 20)
    assert (await tg.next_message(2025, since))["text"] == told
    assert replies() == 2


async def test_answers_are_scored_and_the_customer_segmented(tg: Harness) -> None:
    await tg.opt_in(2016, "B-16")
    tg.clock.advance(days=12)
    async with tg.bot.db.session() as s:
        delivery = (
            await s.execute(select(CheckIn).where(CheckIn.touchpoint == "delivery"))
        ).scalar_one()
        delivery.status = "answered"
        s.add(delivery)
    await tg.bot.dispatch()
    await tg.send(2016, "9")
    await tg.send(2016, "Great machine, but the engineer broke my floor and I want a refund")
    async with tg.bot.db.session() as s:
        rows = (await s.execute(select(Answer).order_by(Answer.id))).scalars().all()
        customer_segment = (await s.execute(select(CheckIn.customer_id))).scalar()
    assert [a.scoring_status for a in rows] == ["scored", "scored"]
    score, words = rows
    assert score.segment == "promoter" and not score.escalate
    # the 9 with a complaint and a refund demand is a problem to look at
    assert words.escalate is True and words.sentiment == "negative"
    assert "refund" in words.analysis["intents"]
    assert customer_segment is not None
    events = await tg.bot.repos.customers.export_customer(1)
    assert events["customer"]["segment"] in ("promoter", "detractor", "passive")


async def test_an_advocacy_ask_counts_for_the_fatigue_gap(tg: Harness) -> None:
    await tg.opt_in(2019, "B-19")
    async with tg.bot.db.session() as s:
        checkin = (
            (await s.execute(select(CheckIn).where(CheckIn.touchpoint == "delivery")))
            .scalars()
            .one()
        )
        asked_at = tg.clock.now - timedelta(days=1)
        s.add(AdvocacyAsk(dedupe_key="review:test:2019", kind="review",
                          customer_id=checkin.customer_id, status="sent", due_at=asked_at,
                          sent_at=asked_at))  # fmt: skip
    report = await tg.bot.dispatch()
    assert (report.sent, report.rescheduled) == (0, 1)
    moved = (await checkins(tg))["delivery"]
    assert moved.last_error == "survey fatigue"
    assert moved.due_at.replace(tzinfo=None) >= (asked_at + timedelta(days=3)).replace(tzinfo=None)
