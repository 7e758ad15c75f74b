"""Where the learned backend draws the escalation line, and how an operator moves it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sentiment.history import HistoryPolicy


@dataclass(frozen=True, slots=True)
class OperatingPoint:
    """The operator's choice (``sentiment.escalation.*`` in the config).

    - ``recall``: escalate enough replies to catch this share of those that need a person,
      as measured by cross-validation on the train part (the default 0.95 is the trained point);
    - ``threshold``: or set the probability cut-off directly (wins over ``recall``);
    - ``always``: intents that escalate whatever the model says (safety and legal by default);
    - ``history``: which parts of the customer's history escalate (every backend reads it).
    """

    recall: float | None = None
    threshold: float | None = None
    always: tuple[str, ...] = ("safety", "legal")
    history: HistoryPolicy = field(default_factory=HistoryPolicy)

    def __post_init__(self) -> None:
        """Reject points outside 0..1 with a message naming the key."""
        for key in ("recall", "threshold"):
            value = getattr(self, key)
            if value is not None and not 0.0 <= value <= 1.0:
                raise ValueError(f"sentiment.escalation.{key} must be between 0 and 1")


@dataclass(frozen=True, slots=True)
class Cut:
    """The threshold in use and what it is expected to give (cross-validated on train)."""

    threshold: float
    recall: float | None
    precision: float | None
    source: str


def resolve(point: OperatingPoint, head: dict[str, Any]) -> Cut:
    """The probability cut-off for ``point`` from the head's cross-validated curve.

    The curve holds (threshold, recall, precision[, floor]) rows measured out of fold on the
    train part; ``floor`` is the lowest per-language recall with 95 % confidence. A recall
    target takes the highest threshold whose floor (or, in an older head, recall) reaches it;
    no target means the trained point, ``head["threshold"]``.
    """
    curve = [tuple(row) for row in head["curve"]]
    if point.threshold is not None:
        near = min(curve, key=lambda row: abs(row[0] - point.threshold))
        return Cut(point.threshold, near[1], near[2], "sentiment.escalation.threshold")
    col = 3 if len(curve[0]) > 3 else 1
    if point.recall is None and "threshold" in head and col == 3:
        row = min(curve, key=lambda r: abs(r[0] - head["threshold"]))
        where = f"recall >= {head['recall_target']:.2f} per language, 95 % confidence"
        return Cut(
            float(head["threshold"]), float(row[1]), float(row[2]), f"trained point ({where})"
        )
    target = head["recall_target"] if point.recall is None else point.recall
    reaching = [row for row in curve if row[col] >= target]
    row = max(reaching, key=lambda r: r[0]) if reaching else min(curve, key=lambda r: r[0])
    source = "trained point" if point.recall is None else "sentiment.escalation.recall"
    return Cut(float(row[0]), float(row[1]), float(row[2]), f"{source} (recall >= {target:.2f})")
