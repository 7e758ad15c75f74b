"""Config for service recovery: what the customer hears when a case opens, the note and the
goodwill gesture that reach them when it is resolved (``support.acknowledgement``,
``support.resolve_message``, ``support.gestures``)."""

from __future__ import annotations

import string

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from handlers.journeys import Texts

CODE_MARK = "#"
"""In a voucher pattern, each ``#`` becomes a random letter or digit."""
MIN_RANDOM = 6  # 32**6 = a billion codes: a guessed code is not a free voucher


def check_placeholders(texts: Texts, allowed: set[str], key: str) -> Texts:
    """``texts`` if every ``{placeholder}`` in it is one of ``allowed``; else a ValueError."""
    for lang in ("en", "nl"):
        text = getattr(texts, lang)
        try:
            names = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
        except ValueError as exc:
            raise ValueError(f"{key}.{lang}: {exc} (write {{{{ and }}}} for braces)") from None
        unknown = names - allowed
        if unknown:
            raise ValueError(
                f"{key}.{lang}: unknown placeholder {{{sorted(unknown)[0]}}}"
                f" (use {', '.join('{' + a + '}' for a in sorted(allowed))})"
            )
    return texts


class Voucher(BaseModel):
    """Where a gesture's voucher codes come from: a pool (each handed out once), a pattern, or
    both (the pool first, then generated codes)."""

    model_config = ConfigDict(extra="forbid")
    codes: list[str] = []
    pattern: str | None = None
    """E.g. ``SORRY-####-####``: each ``#`` a random letter or digit (at least six of them)."""

    @field_validator("codes")
    @classmethod
    def _codes(cls, codes: list[str]) -> list[str]:
        cleaned = [c.strip() for c in codes]
        if any(not c or len(c) > 64 for c in cleaned):
            raise ValueError("voucher codes must be 1 to 64 characters")
        if len(set(cleaned)) != len(cleaned):
            raise ValueError("a voucher code is listed twice")
        return cleaned

    @field_validator("pattern")
    @classmethod
    def _pattern(cls, pattern: str | None) -> str | None:
        if pattern is not None:
            if pattern.count(CODE_MARK) < MIN_RANDOM:
                raise ValueError(
                    f"pattern {pattern!r} needs at least {MIN_RANDOM} '#' (random characters)"
                )
            if len(pattern) > 64:
                raise ValueError("pattern is longer than 64 characters")
        return pattern

    @model_validator(mode="after")
    def _some_source(self) -> Voucher:
        if not self.codes and self.pattern is None:
            raise ValueError("a voucher needs codes (a pool) or a pattern")
        return self


class Gesture(BaseModel):
    """A goodwill gesture staff can choose when resolving a case, and what the customer reads."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=75)
    text: Texts | None = None
    """What the customer reads below the note: ``{code}`` (vouchers) and ``{gesture}``."""
    voucher: Voucher | None = None

    @model_validator(mode="after")
    def _text_fits(self) -> Gesture:
        allowed = {"gesture", "code"} if self.voucher else {"gesture"}
        if self.text is None:
            self.text = VOUCHER_TEXT if self.voucher else PLAIN_TEXT
        check_placeholders(self.text, allowed, f"gesture {self.name!r} text")
        if self.voucher and any("{code}" not in getattr(self.text, lang) for lang in ("en", "nl")):
            raise ValueError(f"gesture {self.name!r} text: a voucher's text must show {{code}}")
        return self


PLAIN_TEXT = Texts(
    en="As a small gesture from us: {gesture}.",
    nl="Als klein gebaar van ons: {gesture}.",
)
VOUCHER_TEXT = Texts(
    en="As a small gesture from us, here is your voucher code: {code}",
    nl="Als klein gebaar van ons krijg je deze vouchercode: {code}",
)
DEFAULT_GESTURES = [
    Gesture(
        name="Free replacement part",
        text=Texts(
            en="We are sending you a replacement part free of charge.",
            nl="We sturen je kosteloos een vervangend onderdeel.",
        ),
    ),
    Gesture(
        name="Refund",
        text=Texts(
            en="We have refunded your payment; it will be back in your account within a few days.",
            nl="We hebben je betaling terugbetaald; binnen een paar dagen staat het weer op je "
            "rekening.",
        ),
    ),
    Gesture(
        name="Handwritten card",
        text=Texts(
            en="A handwritten card is on its way to you.",
            nl="Er is een handgeschreven kaartje naar je onderweg.",
        ),
    ),
]
ACKNOWLEDGEMENT = Texts(
    en="Thank you for telling us, {name}, and I'm sorry it went wrong. I've passed this on to "
    "{who}, who will get back to you {when}.",
    nl="Dank je dat je het ons laat weten, {name}, en sorry dat het misging. Ik heb het "
    "doorgegeven aan {who}, die {when} contact met je opneemt.",
)
RESOLVE_MESSAGE = Texts(
    en="Hi {name}, thank you for your patience. We have looked into your {product} and "
    "sorted it out for you.",
    nl="Hoi {name}, bedankt voor je geduld. We hebben naar je {product} gekeken en het voor je "
    "opgelost.",
)


def parse_gestures(value: object) -> object:
    """A plain string in ``support.gestures`` is a gesture with only a name."""
    if isinstance(value, list):
        return [{"name": v} if isinstance(v, str) else v for v in value]
    return value


def check_gestures(gestures: list[Gesture]) -> list[Gesture]:
    """Gesture names are unique, and a code is in one pool only."""
    names = [g.name.casefold() for g in gestures]
    if len(set(names)) != len(names):
        raise ValueError("two gestures have the same name")
    codes = [c for g in gestures if g.voucher for c in g.voucher.codes]
    if len(set(codes)) != len(codes):
        raise ValueError("a voucher code is in the pools of two gestures")
    return gestures
