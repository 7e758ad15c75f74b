"""From a score and its question type to a segment (detractor / passive / promoter).

NPS 0-10 uses the standard cut-offs (0-6, 7-8, 9-10). CSAT 1-5 and CES 1-7 map onto the
same names with the cut-offs their metrics use: CSAT 4-5 and CES 5-7 are "promoter", the
middle answer (CSAT 3, CES 4) "passive", the rest "detractor". A promoter whose words are
positive (and who needs no follow-up) is an ``ambassador_candidate``. Yes/no and free-text
questions have no score segment. All cut-offs are in ``data/thresholds.yaml``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

SCORED = ("nps", "csat", "ces")


@dataclass(frozen=True, slots=True)
class ScoreInfo:
    """A score placed on its scale."""

    score: int
    question: str
    segment: str
    hard_low: bool


def question_type(question: str | None, score: int | None) -> str | None:
    """Normalise the question type; a score without a type is taken as NPS (0-10)."""
    if question is None:
        return "nps" if score is not None else None
    q = question.strip().lower().replace("-", "_").replace("/", "_")
    if q in ("yesno", "yes_no", "boolean", "bool"):
        return "yes_no"
    if q in ("text", "free_text", "open"):
        return "text"
    if q in SCORED:
        return q
    raise ValueError(f"unknown question type {question!r}: use nps, csat, ces, yes_no or text")


def place_score(score: int | None, question: str | None, cfg: dict[str, Any]) -> ScoreInfo | None:
    """Return the segment of a score, or None when there is no score segment.

    Raises ValueError for a score outside its scale or a non-integer score.
    """
    q = question_type(question, score)
    if score is None or q not in SCORED:
        return None
    if isinstance(score, bool) or not isinstance(score, int | float) or int(score) != score:
        raise ValueError(f"score must be a whole number, got {score!r}")
    score = int(score)
    scale = cfg[q]
    if not scale["min"] <= score <= scale["max"]:
        raise ValueError(f"{q} score must be {scale['min']}-{scale['max']}, got {score}")
    for name in ("detractor", "passive", "promoter"):
        low, high = scale[name]
        if low <= score <= high:
            return ScoreInfo(score, q, name, score <= scale["hard_low"])
    raise ValueError(f"no segment for {q} score {score}: check thresholds.yaml")
