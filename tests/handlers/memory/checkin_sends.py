"""Sending check-ins in memory: each chat put at question 0, the send marked, claims renewed
(:mod:`storage.checkins.lifecycle`)."""

from __future__ import annotations

from datetime import datetime

from storage.checkins.conversations import StorageKey
from storage.memory_tables import MemoryTables
from storage.models import CheckIn, CheckInStatus, ConversationState, ConversationStep, utcnow
from tests.handlers.memory.shared import upsert_state


class MemoryCheckInSends:
    """The part of the CheckIns port that the dispatcher calls around each send."""

    tables: MemoryTables

    async def begin_conversations(self, starts: list[tuple[StorageKey, int]]) -> None:
        """Put each chat at question 0 of its check-in."""
        now = utcnow()
        for key, checkin_id in starts:
            upsert_state(
                self.tables,
                {
                    "channel": key.channel,
                    "chat_id": key.chat_id,
                    "user_id": key.user_id,
                    "step": ConversationStep.QUESTION.value,
                    "checkin_id": checkin_id,
                    "question_index": 0,
                    "data": {},
                    "version": 0,
                    "updated_at": now,
                },
            )

    async def mark_sent(
        self, key: StorageKey, checkin_id: int, message_id: int, now: datetime, expires_at: datetime
    ) -> None:
        """Mark one check-in sent (a scheduled one becomes sent; a reminded one stays so), and
        remember the question's message id in the chat's state at question 0 of it."""
        checkin = self.tables.get(CheckIn, checkin_id)
        if checkin is not None:
            if checkin.status == CheckInStatus.SCHEDULED:
                checkin.status = CheckInStatus.SENT
            checkin.sent_at, checkin.expires_at = now, expires_at
            checkin.attempt_count += 1
            checkin.claimed_by = checkin.claimed_until = checkin.last_error = None
        state = self.tables.get(ConversationState, (key.channel, key.chat_id, key.user_id))
        if state is not None and state.checkin_id == checkin_id and state.question_index == 0:
            state.data = {"message_id": message_id}

    async def renew_checkin_claims(
        self, worker: str, checkin_ids: list[int], until: datetime
    ) -> None:
        """Extend ``worker``'s claims that end before ``until``; longer ones are left alone."""
        for c in self.tables.rows(CheckIn, lambda c: c.id in checkin_ids):
            if c.claimed_by == worker and c.claimed_until is not None and c.claimed_until < until:
                c.claimed_until = until
