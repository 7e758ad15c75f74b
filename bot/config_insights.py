"""Config for managers' insights: small-sample threshold and the weekly digest."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from bot.config_base import _Section, check_zone


class InsightsConfig(_Section):
    """Managers' insights: the weekly digest and how figures are shown."""

    digest_enabled: bool = True
    digest_day: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"] = "mon"
    digest_hour: int = Field(9, ge=0, le=23)
    digest_minute: int = Field(0, ge=0, le=59)
    timezone: str | None = None
    """Time zone of the digest schedule and of periods like this-month; default: ``timezone``."""
    small_sample: int = Field(30, ge=1, le=10_000)
    """Below this many NPS answers a figure is flagged as a small sample."""
    trend_weeks: int = Field(12, ge=2, le=104)
    top_themes: int = Field(5, ge=1, le=20)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str | None) -> str | None:
        return check_zone(name)
