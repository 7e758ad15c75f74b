"""Both units of work keep the ports of ``handlers/unit_of_work.py``: every repository a unit
hands out, in memory and on a database, has each method of its port as a coroutine with the
same parameters, so neither can drift from what the handlers call."""

from __future__ import annotations

import inspect
from typing import Protocol, get_type_hints

import pytest

import handlers.unit_of_work as ports
from storage import memory, unit_of_work
from storage.intake.writes import SqlPurchases
from tests.port_shapes import assert_keeps_port

UNITS = {"memory": memory.MemoryUnitOfWork, "sql": unit_of_work.SqlUnitOfWork}
SQL_CLASSES = {**vars(unit_of_work), "SqlPurchases": SqlPurchases}


def unit_ports() -> dict[str, type]:
    """The repositories a unit of work holds, by attribute, as the port says."""
    hints = get_type_hints(ports.UnitOfWork, vars(ports))
    return {name: port for name, port in hints.items() if Protocol in port.__mro__}


def test_every_port_of_the_unit_is_a_repository_it_holds() -> None:
    declared = {
        member
        for member in vars(ports).values()
        if inspect.isclass(member)
        and member.__module__ == ports.__name__
        and Protocol in member.__mro__
        and member is not ports.UnitOfWork
    }
    assert set(unit_ports().values()) == declared
    for unit in UNITS.values():
        assert set(unit.__annotations__) == set(unit_ports()), unit.__name__


@pytest.mark.parametrize("field", sorted(unit_ports()))
@pytest.mark.parametrize("backend", sorted(UNITS))
def test_each_repository_of_each_unit_has_its_ports_methods(field: str, backend: str) -> None:
    port = unit_ports()[field]
    name = UNITS[backend].__annotations__[field]
    repository = (vars(memory) if backend == "memory" else SQL_CLASSES)[name]
    assert_keeps_port(port, repository)
