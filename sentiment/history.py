"""The customer's history as an escalation input: what the caller knows before this reply.

Sentiment never reads storage: the caller (``handlers.checkins.scoring``) looks the customer up and
passes a :class:`History` with the reply. The :class:`HistoryPolicy` (config
``sentiment.escalation.history.*``) says which parts of it may escalate a reply that the words
and the score alone would not; history only ever adds a case, it never removes one, and a
positive reply is never escalated because of the past.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from sentiment.result import Analysis, max_priority


@dataclass(frozen=True, slots=True)
class History:
    """The customer before this reply (all optional; the default is "nothing known").

    - ``open_case``: they have a case that is not resolved yet;
    - ``recent_case``: a case of theirs was resolved within the caller's window (30 days);
    - ``last_detractor``: their previous score was a detractor score;
    - ``recent_complaints``: how many of their earlier replies in the window were negative.
    """

    open_case: bool = False
    recent_case: bool = False
    last_detractor: bool = False
    recent_complaints: int = 0

    def __post_init__(self) -> None:
        """Reject a negative count."""
        if self.recent_complaints < 0:
            raise ValueError("history.recent_complaints must be 0 or more")

    @classmethod
    def from_obj(cls, obj: Any) -> History | None:
        """A History from a History, a dict (JSON input) or None; bad input raises ValueError."""
        if obj is None or isinstance(obj, History):
            return obj
        if not isinstance(obj, dict):
            raise ValueError("'history' must be an object")
        known = {f.name for f in dataclasses.fields(cls)}
        unknown = sorted(set(obj) - known)
        if unknown:
            raise ValueError(f"unknown history field(s) {unknown}: use any of {sorted(known)}")
        for key in ("open_case", "recent_case", "last_detractor"):
            if key in obj and not isinstance(obj[key], bool):
                raise ValueError(f"history.{key} must be true or false")
        count = obj.get("recent_complaints", 0)
        if isinstance(count, bool) or not isinstance(count, int):
            raise ValueError("history.recent_complaints must be a whole number")
        return cls(**obj)


HistoryLike = History | dict[str, Any]
"""A :class:`History`, or a dict of its fields (what a caller outside sentiment/ passes)."""


@dataclass(frozen=True, slots=True)
class HistoryPolicy:
    """Which parts of the history escalate (config ``sentiment.escalation.history``).

    - ``open_case``: a reply that is not positive, from a customer with an open case, goes to
      the desk (it joins their case: the person on it must see it);
    - ``after_case``: a negative reply within the window after a resolved case goes to the desk
      (the fix did not hold);
    - ``repeat_complaints``: a negative reply escalates when the customer already made this many
      complaints in the window, counting a previous detractor score as one (0 turns it off;
      the default 1 means "a second complaint in a row").
    """

    open_case: bool = True
    after_case: bool = True
    repeat_complaints: int = 1

    def __post_init__(self) -> None:
        """Reject a negative count, naming the key."""
        if self.repeat_complaints < 0:
            raise ValueError("sentiment.escalation.history.repeat_complaints must be 0 or more")


def history_can_matter(analysis: Analysis) -> bool:
    """Whether any history could escalate this reply: not for a positive reply or an opt-out,
    so a caller may skip looking the customer up for those."""
    return analysis.label != "positive" and "opt_out" not in analysis.intents


def history_reasons(analysis: Analysis, history: History, policy: HistoryPolicy) -> list[str]:
    """Why the history sends this reply to a person (empty: it does not)."""
    if not history_can_matter(analysis):
        return []
    out = []
    if policy.open_case and history.open_case:
        out.append("history: the customer has an open case")
    if analysis.label == "negative":
        if policy.after_case and history.recent_case:
            out.append("history: a complaint soon after their case was resolved")
        earlier = history.recent_complaints + int(history.last_detractor)
        if policy.repeat_complaints and earlier >= policy.repeat_complaints:
            out.append(f"history: another complaint ({earlier} before in the window)")
    return out


def apply_history(analysis: Analysis, history: History | None, policy: HistoryPolicy) -> Analysis:
    """The analysis with the history's escalation added (unchanged when it adds nothing)."""
    if history is None:
        return analysis
    why = history_reasons(analysis, history, policy)
    if not why:
        return analysis
    extra = dict(analysis.extra or {})
    extra["history"] = dataclasses.asdict(history)
    return dataclasses.replace(
        analysis,
        escalate=True,
        priority=max_priority(analysis.priority, "normal"),
        reasons=(*analysis.reasons, *why),
        extra=extra,
    )
