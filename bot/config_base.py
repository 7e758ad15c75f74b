"""The base of every config section: unknown keys are errors (a typo never passes silently)."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


def check_zone(name: str | None) -> str | None:
    """``name`` if it is a known time zone (None passes); a ValueError that says so otherwise."""
    if name is not None:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {name!r} (use e.g. Europe/Amsterdam)") from None
    return name
