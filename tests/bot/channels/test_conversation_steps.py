"""A conversation state row whose step the code no longer knows (a retired step, a hand-edited
row) is handled as idle, politely and logged, on both backends; known steps still route."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from handlers.texts import say
from storage.models import Answer, ConversationState
from tests.bot.channels.harness import Harness


async def _set_step(tg: Harness, chat: int, step: str) -> None:
    async with tg.bot.db.session() as s:
        row = await s.get(ConversationState, ("telegram", chat, chat))
        if row is None:
            row = ConversationState(channel="telegram", chat_id=chat, user_id=chat)
        row.step = step
        s.add(row)


async def test_an_unknown_stored_step_is_treated_as_idle_and_logged(
    tg: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    await tg.opt_in(2501, "S-1")
    await _set_step(tg, 2501, "survey_v0_step")
    reply = await tg.send(2501, "When will the spare part arrive?")
    assert "passed it on" in reply["text"]  # the idle chat's answer to unsolicited words
    async with tg.bot.db.session() as s:
        texts = [a.text for a in (await s.execute(select(Answer))).scalars()]
    assert texts == ["When will the spare part arrive?"]  # the words are kept
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert "unknown conversation step 'survey_v0_step': treated as idle" in warned
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_a_stored_awaiting_order_step_still_routes_to_linking(tg: Harness) -> None:
    # A row written as a plain string before the enum existed reads as the same step.
    await _set_step(tg, 2502, "awaiting_order")
    reply = await tg.send(2502, "B-404")
    assert reply["text"] == say("ask_proof", "en")
