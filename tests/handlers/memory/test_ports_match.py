"""The in-memory ports keep the promises of the handlers' ports (``handlers/repositories``), as
``tests/storage/test_repository_ports.py`` checks storage's: every method of every port, as a
coroutine, with the same parameters, so the fakes cannot drift from what handlers call."""

from __future__ import annotations

import inspect
import pkgutil
from importlib import import_module
from typing import Protocol

import pytest

import handlers.repositories
from handlers.repositories.answers import Answers
from handlers.repositories.cases import Cases
from handlers.repositories.checkins import CheckIns
from handlers.repositories.conversations import Conversations
from handlers.repositories.customers import Customers
from handlers.repositories.desk_outbox import DeskOutbox
from handlers.repositories.leases import Leases
from handlers.repositories.message_queue import MessageQueue
from handlers.repositories.purchases import Purchases
from storage.repositories import Repositories
from tests.handlers.memory.answers import MemoryAnswers
from tests.handlers.memory.cases import MemoryCases
from tests.handlers.memory.checkins import MemoryCheckIns
from tests.handlers.memory.conversations import MemoryConversations
from tests.handlers.memory.customers import MemoryCustomers
from tests.handlers.memory.desk_outbox import MemoryDeskOutbox
from tests.handlers.memory.leases import MemoryLeases
from tests.handlers.memory.message_queue import MemoryMessageQueue
from tests.handlers.memory.purchases import MemoryPurchases
from tests.handlers.memory.repositories import MemoryRepositories
from tests.port_shapes import assert_keeps_port, port_methods, shape

PAIRS: list[tuple[type, type, str]] = [
    (CheckIns, MemoryCheckIns, "checkins"),
    (Answers, MemoryAnswers, "answers"),
    (Conversations, MemoryConversations, "conversations"),
    (Customers, MemoryCustomers, "customers"),
    (Cases, MemoryCases, "cases"),
    (DeskOutbox, MemoryDeskOutbox, "desk_outbox"),
    (Leases, MemoryLeases, "leases"),
    (MessageQueue, MemoryMessageQueue, "message_queue"),
    (Purchases, MemoryPurchases, "purchases"),
]


def declared_ports() -> set[type]:
    """Every Protocol class defined in a module of ``handlers/repositories/``."""
    found: set[type] = set()
    for info in pkgutil.iter_modules(handlers.repositories.__path__):
        module = import_module(f"handlers.repositories.{info.name}")
        for member in vars(module).values():
            if (
                inspect.isclass(member)
                and member.__module__ == module.__name__
                and Protocol in member.__mro__
            ):
                found.add(member)
    return found


def test_every_port_in_handlers_repositories_has_an_in_memory_implementation() -> None:
    assert declared_ports() == {port for port, _, _ in PAIRS}


@pytest.mark.parametrize(("port", "memory", "field"), PAIRS, ids=[p[2] for p in PAIRS])
def test_each_in_memory_port_has_its_ports_methods_with_the_same_parameters(
    port: type, memory: type, field: str
) -> None:
    assert_keeps_port(port, memory)
    assert MemoryRepositories.__dataclass_fields__[field].type == memory.__name__


def test_the_memory_bundle_hands_out_what_the_storage_bundle_does() -> None:
    memory_fields = set(MemoryRepositories.__dataclass_fields__) - {"tables"}
    storage_fields = set(Repositories.__dataclass_fields__) - {"db", "inbox"}
    assert memory_fields == storage_fields


def test_the_check_notices_a_missing_or_different_method() -> None:
    class Wider(Protocol):
        """A port the memory lease does not keep."""

        async def take_lease(self, name: str) -> bool:
            """Fewer parameters than the memory lease takes."""
            ...

        async def steal_lease(self, name: str) -> bool:
            """A method the memory lease does not have."""
            ...

    methods = port_methods(Wider)
    assert shape(inspect.signature(MemoryLeases.take_lease)) != shape(methods["take_lease"])
    assert getattr(MemoryLeases, "steal_lease", None) is None
