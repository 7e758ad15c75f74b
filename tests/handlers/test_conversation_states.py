"""The conversation's steps and transition tables: the committed diagram, the routing, the
stored strings, and no bare step strings left in the code."""

from __future__ import annotations

import ast
import logging
from pathlib import Path

import pytest

from handlers import conversation_states as cs
from handlers.conversation_states import (
    ADVOCACY,
    CHECK_IN,
    DESK_RELAY,
    OPT_IN,
    TABLES,
    On,
    Step,
    step_of,
    takes_words,
)

ROOT = Path(__file__).resolve().parents[2]


def test_the_committed_diagram_is_generated_from_the_tables() -> None:
    committed = (ROOT / "handlers" / cs.DIAGRAM_FILE).read_text(encoding="utf-8")
    assert committed == cs.mermaid(), (
        "handlers/conversation_states.md is stale: run python -m handlers.conversation_states"
    )


def test_the_diagram_has_one_state_diagram_per_capability_with_every_move() -> None:
    text = cs.mermaid()
    assert text.count("stateDiagram-v2") == len(TABLES) == 4
    for table in TABLES:
        assert f"## {table.capability}" in text
        for t in table.transitions:
            assert f" --> {t.target.value} : {t.event.value} (" in text


def test_stored_values_are_the_strings_rows_already_hold() -> None:
    # No migration: the enum's values are the strings written before it existed.
    assert [s.value for s in Step] == [
        "idle",
        "awaiting_order",
        "awaiting_proof",
        "question",
        "follow_up",
        "testimonial",
        "testimonial_consent",
    ]
    assert Step.QUESTION == "question"  # a str read from the database compares equal


def test_every_step_is_reached_and_every_event_used() -> None:
    targets = {t.target for table in TABLES for t in table.transitions}
    assert targets == set(Step)
    events = {t.event for table in TABLES for t in table.transitions}
    assert events == set(On)


def test_routing_of_words_reads_the_tables() -> None:
    assert takes_words("awaiting_order") == (OPT_IN,)
    assert takes_words("awaiting_proof") == (OPT_IN,)
    assert takes_words("question") == (CHECK_IN,)
    assert takes_words("follow_up") == (CHECK_IN,)
    assert takes_words("testimonial") == (ADVOCACY,)
    assert takes_words("testimonial_consent") == (ADVOCACY,)
    assert takes_words("idle") == (DESK_RELAY,)
    assert CHECK_IN.takes_button("question") and not CHECK_IN.takes_button("follow_up")


def test_moves_come_from_the_tables_and_a_move_not_in_them_fails() -> None:
    assert OPT_IN.next("awaiting_order", On.ORDER_TYPED) == Step.AWAITING_PROOF
    assert OPT_IN.next("awaiting_proof", On.WRONG_PROOF) == Step.AWAITING_ORDER
    assert OPT_IN.next("question", On.START) == Step.AWAITING_ORDER  # from any step
    assert CHECK_IN.next("follow_up", On.NEXT_QUESTION) == Step.QUESTION
    assert CHECK_IN.next("question", On.SCORE_ASKS_WHY) == Step.FOLLOW_UP
    assert ADVOCACY.next("testimonial", On.TESTIMONIAL_WORDS) == Step.TESTIMONIAL_CONSENT
    with pytest.raises(ValueError, match="no move from follow_up"):
        CHECK_IN.next("follow_up", On.SCORE_ASKS_WHY)
    with pytest.raises(ValueError, match="opt-in: no move from idle"):
        OPT_IN.next("idle", On.ORDER_TYPED)


def test_an_unknown_stored_step_is_idle_and_logged(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="handlers.conversation_states"):
        assert step_of("survey_v0_step") == Step.IDLE
        assert takes_words("survey_v0_step") == (DESK_RELAY,)
    warnings = [r.getMessage() for r in caplog.records]
    assert warnings[0] == "unknown conversation step 'survey_v0_step': treated as idle"
    assert len(warnings) == 2  # once per look-up, not once per table
    assert step_of(None) == Step.IDLE


def _bare_step_strings(path: Path) -> list[str]:
    """``x.step = "..."``, ``x.step == "..."`` and ``"step": "..."`` with a literal string."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Assign):
            targets = [
                e for t in node.targets for e in (t.elts if isinstance(t, ast.Tuple) else [t])
            ]
            values = node.value.elts if isinstance(node.value, ast.Tuple) else [node.value]
            for target, value in zip(targets, values, strict=False):
                if (
                    isinstance(target, ast.Attribute)
                    and target.attr == "step"
                    and isinstance(value, ast.Constant)
                    and isinstance(value.value, str)
                ):
                    found.append(f"{path.name}:{node.lineno}")
        elif isinstance(node, ast.Compare):
            sides = [node.left, *node.comparators]
            if any(isinstance(s, ast.Attribute) and s.attr == "step" for s in sides) and any(
                isinstance(s, ast.Constant) and isinstance(s.value, str) for s in sides
            ):
                found.append(f"{path.name}:{node.lineno}")
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if (
                    isinstance(key, ast.Constant)
                    and key.value == "step"
                    and isinstance(value, ast.Constant)
                    and isinstance(value.value, str)
                ):
                    found.append(f"{path.name}:{node.lineno}")
    return found


def test_no_bare_step_strings_in_handlers_or_storage() -> None:
    files = sorted((ROOT / "handlers").glob("*.py")) + sorted((ROOT / "storage").glob("*.py"))
    assert [f for path in files for f in _bare_step_strings(path)] == []


def test_the_bare_string_check_finds_one(tmp_path: Path) -> None:
    # The check above could pass by finding nothing at all: show it finds each form.
    probe = tmp_path / "probe.py"
    source = 'state.step = "question"\nif state.step != "idle": pass\nrow = {"step": "question"}\n'
    probe.write_text(source, encoding="utf-8")
    assert _bare_step_strings(probe) == ["probe.py:1", "probe.py:2", "probe.py:3"]
