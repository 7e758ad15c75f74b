"""Journeys, touchpoints and questions: the check-in plan a purchase follows.

These are plain validated models so that config (in ``bot/``) can build them and the
handlers can use them without knowing where they came from.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

LANGUAGES = ("en", "nl")
QuestionType = Literal["nps", "csat", "ces", "yes_no", "text"]
SCALES: dict[str, tuple[int, int]] = {
    "nps": (0, 10),
    "csat": (1, 5),
    "ces": (1, 7),
    "yes_no": (0, 1),
}

_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_duration(value: str | int | float | timedelta) -> timedelta:
    """Turn ``"90m"``, ``"2h"``, ``"14d"``, ``"1w"`` or a number of seconds into a timedelta."""
    if isinstance(value, timedelta):
        return value
    if isinstance(value, int | float):
        return timedelta(seconds=value)
    match = _DURATION.match(str(value))
    if not match:
        raise ValueError(f"not a duration: {value!r} (use e.g. 30m, 2h, 14d, 1w)")
    return timedelta(seconds=int(match.group(1)) * _UNIT_SECONDS[match.group(2)])


class Texts(BaseModel):
    """A message in every supported language."""

    model_config = ConfigDict(extra="forbid")
    en: str
    nl: str

    def get(self, lang: str) -> str:
        """The text in ``lang``, English when that language is missing."""
        return getattr(self, lang, None) or self.en


class FollowUp(BaseModel):
    """A free-text question asked depending on the score just given."""

    model_config = ConfigDict(extra="forbid")
    low: Texts | None = None
    """Asked after a low score (detractors: what went wrong?)."""
    high: Texts | None = None
    """Asked after a high score (promoters: what did you like most?)."""


class Question(BaseModel):
    """One question of a check-in."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")
    type: QuestionType
    text: Texts
    follow_up: FollowUp | None = None

    @property
    def scale(self) -> tuple[int, int] | None:
        """The (lowest, highest) score for scored questions, None for free text."""
        return SCALES.get(self.type)


class Touchpoint(BaseModel):
    """A moment in the journey where the bot checks in."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")
    anchor: Literal["purchased", "delivered", "resolved"] = "delivered"
    delay: timedelta
    intro: Texts
    questions: list[Question] = Field(min_length=1)

    @field_validator("delay", mode="before")
    @classmethod
    def _duration(cls, value: object) -> timedelta:
        return parse_duration(value)  # type: ignore[arg-type]

    @model_validator(mode="after")
    def _unique_question_ids(self) -> Touchpoint:
        ids = [q.id for q in self.questions]
        if len(ids) != len(set(ids)):
            raise ValueError(f"question ids repeat in touchpoint {self.name!r}: {ids}")
        return self

    def due_at(self, purchased_at: datetime, delivered_at: datetime | None) -> datetime:
        """When this touchpoint's check-in is due for a purchase."""
        start = delivered_at if self.anchor == "delivered" and delivered_at else purchased_at
        return start + self.delay


class Journey(BaseModel):
    """The touchpoints a customer goes through after a purchase."""

    model_config = ConfigDict(extra="forbid")
    touchpoints: list[Touchpoint] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_touchpoints(self) -> Journey:
        names = [t.name for t in self.touchpoints]
        if len(names) != len(set(names)):
            raise ValueError(f"touchpoint names repeat: {names}")
        return self

    def touchpoint(self, name: str) -> Touchpoint | None:
        """The touchpoint called ``name``, if this journey has it."""
        return next((t for t in self.touchpoints if t.name == name), None)

    def scheduled(self) -> list[Touchpoint]:
        """Touchpoints scheduled from the purchase (not those triggered by a resolved case)."""
        return [t for t in self.touchpoints if t.anchor != "resolved"]
