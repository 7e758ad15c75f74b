"""Every query port in memory over one set of tables: what
:class:`storage.repositories.Repositories` is on a database."""

from __future__ import annotations

from dataclasses import dataclass

from storage.memory_tables import MemoryTables
from tests.handlers.memory.answers import MemoryAnswers
from tests.handlers.memory.cases import MemoryCases
from tests.handlers.memory.checkins import MemoryCheckIns
from tests.handlers.memory.conversations import MemoryConversations
from tests.handlers.memory.customers import MemoryCustomers
from tests.handlers.memory.desk_outbox import MemoryDeskOutbox
from tests.handlers.memory.leases import MemoryLeases
from tests.handlers.memory.message_queue import MemoryMessageQueue
from tests.handlers.memory.purchases import MemoryPurchases


@dataclass(frozen=True)
class MemoryRepositories:
    """The in-memory implementation of each port in ``handlers/repositories/``, sharing
    ``tables`` (a row one port writes, the others read)."""

    tables: MemoryTables
    checkins: MemoryCheckIns
    answers: MemoryAnswers
    conversations: MemoryConversations
    customers: MemoryCustomers
    cases: MemoryCases
    desk_outbox: MemoryDeskOutbox
    leases: MemoryLeases
    message_queue: MemoryMessageQueue
    purchases: MemoryPurchases

    @classmethod
    def on(cls, tables: MemoryTables | None = None) -> MemoryRepositories:
        """The ports over ``tables`` (fresh, empty ones by default)."""
        t = tables if tables is not None else MemoryTables()
        return cls(
            tables=t,
            checkins=MemoryCheckIns(t),
            answers=MemoryAnswers(t),
            conversations=MemoryConversations(t),
            customers=MemoryCustomers(t),
            cases=MemoryCases(t),
            desk_outbox=MemoryDeskOutbox(t),
            leases=MemoryLeases(t),
            message_queue=MemoryMessageQueue(t),
            purchases=MemoryPurchases(t),
        )
