"""The interface every sentiment backend implements."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, runtime_checkable

from sentiment.history import History, HistoryLike
from sentiment.result import Analysis

QUESTION_TYPES = ("nps", "csat", "ces", "yes_no", "text")

Item = str | dict
"""An item for ``analyze_many``: a text, or a dict with text and optional lang/score/question
and ``history`` (a :class:`sentiment.history.History` or a dict of its fields)."""


@runtime_checkable
class Analyzer(Protocol):
    """A sentiment backend: one reply in, one :class:`Analysis` out."""

    name: str

    def analyze(
        self,
        text: str,
        lang: str | None = None,
        score: int | None = None,
        question: str | None = None,
        history: HistoryLike | None = None,
    ) -> Analysis:
        """Analyse one reply; ``score`` is the rating given with it, ``question`` its type,
        ``history`` what the caller knows of the customer (an escalation input)."""
        ...

    def analyze_many(self, items: Iterable[Item]) -> list[Analysis]:
        """Analyse many replies in order (texts or dicts with text/lang/score/question/history)."""
        ...


def unpack(item: Item) -> tuple[str, str | None, int | None, str | None]:
    """Split an ``analyze_many`` item into (text, lang, score, question)."""
    if isinstance(item, str):
        return item, None, None, None
    return (
        str(item.get("text") or ""),
        item.get("lang"),
        item.get("score"),
        item.get("question"),
    )


def history_of(item: Item) -> History | None:
    """The customer history carried by an ``analyze_many`` item (None when it has none)."""
    if isinstance(item, str):
        return None
    return History.from_obj(item.get("history"))
