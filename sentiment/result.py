"""The immutable result of analysing one reply."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

LABELS = ("negative", "neutral", "positive")
PRIORITIES = ("low", "normal", "high", "urgent")


@dataclass(frozen=True, slots=True)
class Analysis:
    """What one reply says: polarity, label, language, intents, themes, segment and escalation.

    ``reasons`` lists the cues that decided it, in words a support agent can read.
    ``segment`` is None without a score; ``priority`` is None when ``escalate`` is False.
    """

    polarity: float
    label: str
    confidence: float
    lang: str
    intents: tuple[str, ...] = ()
    themes: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()
    segment: str | None = None
    escalate: bool = False
    priority: str | None = None
    score: int | None = None
    question: str | None = None
    backend: str = "rules"
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict; ``sentiment`` repeats ``label`` for scripts."""
        data = asdict(self)
        data["intents"] = list(self.intents)
        data["themes"] = list(self.themes)
        data["reasons"] = list(self.reasons)
        data["sentiment"] = self.label
        data["polarity"] = round(self.polarity, 4)
        data["confidence"] = round(self.confidence, 4)
        if not self.extra:
            data.pop("extra")
        return data


def label_for(polarity: float, positive: float, negative: float) -> str:
    """Map a polarity onto negative / neutral / positive with the given cut-offs."""
    if polarity >= positive:
        return "positive"
    if polarity <= negative:
        return "negative"
    return "neutral"


def max_priority(current: str | None, new: str | None) -> str | None:
    """Return the more urgent of two priorities (None is below "low")."""
    if new is None:
        return current
    if current is None:
        return new
    return new if PRIORITIES.index(new) > PRIORITIES.index(current) else current
