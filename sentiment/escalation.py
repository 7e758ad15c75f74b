"""Deciding whether a reply goes to support, and how urgently."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sentiment.result import max_priority
from sentiment.segments import ScoreInfo


@dataclass(frozen=True, slots=True)
class Decision:
    """The escalation verdict with the reasons behind it."""

    escalate: bool
    priority: str | None
    reasons: tuple[str, ...]


def decide(
    label: str,
    intents: tuple[str, ...],
    themes: tuple[str, ...],
    info: ScoreInfo | None,
    has_text: bool,
    cfg: dict[str, Any],
) -> Decision:
    """Combine score, label, intents and themes into escalate / priority / reasons.

    - an urgent or problem intent escalates with its own priority (a public-review threat only
      when the reply is not positive; opt-out never does);
    - a hard-low score (e.g. NPS 0-3) always escalates;
    - another detractor escalates with a negative reply, a problem intent or no words at all,
      but not with a mild reply ("fine, only the price is high");
    - a passive or promoter with a complaint escalates (the contradiction: a 9 with angry words);
    - without a score, a negative reply about something fixable escalates; a question gets low.
    """
    prio_map: dict[str, str] = cfg.get("intent_priority", {})
    silent = set(cfg.get("silent_intents", ())) | {"question"}
    mild = set(cfg.get("mild_themes", ()))
    reasons: list[str] = []
    priority: str | None = None
    problems = [
        i for i in intents if i not in silent and not (i == "public_review" and label == "positive")
    ]
    for intent in problems:
        priority = max_priority(priority, prio_map.get(intent, "normal"))
        reasons.append(f"asks/reports: {intent.replace('_', ' ')}")
    complaint = label == "negative" and not (themes and set(themes) <= mild and not problems)
    if "opt_out" in intents and not problems and (info is None or not info.hard_low):
        return Decision(False, None, ("opt-out: no case, just stop messaging",))
    if info is not None:
        where = f"{info.question.upper()} {info.score}"
        if info.segment == "detractor":
            if info.hard_low:
                priority = max_priority(priority, "high" if label != "positive" else "normal")
                reasons.append(f"low score ({where})")
            elif complaint or problems:
                priority = max_priority(priority, "high" if complaint and problems else "normal")
                reasons.append(f"detractor ({where}) with a complaint")
            elif not has_text:
                priority = max_priority(priority, "normal")
                reasons.append(f"detractor ({where}) without a comment")
            else:
                reasons.append(f"detractor ({where}) but the reply names nothing to fix")
        elif complaint:
            priority = max_priority(priority, "normal")
            reasons.append(f"contradiction: {info.segment} score ({where}) with a complaint")
    elif complaint:
        priority = max_priority(priority, "normal")
        reasons.append("negative reply about something to fix")
    if priority is None and "question" in intents and "opt_out" not in intents:
        priority = "low"
        reasons.append("asks a question")
    return Decision(priority is not None, priority, tuple(reasons))
