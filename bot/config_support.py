"""Config for the support desk: response-time targets, business hours, gestures, outbox."""

from __future__ import annotations

from datetime import time, timedelta
from typing import Literal

from pydantic import Field, field_validator, model_validator

from bot.config_base import _Section, check_zone
from bot.config_recovery import (
    ACKNOWLEDGEMENT,
    DEFAULT_GESTURES,
    RESOLVE_MESSAGE,
    Gesture,
    check_gestures,
    check_placeholders,
    parse_gestures,
)
from handlers.journeys import Texts, parse_duration


class BusinessHours(_Section):
    """When support staff work, in ``support.timezone``; response-time targets count only then."""

    start: time = time(9, 0)
    end: time = time(17, 30)
    days: list[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]] = [
        "mon",
        "tue",
        "wed",
        "thu",
        "fri",
    ]

    @model_validator(mode="after")
    def _start_before_end(self) -> BusinessHours:
        if self.start >= self.end:
            raise ValueError("support.business_hours.start must be before end")
        if not self.days:
            raise ValueError("support.business_hours.days needs at least one day")
        return self


class SupportConfig(_Section):
    """The support desk's rules: response-time targets, goodwill gestures, the outbox."""

    remind_after: timedelta = timedelta(minutes=15)
    escalate_after: timedelta = timedelta(minutes=60)
    business_hours: BusinessHours = BusinessHours()
    timezone: str | None = None
    """Time zone of the business hours; defaults to the top-level ``timezone``."""
    gestures: list[Gesture] = DEFAULT_GESTURES
    """Goodwill gestures for the Resolve form; see :mod:`bot.config_recovery`."""
    acknowledgement: Texts = ACKNOWLEDGEMENT
    """Sent instead of the cheerful close when an answer opens or joins a case."""
    reply_within: timedelta | None = None
    """The promise in the acknowledgement, in business time (None: ``escalate_after``)."""
    resolve_message: Texts = RESOLVE_MESSAGE
    """The Resolve form's message to the customer, prefilled and editable."""
    outbox_every: timedelta = timedelta(seconds=2)
    previous_answers: int = Field(5, ge=0, le=20)
    relay_files_per_hour: int = Field(10, ge=1, le=1000)
    """At most this many of one customer's files reach their case's thread in an hour (the
    desk's queue is shared); their words still do, with a note of the file."""
    relay_max_mb: int = Field(10, ge=1, le=100)
    """A photo or file a customer with an open case sends reaches the case's thread up to
    this size (MB); a larger one is named in the thread instead. The file is held in memory
    while it is passed on. Telegram lets bots download at most 20 MB, WhatsApp media go up to
    100 MB."""

    @field_validator("remind_after", "escalate_after", "outbox_every", mode="before")
    @classmethod
    def _duration(cls, value: object) -> timedelta:
        return parse_duration(value)  # type: ignore[arg-type]

    @field_validator("reply_within", mode="before")
    @classmethod
    def _optional_duration(cls, value: object) -> timedelta | None:
        return None if value is None else parse_duration(value)  # type: ignore[arg-type]

    @field_validator("gestures", mode="before")
    @classmethod
    def _gesture_names(cls, value: object) -> object:
        return parse_gestures(value)

    @field_validator("gestures")
    @classmethod
    def _gestures(cls, gestures: list[Gesture]) -> list[Gesture]:
        return check_gestures(gestures)

    @field_validator("acknowledgement")
    @classmethod
    def _ack(cls, texts: Texts) -> Texts:
        return check_placeholders(texts, {"name", "who", "when"}, "acknowledgement")

    @field_validator("resolve_message")
    @classmethod
    def _resolve(cls, texts: Texts) -> Texts:
        return check_placeholders(texts, {"name", "product"}, "resolve_message")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str | None) -> str | None:
        return check_zone(name)

    @model_validator(mode="after")
    def _remind_before_escalate(self) -> SupportConfig:
        if self.remind_after >= self.escalate_after:
            raise ValueError("support.remind_after must be shorter than support.escalate_after")
        return self
