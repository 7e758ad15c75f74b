"""The log of a whole demo run at INFO holds no customer's name, e-mail or words, and no staff
reply text (the demo drives the real bot, its desk and its scheduler seams end to end)."""

from __future__ import annotations

import io
import logging

import pytest
from rich.console import Console

from bot.log_context import JsonFormatter
from sandbox.demo import run_demo
from sandbox.demo_customers import PERSONAS
from sandbox.demo_support import PLANS


async def test_the_demo_logs_no_personal_data_at_info(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO):
        await run_demo(Console(file=io.StringIO(), width=200, color_system=None))
    lines = [JsonFormatter().format(r) for r in caplog.records if r.levelno >= logging.INFO]
    assert lines
    log = "\n".join(lines)
    forbidden: list[str] = []
    for persona in PERSONAS:
        forbidden += [persona.name, *(part for part in persona.name.split() if len(part) > 3)]
        forbidden += [words for kind, words in persona.answers if kind == "type" and len(words) > 3]
    forbidden += [plan.reply for plan in PLANS] + [plan.note for plan in PLANS]
    forbidden.append("@example")
    for personal in forbidden:
        assert personal not in log, f"{personal!r} in the demo's log"
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR], log
