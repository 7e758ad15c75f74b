"""A customer who edits the message that held their answer revises it; other edits are quiet."""

from __future__ import annotations

import asyncio

from sqlalchemy import select

from storage.models import Answer, Event
from tests.bot.channels.harness import Harness
from tests.bot.channels.test_checkins import start_delivery_checkin


async def _answer(tg: Harness, question_id: str, want: str | None = None) -> Answer:
    for _ in range(300):
        async with tg.bot.db.session() as s:
            answer = (
                await s.execute(select(Answer).where(Answer.question_id == question_id))
            ).scalar_one_or_none()
        if answer is not None and (want is None or answer.text == want):
            if answer.scoring_status == "scored":
                return answer
        await asyncio.sleep(0.01)
    raise AssertionError(f"no scored answer {question_id!r} with {want!r}")


async def test_an_edited_answer_is_revised_and_scored_again(tg: Harness) -> None:
    await start_delivery_checkin(tg, 2101, "E-1")
    since = tg.server.last_seq
    await tg.press(2101, "2")
    await tg.next_message(2101, since, contains="What went wrong")
    since = tg.server.last_seq
    typed = tg.server.push_message(2101, "Lovely, all perfect, thank you")
    await tg.next_message(2101, since, contains="undamaged")
    first = await _answer(tg, "delivery_csat_why", "Lovely, all perfect, thank you")
    before = len(tg.server.messages(2101))
    tg.server.push_edit(2101, typed["message"]["message_id"], "The door is broken and it leaks")
    revised = await _answer(tg, "delivery_csat_why", "The door is broken and it leaks")
    assert revised.id == first.id and revised.sentiment == "negative" and revised.escalate
    assert (revised.polarity or 0) < (first.polarity or 0)
    async with tg.bot.db.session() as s:
        (event,) = (await s.execute(select(Event).where(Event.kind == "answer.edited"))).scalars()
    assert event.data == {"answer_id": first.id, "before": "Lovely, all perfect, thank you"}
    await tg.settle()
    assert len(tg.server.messages(2101)) == before  # an edit gets no reply


async def test_an_edit_of_anything_else_changes_nothing(tg: Harness) -> None:
    await tg.opt_in(2102, "E-2")
    since = tg.server.last_seq
    command = tg.server.push_message(2102, "/help")
    await tg.next_message(2102, since, contains="/mydata")
    before = len(tg.server.messages(2102))
    tg.server.push_edit(2102, command["message"]["message_id"], "/help me")
    tg.server.push_edit(2199, 1, "a stranger's edit")  # a chat that is not linked
    await tg.settle()
    await asyncio.sleep(0.2)
    assert len(tg.server.messages(2102)) == before
    assert tg.server.messages(2199) == []
    async with tg.bot.db.session() as s:
        assert (await s.execute(select(Answer))).first() is None
