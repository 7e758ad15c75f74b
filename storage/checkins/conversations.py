"""Conversation state per chat and the record of processed updates."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import delete
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage.coalesce import coalescer_of
from storage.db import Database
from storage.models import ConversationState, ProcessedUpdate, utcnow


@dataclass(frozen=True)
class StorageKey:
    """Which conversation: one user in one chat on one channel."""

    channel: str
    chat_id: int
    user_id: int


_UPSERTS: dict[str, Any] = {}
_CLAIMS: dict[str, Any] = {}


async def claim_new_updates(
    s: AsyncSession, dialect: str, updates: Sequence[tuple[str, int]]
) -> set[tuple[str, int]]:
    """Record (channel, update id) pairs as processed in one statement; returns those that were
    not already (a re-delivery is skipped by the unique key, even by another worker's)."""
    now = utcnow()
    rows = [
        {"channel": channel, "update_id": update_id, "processed_at": now}
        for channel, update_id in dict.fromkeys(updates)
    ]
    if not rows:
        return set()
    if dialect not in _CLAIMS:
        table = ProcessedUpdate.__table__
        stmt = (pg_insert if dialect == "postgresql" else sqlite_insert)(table)
        _CLAIMS[dialect] = stmt.on_conflict_do_nothing().returning(
            table.c.channel, table.c.update_id
        )
    # Many rows through one built statement (SQLAlchemy sends them as one multi-row INSERT);
    # a statement with the rows in its VALUES cannot be cached and was compiled every time.
    claimed = await s.execute(_CLAIMS[dialect], rows)
    return {(channel, update_id) for channel, update_id in claimed.all()}


def upsert_states(dialect: str) -> Any:
    """An INSERT ... ON CONFLICT DO UPDATE for conversation states (SQLite and PostgreSQL).

    Built once per dialect: building it costs more than running it.
    """
    if dialect not in _UPSERTS:
        _UPSERTS[dialect] = _build_upsert(dialect)
    return _UPSERTS[dialect]


def _build_upsert(dialect: str) -> Any:
    table = ConversationState.__table__
    stmt = (pg_insert if dialect == "postgresql" else sqlite_insert)(table)
    return stmt.on_conflict_do_update(
        index_elements=[table.c.channel, table.c.chat_id, table.c.user_id],
        set_={
            "step": stmt.excluded.step,
            "checkin_id": stmt.excluded.checkin_id,
            "question_index": stmt.excluded.question_index,
            "data": stmt.excluded.data,
            "version": table.c.version + 1,
            "updated_at": stmt.excluded.updated_at,
        },
    )


class ConversationQueries:
    """Reading and writing conversation state; claiming update ids."""

    db: Database

    async def get_state(self, key: StorageKey) -> ConversationState:
        """The state of the conversation, a fresh idle one when there is none."""
        async with self.db.session() as s:
            row = await s.get(ConversationState, (key.channel, key.chat_id, key.user_id))
        return row or ConversationState(
            channel=key.channel, chat_id=key.chat_id, user_id=key.user_id
        )

    async def save_state(self, state: ConversationState) -> None:
        """Store the state (insert or update); states saved at the same moment share one
        transaction (see :mod:`storage.coalesce`)."""
        state.updated_at = utcnow()
        state.version += 1
        row = {
            "channel": state.channel,
            "chat_id": state.chat_id,
            "user_id": state.user_id,
            "step": state.step,
            "checkin_id": state.checkin_id,
            "question_index": state.question_index,
            "data": state.data,
            "version": state.version,
            "updated_at": state.updated_at,
        }
        await coalescer_of(self, "_state_writes", self._save_states)(row)

    async def _save_states(self, rows: Sequence[dict[str, Any]]) -> list[None]:
        async with self.db.session() as s:
            await s.execute(upsert_states(self.db.dialect), list(rows))
        return [None] * len(rows)

    async def clear_state(self, key: StorageKey) -> None:
        """Forget the conversation (back to idle)."""
        async with self.db.session() as s:
            await s.execute(
                delete(ConversationState).where(
                    ConversationState.channel == key.channel,
                    ConversationState.chat_id == key.chat_id,
                    ConversationState.user_id == key.user_id,
                )
            )

    async def clear_states_for_checkin(self, checkin_id: int) -> None:
        """Drop every conversation that was in the middle of ``checkin_id``."""
        async with self.db.session() as s:
            await s.execute(
                delete(ConversationState).where(ConversationState.checkin_id == checkin_id)
            )

    async def claim_update(self, channel: str, update_id: int) -> bool:
        """Record an update as being processed; False when it already was (a re-delivery)."""
        async with self.db.session() as s:
            return bool(await claim_new_updates(s, self.db.dialect, [(channel, update_id)]))

    async def release_update(self, channel: str, update_id: int) -> None:
        """Undo ``claim_update`` after a failure, so a re-delivery is processed again."""
        async with self.db.session() as s:
            await s.execute(
                delete(ProcessedUpdate).where(
                    ProcessedUpdate.channel == channel, ProcessedUpdate.update_id == update_id
                )
            )

    async def prune_processed_updates(self, older_than: timedelta) -> int:
        """Forget processed update ids older than ``older_than`` (re-deliveries come early)."""
        async with self.db.session() as s:
            result = await s.execute(
                delete(ProcessedUpdate).where(ProcessedUpdate.processed_at < utcnow() - older_than)
            )
        return result.rowcount or 0
