"""The inbox: every update, as it arrived, stored before the channel is told it was received.

An update is confirmed to Telegram (the next getUpdates offset, or the webhook's 200) only once
its row is committed here. Updates are then handled from the inbox, in order per chat: a worker
claims all of a chat's unhandled updates under a short lease (``claimed_by`` is a token of that
claim), handles them one by one, and marks each handled. An answer's update is marked handled in
the transaction that stores the answer (:func:`mark_handled_in`), so an answer is stored once:
a crash before that commit leaves the update unhandled (it is handled again when the lease runs
out), a crash after it leaves it handled (never handled again). Claims and marks made at the
same moment share a transaction (see :mod:`storage.coalesce`).
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import (
    String,
    and_,
    bindparam,
    cast,
    delete,
    func,
    or_,
    select,
    tuple_,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from storage.coalesce import coalescer_of
from storage.db import Database
from storage.models import InboxUpdate, utcnow

INBOX = InboxUpdate.__table__
_C = INBOX.c
_INSERTS: dict[str, Any] = {}


@dataclass(frozen=True)
class InboxRow:
    """One claimed update: its id, the payload as it arrived, how often it was claimed, and the
    token of the claim (the gate its answer's transaction passes)."""

    channel: str
    update_id: int
    chat_id: int
    payload: str
    attempts: int
    claim: str


@dataclass(frozen=True)
class ChatClaim:
    """A request to claim a chat's unhandled updates for ``worker`` until ``until``, after
    marking ``done`` (updates of the worker's previous claim on the chat) handled."""

    channel: str
    chat_id: int
    worker: str
    now: datetime
    until: datetime
    done: tuple[InboxRow, ...] = ()


def _insert(dialect: str) -> Any:
    if dialect not in _INSERTS:
        stmt = (pg_insert if dialect == "postgresql" else sqlite_insert)(INBOX)
        _INSERTS[dialect] = stmt.on_conflict_do_nothing().returning(_C.update_id)
    return _INSERTS[dialect]


# Built once: every update runs them.
_CHAT_ROWS = (
    select(_C.chat_id, _C.update_id, _C.payload, _C.attempts, _C.claimed_by, _C.claimed_until,
           _C.handled_at)
    .where(
        _C.channel == bindparam("channel"),
        _C.chat_id.in_(bindparam("chats", expanding=True)),
        or_(_C.handled_at.is_(None), _C.claimed_until > bindparam("now")),
    )
    .order_by(_C.chat_id, _C.update_id)
)  # fmt: skip
_RELEASE = (
    update(INBOX)
    .where(_C.claimed_by == bindparam("k_claim"))
    .values(claimed_until=None, claimed_by=None)
)


# Built once with expanding parameters (building them per call cost more than running them).
_TAKE = (
    update(INBOX)
    .where(
        _C.channel == bindparam("t_channel"),
        _C.update_id.in_(bindparam("t_ids", expanding=True)),
    )
    .values(
        claimed_by=bindparam("t_prefix", type_=String) + cast(_C.chat_id, String),
        claimed_until=bindparam("t_until"),
        attempts=_C.attempts + 1,
    )
)
_MARKED = (
    _C.update_id.in_(bindparam("m_ids", expanding=True)),
    tuple_(_C.channel, _C.update_id, _C.claimed_by).in_(bindparam("m_marks", expanding=True)),
)
_FINISH = (
    update(INBOX)
    .where(*_MARKED)
    .values(
        handled_at=func.coalesce(_C.handled_at, bindparam("m_now")),
        claimed_by=None,
        claimed_until=None,
    )
)
_MARK_HANDLED = (
    update(INBOX)
    .where(*_MARKED)
    .values(handled_at=bindparam("m_now"))
    .returning(_C.channel, _C.update_id, _C.claimed_by)
)


def _take(channel: str, update_ids: list[int], prefix: str, until: datetime) -> tuple[Any, dict]:
    """One statement for a batch of claims: every chat's updates get the claim token
    ``prefix`` + chat id (a claim is one chat's), leased until ``until``."""
    params = {"t_channel": channel, "t_ids": update_ids, "t_prefix": prefix, "t_until": until}
    return _TAKE, params


def _marked(marks: Sequence[tuple[str, int, str]], now: datetime) -> dict[str, Any]:
    unique = sorted(set(marks))
    return {"m_ids": sorted({m[1] for m in unique}), "m_marks": unique, "m_now": now}


def _finish(rows: Sequence[InboxRow], now: datetime) -> tuple[Any, dict]:
    """One statement: the rows, where their claim still holds them, marked handled (an answer's
    update keeps the time its answer's transaction gave it) and their claims given up."""
    return _FINISH, _marked([(r.channel, r.update_id, r.claim) for r in rows], now)


async def mark_handled_in(
    s: AsyncSession, marks: Sequence[tuple[str, int, str]], now: datetime
) -> set[tuple[str, int, str]]:
    """Inside the caller's transaction: mark the (channel, update id, claim) updates handled,
    where that claim still holds them; returns the marks that held. An answer is stored only
    with its mark, so a second attempt at the same update (its claim lost) stores nothing."""
    if not marks:
        return set()
    found = await s.execute(_MARK_HANDLED, _marked(marks, now))
    return {(c, u, k) for c, u, k in found.all()}


class InboxQueries:
    """Storing updates as they arrive, claiming a chat's updates, marking them handled."""

    db: Database

    async def store_updates(self, rows: Sequence[dict[str, Any]]) -> set[int]:
        """Store updates (dicts with channel, update_id, chat_id, payload) in one transaction;
        returns the ids that were new (a re-delivery is stored once)."""
        if not rows:
            return set()
        now = utcnow()
        values = [{**r, "received_at": now, "attempts": 0} for r in rows]
        async with self.db.session() as s:
            return {u for (u,) in (await s.execute(_insert(self.db.dialect), values)).all()}

    async def store_update(self, row: dict[str, Any]) -> bool:
        """Store one update; updates stored at the same moment share a transaction. False when
        it was already stored (a re-delivery)."""
        return await coalescer_of(self, "_inbox_writes", self._store_batch)(row)

    async def _store_batch(self, rows: Sequence[dict[str, Any]]) -> list[bool]:
        new = await self.store_updates(rows)
        result = []
        for r in rows:
            result.append(r["update_id"] in new)
            new.discard(r["update_id"])
        return result

    async def claim_chat(self, claim: ChatClaim) -> list[InboxRow] | None:
        """Claim the chat's unhandled updates, oldest first; None while another claim on the
        chat still holds. Claims made at the same moment share a transaction."""
        return await coalescer_of(self, "_inbox_claims", self._claim_batch)(claim)

    async def _claim_batch(self, claims: Sequence[ChatClaim]) -> list[list[InboxRow] | None]:
        results: dict[tuple[str, int], list[InboxRow] | None] = {}
        finished = [r for c in claims for r in c.done]
        async with self.db.session() as s:
            if finished:
                await s.execute(*_finish(finished, utcnow()))
            by_channel: dict[str, list[ChatClaim]] = {}
            for c in claims:
                by_channel.setdefault(c.channel, []).append(c)
            for channel, wanted in by_channel.items():
                now = min(c.now for c in wanted)
                stmt = _CHAT_ROWS
                if self.db.dialect == "postgresql":  # a second worker waits, then sees our claim
                    stmt = stmt.with_for_update()
                params = {
                    "channel": channel,
                    "chats": sorted({c.chat_id for c in wanted}),
                    "now": now,
                }
                rows: dict[int, list[Any]] = {}
                for row in (await s.execute(stmt, params)).all():
                    rows.setdefault(row.chat_id, []).append(row)
                prefix = f"{wanted[0].worker}:{secrets.token_hex(6)}:"
                until = min(c.until for c in wanted)
                taken: list[int] = []
                for c in wanted:
                    if (channel, c.chat_id) in results:
                        continue
                    found = rows.get(c.chat_id, [])
                    held = any(
                        r.claimed_until is not None and r.claimed_until > c.now for r in found
                    )
                    todo = [r for r in found if r.handled_at is None]
                    if held or not todo:
                        results[(channel, c.chat_id)] = None if held else []
                        continue
                    token = f"{prefix}{c.chat_id}"
                    results[(channel, c.chat_id)] = [
                        InboxRow(channel, r.update_id, c.chat_id, r.payload, r.attempts + 1, token)
                        for r in todo
                    ]
                    taken += [r.update_id for r in todo]
                if taken:
                    await s.execute(*_take(channel, taken, prefix, until))
        out: list[list[InboxRow] | None] = []
        for c in claims:  # the same chat twice in a batch: the second finds it taken
            out.append(results.pop((c.channel, c.chat_id), None))
        return out

    async def finish_update(self, row: InboxRow) -> None:
        """Mark a claimed update handled and give its claim up (an answer's update was marked
        handled with the answer already; this keeps that time). Coalesced."""
        await self.finish_updates([row])

    async def finish_updates(self, rows: Sequence[InboxRow]) -> None:
        """``finish_update`` for several rows, in one transaction with the other finishes of
        that moment (one call of the coalescer, not one per row)."""
        if rows:
            await coalescer_of(self, "_inbox_finishes", self._finish_batch)(tuple(rows))

    async def _finish_batch(self, calls: Sequence[tuple[InboxRow, ...]]) -> list[None]:
        rows = [r for call in calls for r in call]
        async with self.db.session() as s:  # an answer's update keeps its handled_at
            await s.execute(*_finish(rows, utcnow()))
        return [None] * len(calls)

    async def release_claim(self, claim: str) -> None:
        """Give a claim's unhandled updates back (they are handled again, by any worker)."""
        async with self.db.session() as s:
            await s.execute(_RELEASE, {"k_claim": claim})

    async def renew_claim(self, claim: str, until: datetime) -> int:
        """Extend a claim while its worker is alive; returns how many updates it holds."""
        return await self.renew_claims([claim], until)

    async def renew_claims(self, claims: Sequence[str], until: datetime) -> int:
        """Extend all the claims a worker holds, in one statement (one per renewal round, not
        one per claim); returns how many updates they hold."""
        if not claims:
            return 0
        async with self.db.session() as s:
            done = await s.execute(
                update(INBOX)
                .where(_C.claimed_by.in_(sorted(set(claims))), _C.claimed_until.is_not(None))
                .values(claimed_until=until)
            )
            return int(done.rowcount or 0)  # type: ignore[attr-defined]

    async def waiting_chats(
        self, now: datetime, received_before: datetime, limit: int = 100
    ) -> list[tuple[str, int]]:
        """Chats with unhandled updates nobody holds, received before ``received_before``:
        what a crash, a lost database or a failed handler left behind."""
        free = or_(_C.claimed_until.is_(None), _C.claimed_until < now)
        stmt = (
            select(_C.channel, _C.chat_id)
            .where(and_(_C.handled_at.is_(None), free, _C.received_at < received_before))
            .group_by(_C.channel, _C.chat_id)
            .order_by(_C.channel, _C.chat_id)
            .limit(limit)
        )
        async with self.db.session() as s:
            return [(c, chat) for c, chat in (await s.execute(stmt)).all()]

    async def inbox_counts(self) -> dict[str, int]:
        """How many updates are handled and waiting (for tests and health)."""
        async with self.db.session() as s:
            rows = (await s.execute(select(_C.handled_at.is_(None)))).all()
        waiting = sum(1 for (w,) in rows if w)
        return {"handled": len(rows) - waiting, "waiting": waiting}

    async def prune_inbox(self, older_than: timedelta) -> int:
        """Forget handled updates older than ``older_than`` (Telegram re-delivers within a day)."""
        cutoff = utcnow() - older_than
        async with self.db.session() as s:
            done = await s.execute(
                delete(INBOX).where(_C.handled_at.is_not(None), _C.handled_at < cutoff)
            )
            return int(done.rowcount or 0)  # type: ignore[attr-defined]
