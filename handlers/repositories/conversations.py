"""The Conversations port: each chat's conversation step and what handling an update reads first.

Storage implements it (:class:`storage.repositories.ConversationRepository`).
"""

from __future__ import annotations

from typing import Protocol

from storage.checkins.chat_snapshots import Snapshot
from storage.checkins.conversations import StorageKey
from storage.models import ConversationState


class Conversations(Protocol):
    """Each chat's conversation step and what handling an update reads first."""

    async def get_state(self, key: StorageKey) -> ConversationState:
        """The state of the conversation, a fresh idle one when there is none."""
        ...

    async def save_state(self, state: ConversationState) -> None:
        """Store the state (insert or update); states saved at the same moment share one
        transaction (see :mod:`storage.coalesce`).
        """
        ...

    async def clear_state(self, key: StorageKey) -> None:
        """Forget the conversation (back to idle)."""
        ...

    async def clear_states_for_checkin(self, checkin_id: int) -> None:
        """Drop every conversation that was in the middle of ``checkin_id``."""
        ...

    async def chat_snapshot(self, key: StorageKey, checkin_id: int | None = None) -> Snapshot:
        """In one transaction: the chat's conversation state, its customer, and the context of
        ``checkin_id`` (default: the check-in the conversation is at).
        """
        ...

    async def read_snapshot(self, key: StorageKey, checkin_id: int | None = None) -> Snapshot:
        """``chat_snapshot``, read in one transaction with the snapshots asked for at the same
        moment (a customer's every answer needs one; see :mod:`storage.coalesce`).
        """
        ...
