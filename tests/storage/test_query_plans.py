"""What every answer, case thread and typed order number reads finds its rows by index, not by
reading the whole table (SQLite's plans; a scan costs milliseconds per call once there are 50k
chats, and SQLite's statements run on the bot's event loop)."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from sqlalchemy import event

from storage.checkins.conversations import StorageKey
from storage.db import Database
from storage.inbox import ChatClaim
from storage.migrate import upgrade
from storage.models import utcnow
from storage.repositories import Repositories

HOT_TABLES = {
    "conversation_states",
    "channel_links",
    "customers",
    "checkins",
    "cases",
    "purchases",
    "inbox_updates",
}


async def test_answer_and_thread_lookups_use_indexes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'plans.db'}"
    upgrade(url)
    db = Database(url)
    store = Repositories.on(db)
    statements: list[str] = []
    event.listen(
        db.engine.sync_engine,
        "before_cursor_execute",
        lambda _c, _cur, statement, *_: statements.append(statement),
    )
    key, other = StorageKey("telegram", 42, 42), StorageKey("telegram", 43, 43)
    await asyncio.gather(  # answers from two chats at once share the reads
        store.conversations.read_snapshot(key),
        store.conversations.read_snapshot(other, checkin_id=7),
    )
    now = utcnow()
    await store.inbox.store_updates(
        [{"channel": "telegram", "update_id": 1, "chat_id": 42, "payload": "{}"}]
    )
    (row,) = await store.inbox.claim_chat(ChatClaim("telegram", 42, "w", now, now)) or []
    await store.inbox.claim_chat(ChatClaim("telegram", 42, "w", now, now, done=(row,)))
    await store.inbox.finish_update(row)
    await store.inbox.waiting_chats(now, now)
    await store.conversations.chat_snapshot(key)
    await store.conversations.clear_states_for_checkin(7)
    await store.cases.case_for_thread("C1", "1700000000.000100")
    await store.customers.verify_order("a-1001", "1234 AB")
    assert statements, "nothing was recorded"

    scans = []
    async with db.engine.connect() as conn:
        for statement in statements:
            if not re.match(r"\s*(SELECT|UPDATE|DELETE|INSERT)", statement, re.I):
                continue
            blanks = [None] * statement.count("?")
            plan = await conn.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, tuple(blanks))
            for row in plan.all():
                scanned = re.match(r"SCAN (\w+)", row[3])
                if scanned and scanned.group(1) in HOT_TABLES:
                    scans.append((row[3], statement))
    await db.dispose()
    assert scans == []
