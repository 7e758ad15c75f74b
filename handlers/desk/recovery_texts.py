"""Service-recovery texts in English and Dutch: the pieces of the acknowledgement's promise
("within an hour", "tomorrow before 09:15"). The acknowledgement itself, the resolve note and
the gestures' texts are config (``support.*``)."""

from __future__ import annotations

from handlers.texts import pick

TEXTS: dict[str, dict[str, str]] = {
    "a_colleague": {"en": "a colleague", "nl": "een collega"},
    "within_minutes": {"en": "within {n} minutes", "nl": "binnen {n} minuten"},
    "within_hour": {"en": "within an hour", "nl": "binnen een uur"},
    "within_hours": {"en": "within {n} hours", "nl": "binnen {n} uur"},
    "today_before": {"en": "today before {time}", "nl": "vandaag voor {time}"},
    "tomorrow_before": {"en": "tomorrow before {time}", "nl": "morgen voor {time}"},
    "day_before": {"en": "on {day} before {time}", "nl": "op {day} voor {time}"},
}
DAYS = {
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "nl": ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag"),
}


def say_recovery(key: str, lang: str | None, **values: object) -> str:
    """The text ``key`` in ``lang`` (English when missing), with placeholders filled in."""
    return pick(TEXTS, key, lang, **values)


def day_name(weekday: int, lang: str | None) -> str:
    """The name of a weekday (0 = Monday) in ``lang``."""
    return DAYS.get(lang or "en", DAYS["en"])[weekday]
