"""The Conversations port in memory (:mod:`storage.checkins.conversations` and
:mod:`storage.checkins.chat_snapshots`)."""

from __future__ import annotations

from storage.checkins.chat_snapshots import Snapshot
from storage.checkins.conversations import StorageKey
from storage.memory_tables import MemoryTables, clone
from storage.models import ChannelLink, ConversationState, Customer, utcnow
from tests.handlers.memory.shared import checkin_contexts, upsert_state


def _fresh(key: StorageKey) -> ConversationState:
    return ConversationState(channel=key.channel, chat_id=key.chat_id, user_id=key.user_id)


class MemoryConversations:
    """Each chat's conversation step and what handling an update reads first."""

    def __init__(self, tables: MemoryTables) -> None:
        self.tables = tables

    async def get_state(self, key: StorageKey) -> ConversationState:
        """The state of the conversation, a fresh idle one when there is none."""
        stored = self.tables.get(ConversationState, (key.channel, key.chat_id, key.user_id))
        return clone(stored) if stored else _fresh(key)

    async def save_state(self, state: ConversationState) -> None:
        """Store the state (insert or update). Like storage, it bumps ``state.version`` and
        ``state.updated_at`` on the caller's object; an update stores the stored version + 1."""
        state.updated_at = utcnow()
        state.version += 1
        upsert_state(
            self.tables,
            {
                "channel": state.channel,
                "chat_id": state.chat_id,
                "user_id": state.user_id,
                "step": state.step,
                "checkin_id": state.checkin_id,
                "question_index": state.question_index,
                "data": state.data,
                "version": state.version,
                "updated_at": state.updated_at,
            },
        )

    async def clear_state(self, key: StorageKey) -> None:
        """Forget the conversation (back to idle)."""
        self.tables.delete(
            ConversationState,
            lambda s: (s.channel, s.chat_id, s.user_id) == (key.channel, key.chat_id, key.user_id),
        )

    async def clear_states_for_checkin(self, checkin_id: int) -> None:
        """Drop every conversation that was in the middle of ``checkin_id``."""
        self.tables.delete(ConversationState, lambda s: s.checkin_id == checkin_id)

    async def chat_snapshot(self, key: StorageKey, checkin_id: int | None = None) -> Snapshot:
        """The chat's state, its customer, and the context of ``checkin_id`` (default: the
        check-in the conversation is at)."""
        stored = self.tables.get(ConversationState, (key.channel, key.chat_id, key.user_id))
        links = self.tables.rows(
            ChannelLink, lambda link: link.channel == key.channel and link.chat_id == key.chat_id
        )
        customer = self.tables.get(Customer, links[0].customer_id) if links else None
        wanted = checkin_id if checkin_id is not None else (stored.checkin_id if stored else None)
        context = (
            checkin_contexts(self.tables, [wanted]).get(wanted) if wanted is not None else None
        )
        return (
            clone(stored) if stored else _fresh(key),
            clone(customer) if customer else None,
            context,
        )

    async def read_snapshot(self, key: StorageKey, checkin_id: int | None = None) -> Snapshot:
        """``chat_snapshot`` (storage reads the snapshots asked for at one moment together)."""
        return await self.chat_snapshot(key, checkin_id)
