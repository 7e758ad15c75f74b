"""Messages the bot sent on WhatsApp: their house ids, the check-in a template opened, the
conversations opened (the daily tier), and the statuses Meta reports."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, literal, select, text, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from storage.db import Database
from storage.whatsapp_tables import WhatsAppSent

_TIER_LOCK = text("SELECT pg_advisory_xact_lock(hashtext(:key))")
# Later statuses win; Meta may report them out of order (read before delivered).
_RANK = {"accepted": 0, "sent": 1, "delivered": 2, "read": 3, "failed": 4}


def message_number(wamid: str) -> int:
    """The house's integer id of a WhatsApp message: 63 bits of the wamid's SHA-256."""
    return int.from_bytes(hashlib.sha256(wamid.encode()).digest()[:8], "big") >> 1


@dataclass(frozen=True)
class SentInfo:
    """What a status callback is about: the sent message's chat and check-in."""

    chat_id: int
    checkin_id: int | None
    status: str
    changed: bool


class SentMessageQueries:
    """Queries on ``whatsapp_sent``."""

    db: Database

    def _insert(self, table: Any) -> Any:
        return (pg_insert if self.db.dialect == "postgresql" else sqlite_insert)(table)

    async def record_sent(
        self,
        wamid: str,
        chat_id: int,
        now: datetime,
        *,
        checkin_id: int | None = None,
        template: str | None = None,
        opens_conversation: bool = False,
    ) -> int:
        """Remember a sent message (its statuses come later); returns its house id."""
        number = message_number(wamid)
        async with self.db.session() as s:
            await s.execute(
                self._insert(WhatsAppSent.__table__).on_conflict_do_nothing(),
                {"message_id": number, "wamid": wamid[:128], "chat_id": chat_id,
                 "checkin_id": checkin_id, "template": template,
                 "opens_conversation": opens_conversation, "sent_at": now, "status": "accepted"},
            )  # fmt: skip
        return number

    async def conversations_opened_since(self, since: datetime) -> int:
        """Business-initiated conversations (templates outside the window) since ``since``."""
        async with self.db.session() as s:
            return int(
                (
                    await s.execute(
                        select(func.count()).where(
                            WhatsAppSent.opens_conversation.is_(True), WhatsAppSent.sent_at > since
                        )
                    )
                ).scalar()
                or 0
            )

    async def hold_conversation(
        self, number: str, chat_id: int, template: str, now: datetime, since: datetime, tier: int
    ) -> int | None:
        """Count a business-initiated conversation before its template goes, if fewer than
        ``tier`` were opened since ``since``: a ``held`` row standing for the message, whose
        id is returned (None: the tier is full, nothing was written). Atomic across workers:
        PostgreSQL takes a transaction lock on the number first; SQLite writes one at a time."""
        wamid = f"held:{secrets.token_hex(16)}"
        number_id = message_number(wamid)
        table = WhatsAppSent.__table__
        opened = (
            select(func.count())
            .where(table.c.opens_conversation.is_(True), table.c.sent_at > since)
            .scalar_subquery()
        )
        row = select(
            literal(number_id, table.c.message_id.type), literal(wamid, table.c.wamid.type),
            literal(chat_id, table.c.chat_id.type), literal(template[:100], table.c.template.type),
            literal(True, table.c.opens_conversation.type), literal(now, table.c.sent_at.type),
            literal("held", table.c.status.type),
        ).where(opened < tier)  # fmt: skip
        columns = ["message_id", "wamid", "chat_id", "template", "opens_conversation"]
        insert = table.insert().from_select([*columns, "sent_at", "status"], row)
        async with self.db.session() as s:
            if self.db.dialect == "postgresql":
                await s.execute(_TIER_LOCK, {"key": f"mentorbot:whatsapp-tier:{number}"})
            held = (await s.execute(insert.returning(table.c.message_id))).scalar()
        return None if held is None else int(held)

    async def confirm_hold(self, held: int, wamid: str) -> int:
        """The held conversation's template went out as ``wamid``: the row becomes that
        message (its statuses and check-in are recorded on it); returns its house id."""
        number = message_number(wamid)
        async with self.db.session() as s:
            await s.execute(
                update(WhatsAppSent)
                .where(WhatsAppSent.message_id == held, WhatsAppSent.status == "held")
                .values(message_id=number, wamid=wamid[:128], status="accepted")
            )
        return number

    async def release_hold(self, held: int) -> None:
        """The held conversation's template did not go: it no longer counts."""
        async with self.db.session() as s:
            await s.execute(
                delete(WhatsAppSent).where(
                    WhatsAppSent.message_id == held, WhatsAppSent.status == "held"
                )
            )

    async def apply_status(
        self, wamid: str, status: str, at: datetime, error_code: int | None, error: str | None
    ) -> SentInfo | None:
        """Record a status callback (a later status never goes back); None for a message this
        bot did not record."""
        rank = _RANK.get(status)
        if rank is None:
            return None
        lower = [s for s, r in _RANK.items() if r < rank]
        async with self.db.session() as s:
            row = (
                await s.execute(
                    select(
                        WhatsAppSent.chat_id, WhatsAppSent.checkin_id, WhatsAppSent.status
                    ).where(WhatsAppSent.wamid == wamid)
                )
            ).first()
            if row is None:
                return None
            changed = (
                await s.execute(
                    update(WhatsAppSent)
                    .where(WhatsAppSent.wamid == wamid, WhatsAppSent.status.in_(lower))
                    .values(status=status, status_at=at, error_code=error_code,
                            error_title=(error or None) and error[:200])
                )
            ).rowcount  # fmt: skip
        return SentInfo(int(row[0]), row[1], status, bool(changed))

    async def note_opener(
        self, message_id: int, checkin_id: int, template: str | None, opens: bool
    ) -> None:
        """The sent message opened a check-in (a template when ``template`` is set)."""
        async with self.db.session() as s:
            await s.execute(
                update(WhatsAppSent)
                .where(WhatsAppSent.message_id == message_id)
                .values(checkin_id=checkin_id, template=template, opens_conversation=opens)
            )

    async def note_template(self, message_id: int, template: str) -> None:
        """The sent message was ``template``, sent while the window was closed (it opens a
        business-initiated conversation and counts against the daily tier)."""
        async with self.db.session() as s:
            await s.execute(
                update(WhatsAppSent)
                .where(WhatsAppSent.message_id == message_id)
                .values(template=template, opens_conversation=True)
            )

    async def template_sent_since(
        self, chat_id: int, template: str, since: datetime | None
    ) -> bool:
        """Whether ``template`` went to the chat after ``since`` (None: ever)."""
        query = select(WhatsAppSent.message_id).where(
            WhatsAppSent.chat_id == chat_id, WhatsAppSent.template == template
        )
        if since is not None:
            query = query.where(WhatsAppSent.sent_at > since)
        async with self.db.session() as s:
            return (await s.execute(query.limit(1))).first() is not None

    async def opened_by_template(self, message_id: int) -> bool:
        """Whether the sent message was a template (its question not shown yet)."""
        async with self.db.session() as s:
            name = (
                await s.execute(
                    select(WhatsAppSent.template).where(WhatsAppSent.message_id == message_id)
                )
            ).scalar()
        return name is not None

    async def sent_status(self, wamid: str) -> str | None:
        """The last status recorded for a sent message."""
        async with self.db.session() as s:
            return (
                await s.execute(select(WhatsAppSent.status).where(WhatsAppSent.wamid == wamid))
            ).scalar()
