"""Goodwill gestures as the support desk uses them: what the customer reads, and voucher codes
(from a pool, each handed out once, or generated from a pattern)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

# No look-alikes (0/O, 1/I/L): a customer types the code at checkout.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


@dataclass(frozen=True)
class GestureSpec:
    """One gesture: its name on the Resolve form, its text per language, its voucher source."""

    name: str
    texts: dict[str, str] = field(default_factory=dict)
    codes: tuple[str, ...] = ()
    pattern: str | None = None

    @property
    def is_voucher(self) -> bool:
        """Whether resolving with this gesture hands out a voucher code."""
        return bool(self.codes) or self.pattern is not None

    def text(self, lang: str, code: str | None = None) -> str:
        """What the customer reads about the gesture, in ``lang`` (English when missing)."""
        template = self.texts.get(lang) or self.texts.get("en") or "{gesture}"
        return template.format(gesture=self.name, code=code or "")


def generate_code(pattern: str) -> str:
    """A code from ``pattern``: each ``#`` a random letter or digit, the rest kept."""
    return "".join(secrets.choice(CODE_ALPHABET) if ch == "#" else ch for ch in pattern)


def find_gesture(gestures: tuple[GestureSpec, ...], name: str | None) -> GestureSpec | None:
    """The gesture called ``name`` (a form's choice), or None."""
    return next((g for g in gestures if name and g.name == name), None)
