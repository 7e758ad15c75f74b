"""Whether an implementation keeps a port (a ``Protocol`` of the handlers): each method the port
declares, as a coroutine taking the same parameters. Shared by the checks of storage's
repositories, the units of work, the in-memory ports and the channels."""

from __future__ import annotations

import inspect


def port_methods(port: type) -> dict[str, inspect.Signature]:
    """The methods a port declares (not the ones Protocol itself brings)."""
    return {
        name: inspect.signature(member)
        for name, member in vars(port).items()
        if inspect.isfunction(member) and not name.startswith("_")
    }


def shape(sig: inspect.Signature) -> list[tuple[str, object, bool]]:
    """Names, kinds and whether each parameter has a default."""
    return [(p.name, p.kind, p.default is not p.empty) for p in sig.parameters.values()]


def assert_keeps_port(port: type, implementation: type) -> dict[str, inspect.Signature]:
    """Fail naming the first method of ``port`` that ``implementation`` lacks, has as a plain
    function, or declares with other parameters; returns the port's methods."""
    methods = port_methods(port)
    assert methods, f"{port.__name__} declares no method"
    who = implementation.__name__
    for name, sig in methods.items():
        implemented = getattr(implementation, name, None)
        assert implemented is not None, f"{who} lacks {port.__name__}.{name}"
        assert inspect.iscoroutinefunction(implemented), f"{who}.{name}"
        assert shape(inspect.signature(implemented)) == shape(sig), (
            f"{who}.{name} takes other parameters than {port.__name__} says"
        )
    return methods
