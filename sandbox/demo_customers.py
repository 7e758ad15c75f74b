"""The simulated customers of ``mentorbot demo``: who buys what, and how each one answers."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Persona:
    """A simulated customer: their purchase, and their answers in the order they are asked.

    An answer is ``("tap", label)`` for a button, ``("type", text)`` for words, ``("ignore", "")``
    to leave a question unanswered (the reminder comes), or ``("command", "/stop")``.
    """

    chat_id: int
    name: str
    language: str
    product: str
    delivered_days_ago: int
    answers: list[tuple[str, str]] = field(default_factory=list)
    postcode: str | None = None


PERSONAS = [
    Persona(
        5001,
        "Ann Smith",
        "en",
        "Washing machine WM-300",
        1,
        [
            ("tap", "5"),
            ("tap", "Yes"),
            ("tap", "10"),
            ("type", "Quiet, fast and the installer was lovely. Already told my sister!"),
            ("tap", "7"),
        ],
    ),
    Persona(
        5002,
        "Joost de Vries",
        "nl",
        "Wasdroger DR-9",
        1,
        [
            ("tap", "2"),
            ("type", "De bezorger heeft de doos laten vallen, de deur is kapot."),
            ("tap", "Nee"),
            # the recovery check-in after support fixed it: "did we fix it?", then NPS
            ("tap", "Ja"),
            ("tap", "9"),
            ("tap", "9"),
            ("type", "De monteur was top en de nieuwe deur sluit perfect. Goed geregeld!"),
            ("tap", "6"),
        ],
    ),
    Persona(
        5003,
        "Priya Patel",
        "en",
        "Dishwasher DW-45",
        1,
        [
            ("tap", "4"),
            ("tap", "Yes"),
            ("tap", "9"),
            ("type", "Great machine, but the engineer was rude and left a mess."),
            ("tap", "6"),
            ("tap", "Yes"),
            ("tap", "10"),
        ],
    ),
    Persona(
        5004,
        "Sanne Jansen",
        "nl",
        "Koelkast KF-200",
        1,
        [
            ("ignore", ""),
            ("tap", "4"),
            ("tap", "Ja"),
            ("type", "8"),
            ("tap", "5"),
        ],
    ),
    Persona(
        5005,
        "Tom Baker",
        "en",
        "Oven OV-60",
        1,
        [
            ("command", "/stop"),
        ],
    ),
]
