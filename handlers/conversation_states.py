"""The conversation's named steps and, per capability, the table of moves between them.

A chat's conversation state holds one :class:`Step` (stored as its string, so rows written before
the enum existed still read). Each capability owns one :class:`StateTable`: from which step, on
what, to which step. Routing asks the tables which capability takes a customer's words at a step,
and the handlers move a chat on with :meth:`StateTable.next`, so a move that is not in a table
fails loudly in the tests instead of quietly inventing a new path. Moves back to idle made by
deleting the chat's row (``clear_state``: /stop, an expired check-in, a move to another chat)
are listed too, so the diagram shows every way out of a step.

``conversation_states.md`` beside this module is the Mermaid diagram of these tables, written by
``python -m handlers.conversation_states``; a test fails when it is stale.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

from storage.models import ConversationStep as Step

log = logging.getLogger(__name__)

__all__ = [
    "ADVOCACY",
    "CHECK_IN",
    "DESK_RELAY",
    "OPT_IN",
    "TABLES",
    "On",
    "StateTable",
    "Step",
    "Transition",
    "mermaid",
    "step_of",
    "takes_words",
]

Trigger = Literal["words", "button", "command", "system"]
"""What moves a chat: the customer's words, a button they press, a command, or the bot itself."""


class On(StrEnum):
    """The events that move a chat from one step to another (the diagram's labels)."""

    START = "/start, not linked yet"
    ORDER_TYPED = "order number typed"
    LINKED_BY_ORDER = "proof matches: linked"
    LINKED_BY_LINK = "deep link: linked"
    WRONG_PROOF = "wrong proof, tries left"
    LOCKED_OUT = "too many wrong tries, or the order is locked"
    LINKED_ELSEWHERE = "order linked to another chat"
    STOPPED = "/stop, or /forget confirmed"
    MOVED_AWAY = "the customer moved to another chat"
    CHECKIN_SENT = "check-in's first question goes out"
    SCORE_ASKS_WHY = "score that asks a follow-up"
    WORDS_NOT_SCORE = "words where a score was asked: kept, asked again"
    NEXT_QUESTION = "answer, next question"
    LAST_ANSWER = "last answer: thanks"
    CHECKIN_CLOSED = "words after the check-in closed"
    EXPIRED = "check-in expired, or its question could not be sent"
    TESTIMONIAL_CHOSEN = "ambassador chose the testimonial"
    TESTIMONIAL_WORDS = "the testimonial's words: consent asked"
    CONSENT_GIVEN = "consent button"
    ASK_CLOSED = "words for an ask that closed"
    CASE_WORDS = "words while a case is open: to its thread"


@dataclass(frozen=True)
class Transition:
    """One move: from ``source`` (None: any step) on ``event`` to ``target``; ``by`` says what
    the customer (or the bot) does to make it."""

    source: Step | None
    event: On
    target: Step
    by: tuple[Trigger, ...]


@dataclass(frozen=True)
class StateTable:
    """The moves one capability makes in a chat's conversation."""

    capability: str
    transitions: tuple[Transition, ...]

    def next(self, source: str, event: On) -> Step:
        """The step after ``event`` at ``source``; ValueError when the table has no such move."""
        step = step_of(source)
        for t in self.transitions:
            if t.event == event and t.source == step:
                return t.target
        for t in self.transitions:
            if t.event == event and t.source is None:
                return t.target
        raise ValueError(f"{self.capability}: no move from {step} on {event!r}")

    def takes(self, step: str, trigger: Trigger) -> bool:
        """Whether this capability handles ``trigger`` (words, a button...) at ``step``."""
        current = step_of(step)
        return any(trigger in t.by and t.source in (current, None) for t in self.transitions)

    def takes_words(self, step: str) -> bool:
        """Whether this capability handles the customer's words at ``step``."""
        return self.takes(step, "words")

    def takes_button(self, step: str) -> bool:
        """Whether this capability handles a button pressed at ``step``."""
        return self.takes(step, "button")


def step_of(stored: str | None) -> Step:
    """The step a stored value names; an unknown value (a retired step, a hand-edited row) is
    treated as idle, and logged, so the customer is answered instead of the update failing."""
    if stored is None:
        return Step.IDLE
    try:
        return Step(stored)
    except ValueError:
        log.warning("unknown conversation step %r: treated as idle", stored[:40])
        return Step.IDLE


S = Step

OPT_IN = StateTable(
    "opt-in",
    (
        Transition(None, On.START, S.AWAITING_ORDER, ("command",)),
        Transition(S.AWAITING_ORDER, On.ORDER_TYPED, S.AWAITING_PROOF, ("words",)),
        Transition(S.AWAITING_PROOF, On.LINKED_BY_ORDER, S.IDLE, ("words",)),
        Transition(S.AWAITING_PROOF, On.WRONG_PROOF, S.AWAITING_ORDER, ("words",)),
        Transition(S.AWAITING_PROOF, On.LOCKED_OUT, S.IDLE, ("words",)),
        Transition(S.AWAITING_PROOF, On.LINKED_ELSEWHERE, S.IDLE, ("words",)),
        Transition(None, On.LINKED_BY_LINK, S.IDLE, ("command",)),
        Transition(None, On.STOPPED, S.IDLE, ("command", "button")),
        Transition(None, On.MOVED_AWAY, S.IDLE, ("command", "button")),
    ),
)
"""Linking a chat to a customer: a deep link, or the order number and a proof typed."""

CHECK_IN = StateTable(
    "check-in",
    (
        Transition(None, On.CHECKIN_SENT, S.QUESTION, ("system",)),
        Transition(S.QUESTION, On.SCORE_ASKS_WHY, S.FOLLOW_UP, ("button", "words")),
        Transition(S.QUESTION, On.WORDS_NOT_SCORE, S.QUESTION, ("words",)),
        Transition(S.QUESTION, On.NEXT_QUESTION, S.QUESTION, ("button", "words")),
        Transition(S.FOLLOW_UP, On.NEXT_QUESTION, S.QUESTION, ("words",)),
        Transition(S.QUESTION, On.LAST_ANSWER, S.IDLE, ("button", "words")),
        Transition(S.FOLLOW_UP, On.LAST_ANSWER, S.IDLE, ("words",)),
        Transition(S.QUESTION, On.CHECKIN_CLOSED, S.IDLE, ("words",)),
        Transition(S.FOLLOW_UP, On.CHECKIN_CLOSED, S.IDLE, ("words",)),
        Transition(S.QUESTION, On.EXPIRED, S.IDLE, ("system",)),
        Transition(S.FOLLOW_UP, On.EXPIRED, S.IDLE, ("system",)),
    ),
)
"""A check-in's questions, one at a time (scores by button or typed); a score may ask a
follow-up for words."""

ADVOCACY = StateTable(
    "advocacy",
    (
        Transition(None, On.TESTIMONIAL_CHOSEN, S.TESTIMONIAL, ("button",)),
        Transition(S.TESTIMONIAL, On.TESTIMONIAL_WORDS, S.TESTIMONIAL_CONSENT, ("words",)),
        Transition(S.TESTIMONIAL_CONSENT, On.TESTIMONIAL_WORDS, S.TESTIMONIAL_CONSENT, ("words",)),
        Transition(S.TESTIMONIAL_CONSENT, On.CONSENT_GIVEN, S.IDLE, ("button",)),
        Transition(S.TESTIMONIAL, On.ASK_CLOSED, S.IDLE, ("words",)),
        Transition(S.TESTIMONIAL_CONSENT, On.ASK_CLOSED, S.IDLE, ("words",)),
    ),
)
"""An ambassador's testimonial: their words, then explicit consent to quote them."""

DESK_RELAY = StateTable(
    "desk relay",
    (Transition(S.IDLE, On.CASE_WORDS, S.IDLE, ("words",)),),
)
"""Words from a customer with an open case go to the case's thread; the chat stays idle."""

TABLES = (OPT_IN, CHECK_IN, ADVOCACY, DESK_RELAY)


def takes_words(step: str) -> tuple[StateTable, ...]:
    """The capabilities that take the customer's words at ``step``, in routing order."""
    current = step_of(step)  # once: an unknown step is logged once
    return tuple(t for t in TABLES if t.takes_words(current))


def _node(step: Step) -> str:
    return step.value


def mermaid(tables: tuple[StateTable, ...] = TABLES) -> str:
    """The tables as Markdown with one Mermaid state diagram per capability."""
    out = [
        "# Conversation states",
        "",
        "Generated from `handlers/conversation_states.py` by",
        "`python -m handlers.conversation_states`; do not edit by hand",
        "(`tests/handlers/test_conversation_states.py` fails when this file is stale).",
        "A move from *any step* starts wherever the chat stood.",
        "",
    ]
    for table in tables:
        out += [f"## {table.capability}", "", "```mermaid", "stateDiagram-v2"]
        if any(t.source is None for t in table.transitions):
            out.append('    state "any step" as any')
        for t in table.transitions:
            source = "any" if t.source is None else _node(t.source)
            by = " or ".join(t.by)
            out.append(f"    {source} --> {_node(t.target)} : {t.event.value} ({by})")
        out += ["```", ""]
    return "\n".join(out)


DIAGRAM_FILE = "conversation_states.md"


if __name__ == "__main__":  # pragma: no cover - the writer of the committed diagram
    from pathlib import Path

    path = Path(__file__).with_name(DIAGRAM_FILE)
    path.write_text(mermaid(), encoding="utf-8")
    print(f"wrote {path}")
