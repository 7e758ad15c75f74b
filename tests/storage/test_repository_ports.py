"""Storage's repositories keep the promises of the handlers' ports (``handlers/repositories``).

Each port lists what handlers call; the repository that the composition root hands out for it
must have every one of those methods, as a coroutine, taking the same parameters.
"""

from __future__ import annotations

import inspect
from typing import Protocol

import pytest

from handlers.repositories.answers import Answers
from handlers.repositories.cases import Cases
from handlers.repositories.checkins import CheckIns
from handlers.repositories.conversations import Conversations
from handlers.repositories.customers import Customers
from handlers.repositories.desk_outbox import DeskOutbox
from handlers.repositories.leases import Leases
from handlers.repositories.message_queue import MessageQueue
from handlers.repositories.purchases import Purchases
from storage.repositories import (
    AnswerRepository,
    CaseRepository,
    CheckInRepository,
    ConversationRepository,
    CustomerRepository,
    DeskOutboxRepository,
    LeaseRepository,
    MessageQueueRepository,
    PurchaseRepository,
    Repositories,
)
from tests.port_shapes import assert_keeps_port, port_methods, shape

PAIRS: list[tuple[type[Protocol], type, str]] = [  # type: ignore[valid-type]
    (CheckIns, CheckInRepository, "checkins"),
    (Answers, AnswerRepository, "answers"),
    (Conversations, ConversationRepository, "conversations"),
    (Customers, CustomerRepository, "customers"),
    (Cases, CaseRepository, "cases"),
    (DeskOutbox, DeskOutboxRepository, "desk_outbox"),
    (Leases, LeaseRepository, "leases"),
    (MessageQueue, MessageQueueRepository, "message_queue"),
    (Purchases, PurchaseRepository, "purchases"),
]


@pytest.mark.parametrize(("port", "repository", "field"), PAIRS, ids=[p[2] for p in PAIRS])
def test_each_repository_has_its_ports_methods_with_the_same_parameters(
    port: type, repository: type, field: str
) -> None:
    assert_keeps_port(port, repository)
    assert Repositories.__dataclass_fields__[field].type == repository.__name__


def test_the_check_notices_a_port_the_repository_does_not_keep() -> None:
    class Wider(Protocol):
        async def claim_due_checkins(self, worker: str) -> list[object]:
            """Fewer parameters than storage takes."""
            ...

    sig = port_methods(Wider)["claim_due_checkins"]
    assert shape(inspect.signature(CheckInRepository.claim_due_checkins)) != shape(sig)
