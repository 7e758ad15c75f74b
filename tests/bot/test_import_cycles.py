"""bot/ has no import cycles among the modules that run (imports made only for type checking
are left out: they are not executed). The contracts in pyproject.toml cover handlers/,
storage/ and sentiment/ with type-checking imports included."""

from __future__ import annotations

import grimp


def runtime_cycles(package: str) -> list[str]:
    """Each pair of the package's modules that import each other (directly or through others)
    at run time, with the way back."""
    graph = grimp.build_graph(package, exclude_type_checking_imports=True)
    found = set()
    for module in graph.modules:
        for imported in graph.find_modules_directly_imported_by(module):
            if imported.split(".")[0] != package or imported == module:
                continue
            back = graph.find_shortest_chain(importer=imported, imported=module)
            if back:
                found.add(f"{module} -> " + " -> ".join(back))
    return sorted(found)


def test_bot_has_no_import_cycles_at_run_time() -> None:
    assert runtime_cycles("bot") == []


def test_the_check_finds_a_cycle_when_there_is_one() -> None:
    cycles = runtime_cycles("email")  # the standard library's email package has some
    assert cycles, "grimp found no cycle where one exists: the check would pass vacuously"
