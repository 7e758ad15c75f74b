"""Config for running Mentorbot in production: metrics, logging and data retention."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Literal

from pydantic import Field, SecretStr, field_validator

from bot.config_base import _Section
from handlers.journeys import parse_duration

_LONG = re.compile(r"^\s*(\d+)\s*(day|days|week|weeks|month|months|year|years)\s*$")
# A month of retention is counted as 31 days and a year as 366: never shorter than the calendar.
_LONG_DAYS = {"day": 1, "week": 7, "month": 31, "year": 366}


def parse_retention(value: object) -> timedelta:
    """``"24 months"``, ``"2 years"``, ``"90 days"`` or a short duration (``"730d"``)."""
    if isinstance(value, timedelta):
        return value
    match = _LONG.match(str(value))
    if match:
        unit = match.group(2).rstrip("s")
        return timedelta(days=int(match.group(1)) * _LONG_DAYS[unit])
    try:
        return parse_duration(value)  # type: ignore[arg-type]
    except ValueError:
        raise ValueError(
            f"not a retention period: {value!r} (use e.g. '24 months', '2 years', '400 days')"
        ) from None


class MetricsConfig(_Section):
    """Prometheus metrics at ``GET /metrics``: on the web server, or on a port of their own."""

    enabled: bool = True
    port: int | None = Field(None, ge=1, le=65535)
    """A separate port for ``/metrics`` (and ``/readyz``); None: the bot's own web server."""
    host: str = "127.0.0.1"
    """Where the separate metrics port listens (keep it internal)."""
    token: SecretStr | None = None
    """When set, scrapes must send ``Authorization: Bearer <token>``."""

    @field_validator("token", mode="before")
    @classmethod
    def _empty_is_none(cls, token: object) -> object:
        return None if token == "" else token  # ${MENTORBOT_METRICS_TOKEN:-} left unset

    @field_validator("token")
    @classmethod
    def _long_token(cls, token: SecretStr | None) -> SecretStr | None:
        if token is not None and len(token.get_secret_value()) < 16:
            raise ValueError("needs at least 16 characters")
        return token


class LoggingConfig(_Section):
    """How the log is written: one line per event, as text or as JSON."""

    format: Literal["text", "json"] = "text"
    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @field_validator("level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value


class RetentionConfig(_Section):
    """How long personal data is kept after a customer's last purchase or answer."""

    retention: timedelta | None = None
    """None: kept until the customer says /forget. E.g. ``24 months``."""
    sweep_hour: int = Field(3, ge=0, le=23)
    """The hour (in ``timezone``) of the daily retention sweep."""
    sweep_batch: int = Field(200, ge=1, le=10_000)

    @field_validator("retention", mode="before")
    @classmethod
    def _period(cls, value: object) -> timedelta | None:
        if value in (None, "", "never"):
            return None
        period = parse_retention(value)
        if period < timedelta(days=30):
            # Shorter would erase customers in the middle of their journey's check-ins.
            raise ValueError("must be at least 30 days")
        return period
