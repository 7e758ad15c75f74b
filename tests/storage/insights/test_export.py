"""Streaming exports page through the table by id on both backends."""

from __future__ import annotations

from storage.db import Database
from storage.insights.export import count_answers, stream_answers
from tests.storage.insights.insights_data import END, PREV, START, load


async def test_keyset_pages_cover_every_answer_once(db: Database) -> None:
    await load(db)
    batches = [b async for b in stream_answers(db, batch=4)]
    ids = [row["answer_id"] for batch in batches for row in batch]
    assert len(ids) == 27 == len(set(ids)) == await count_answers(db, None, None)
    assert ids == sorted(ids) and max(len(b) for b in batches) == 4
    assert all("email" not in row for batch in batches for row in batch)


async def test_period_and_personal_data(db: Database) -> None:
    await load(db)
    rows = [r async for b in stream_answers(db, START, END, personal=True, batch=5) for r in b]
    assert len(rows) == 21 == await count_answers(db, START, END)
    assert {r["name"] for r in rows} == {"Ann Smith", "Kees Jansen"}
    before = [r async for b in stream_answers(db, PREV, START) for r in b]
    assert {r["question_type"] for r in before} == {"nps", "csat"} and len(before) == 6


async def test_each_answer_shows_its_channel(db: Database) -> None:
    from sqlalchemy import update

    from storage.models import Answer

    ids = await load(db)
    async with db.session() as s:
        await s.execute(update(Answer).values(channel="telegram"))
        await s.execute(
            update(Answer).where(Answer.customer_id == ids["kees"]).values(channel="whatsapp")
        )
    rows = [r async for b in stream_answers(db) for r in b]
    assert {r["channel"] for r in rows} == {"telegram", "whatsapp"}
    assert all(r["channel"] == "whatsapp" for r in rows if r["customer_id"] == ids["kees"])
    assert list(rows[0])[-1] == "channel"  # the new column comes last: older readers keep theirs
