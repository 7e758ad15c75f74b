"""No private name of another library in the bot's code (the house rule "public APIs only").

Every ``x._name`` where ``x`` is not ``self``/``cls``, every ``getattr(x, "_name")``, and every
import from an underscored module of another package, in the bot's packages, benchmarks and tests,
must be in :data:`CHECKED`: each entry says why it is not a library's private name. A new one
fails here until someone checks it (a library's private member needs a public hook instead, or
a version bound and a test that fails when an upgrade breaks it). A class of ours that subclasses
a library's class must not use or override, through ``self``, an underscored member that a
library class in its MRO defines (how ``TolerantBot`` called PTB's ``Bot._post``).
"""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SCANNED = ("bot", "storage", "handlers", "sentiment", "benchmarks", "tests")
OWN_PACKAGES = {"bot", "storage", "handlers", "sentiment", "benchmarks", "tests"}

CHECKED: dict[tuple[str, str], str] = {
    ("storage/insights/aggregates.py", "_mapping"): "SQLAlchemy's public Row._mapping",
    ("sentiment/lexicon.py", "_typo_index"): "the lexicon's own field, filled by its loader",
    **{
        ("tests/storage/test_sqlite_inline_contract.py", name): "the contract test that pins "
        "aiosqlite's members SQLAlchemy reads (pyproject.toml bounds both libraries)"
        for name in ("_connection", "_conn", "_tx")
    },
}


def _underscored(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _private_uses(tree: ast.AST) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _underscored(node.attr):
            owner = node.value
            if isinstance(owner, ast.Name) and owner.id in {"self", "cls"}:
                continue
            if isinstance(owner, ast.Call) and getattr(owner.func, "id", None) == "super":
                continue
            found.add(node.attr)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in {"getattr", "setattr", "hasattr", "delattr"}
            and len(node.args) >= 2
            and isinstance(node.args[1], ast.Constant)
            and isinstance(node.args[1].value, str)
            and _underscored(node.args[1].value)
        ):
            found.add(node.args[1].value)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            parts = node.module.split(".")
            if parts[0] not in OWN_PACKAGES and any(_underscored(p) for p in parts):
                found.add(f"import {node.module}")
    return found


def test_no_private_name_of_another_library() -> None:
    unchecked = []
    seen: set[tuple[str, str]] = set()
    for package in SCANNED:
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            for name in _private_uses(ast.parse(path.read_text(encoding="utf-8"))):
                seen.add((rel, name))
                if (rel, name) not in CHECKED:
                    unchecked.append(f"{rel}: {name}")
    assert not unchecked, "private names not checked (see this module's docstring): " + ", ".join(
        sorted(unchecked)
    )
    assert not set(CHECKED) - seen, f"no longer used, drop from CHECKED: {set(CHECKED) - seen}"


def _self_names(cls_node: ast.ClassDef) -> set[str]:
    """Underscored names a class body defines or reads/writes through ``self``/``cls``."""
    names = {
        n.name
        for n in cls_node.body
        if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef) and _underscored(n.name)
    }
    for node in ast.walk(cls_node):
        if (
            isinstance(node, ast.Attribute)
            and _underscored(node.attr)
            and isinstance(node.value, ast.Name)
            and node.value.id in {"self", "cls"}
        ):
            names.add(node.attr)
    return names


def _library_members(cls: type) -> set[str]:
    """Underscored members defined by the library classes in ``cls``'s MRO."""
    members: set[str] = set()
    for base in cls.__mro__[1:]:
        if base.__module__.split(".")[0] in OWN_PACKAGES | {"builtins", "typing", "abc"}:
            continue
        slots = vars(base).get("__slots__", ())
        members |= {n for n in (*vars(base), *([slots] if isinstance(slots, str) else slots))}
    return {n for n in members if _underscored(n)}


def test_no_subclass_uses_a_private_member_of_its_library_base() -> None:
    found = []
    for package in ("bot", "storage", "handlers", "sentiment"):
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            classes = [n for n in tree.body if isinstance(n, ast.ClassDef) and n.bases]
            if not classes:
                continue
            module_name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            module = importlib.import_module(module_name.removesuffix(".__init__"))
            for node in classes:
                cls = getattr(module, node.name, None)
                if not isinstance(cls, type):
                    continue
                for name in sorted(_self_names(node) & _library_members(cls)):
                    found.append(f"{module_name}.{node.name}: {name}")
    assert not found, "library privates used through self: " + ", ".join(found)


def test_the_scan_finds_what_it_is_for() -> None:
    sample = ast.parse(
        "from telegram._utils.types import JSONDict\n"
        "x = bot._post('sendMessage', {})\n"
        "y = getattr(site, '_server')\n"
        "z = self._own + cls._own + super()._own + obj.__class__\n"
    )
    assert _private_uses(sample) == {"import telegram._utils.types", "_post", "_server"}
    from telegram.ext import ExtBot

    subclass = ast.parse(
        "class B(ExtBot):\n"
        "    async def send(self):\n"
        "        return await self._post('sendMessage', {}) or self._mine\n"
        "    def _insert_defaults(self, data): ...\n"
    ).body[0]
    assert isinstance(subclass, ast.ClassDef)
    assert _self_names(subclass) & _library_members(ExtBot) == {"_post", "_insert_defaults"}
