"""Config for advocacy: review invitations (never score-gated) and ambassador asks."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from bot.config_base import _Section
from handlers.journeys import parse_duration

LocalizedUrl = str | dict[Literal["en", "nl"], str]
"""One URL for every language, or one per language (``en``, ``nl``)."""
# Keys that would make review invitations depend on how happy the customer is.
_GATING_HINTS = (
    "score",
    "segment",
    "promoter",
    "detractor",
    "passive",
    "nps",
    "csat",
    "ces",
    "rating",
    "sentiment",
    "positive",
    "happy",
    "gate",
    "gating",
    "only",
    "min",
    "max",
    "threshold",
    "qualify",
)


def _refuse_review_gating(data: Any, allowed: set[str], where: str) -> Any:
    """Name any key that would gate review invitations by score and say why it is refused."""
    if not isinstance(data, dict):
        return data
    for key in data:
        name = str(key).lower()
        if name not in allowed and any(hint in name for hint in _GATING_HINTS):
            raise ValueError(
                f"{where}{key} is not allowed: review invitations go to every customer who "
                "finished a check-in, whatever their score or segment. Inviting only happy "
                "customers ('review gating') breaks the terms of Google, Trustpilot and other "
                "review platforms (use advocacy.ambassadors to ask promoters for more)"
            )
    return data


def _check_url(url: str) -> str:
    if (
        not url.startswith(("https://", "http://"))
        or len(url) > 1500
        or any(c.isspace() for c in url)
    ):
        raise ValueError(f"not an http(s) URL: {url[:80]!r}")
    return url


def _check_localized(value: LocalizedUrl) -> LocalizedUrl:
    if isinstance(value, str):
        return _check_url(value)
    if not value:
        raise ValueError("needs at least one language (en or nl)")
    return {lang: _check_url(url) for lang, url in value.items()}


def pick_language(value: LocalizedUrl, lang: str) -> str:
    """The URL for ``lang``: the language's own, else English, else any."""
    if isinstance(value, str):
        return value
    return value.get(lang) or value.get("en") or next(iter(value.values()))  # type: ignore[call-overload]


class ReviewPlatform(_Section):
    """A public review site customers are invited to; links per product (SKU) and language."""

    name: str = Field(min_length=1, max_length=64)
    url: LocalizedUrl
    """The shop's page on the platform (shop-wide default)."""
    products: dict[str, LocalizedUrl] = {}
    """Per SKU, the product's page on the platform instead of ``url``."""

    @model_validator(mode="before")
    @classmethod
    def _no_gating(cls, data: Any) -> Any:
        return _refuse_review_gating(data, set(cls.model_fields), "")

    @field_validator("url")
    @classmethod
    def _url(cls, value: LocalizedUrl) -> LocalizedUrl:
        return _check_localized(value)

    @field_validator("products")
    @classmethod
    def _product_urls(cls, value: dict[str, LocalizedUrl]) -> dict[str, LocalizedUrl]:
        return {sku: _check_localized(url) for sku, url in value.items()}

    def url_for(self, sku: str | None, lang: str) -> str:
        """The page to review: the product's when configured, else the shop's."""
        return pick_language(self.products.get(sku or "", self.url), lang)


class ReviewsConfig(_Section):
    """Review invitations: the SAME invitation to every customer who finished a check-in.

    There is deliberately no setting that depends on a score or a segment (review gating).
    """

    enabled: bool = False
    delay: timedelta = timedelta(hours=1)
    """After the check-in is finished; quiet hours and survey.min_gap still apply."""
    once_per: Literal["checkin", "purchase", "customer"] = "purchase"
    platforms: list[ReviewPlatform] = []

    @model_validator(mode="before")
    @classmethod
    def _no_gating(cls, data: Any) -> Any:
        return _refuse_review_gating(data, set(cls.model_fields), "")

    @field_validator("delay", mode="before")
    @classmethod
    def _duration(cls, value: object) -> timedelta:
        return parse_duration(value)  # type: ignore[arg-type]

    @model_validator(mode="after")
    def _platforms_when_enabled(self) -> ReviewsConfig:
        if self.enabled and not self.platforms:
            raise ValueError("enabled needs at least one platform")
        names = [p.name for p in self.platforms]
        if len(set(names)) != len(names):
            raise ValueError("platforms: each platform name once")
        return self


class AmbassadorQualify(_Section):
    """Who is an ambassador candidate (asks for more MAY target promoters)."""

    question_types: list[Literal["nps", "csat", "ces"]] = ["nps"]
    """Which scores make a promoter (9-10 for NPS, 4-5 for CSAT, 5-7 for CES)."""
    require_positive_words: bool = True
    """Also needs positive words with that score (the sentiment's ambassador candidate)."""

    @field_validator("question_types")
    @classmethod
    def _some(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("needs at least one of nps, csat, ces")
        return value


class AmbassadorsConfig(_Section):
    """Ambassador asks: promoters with positive words are asked once, politely, to do more."""

    enabled: bool = False
    delay: timedelta = timedelta(days=1)
    """After the check-in that made them a candidate; quiet hours and survey.min_gap apply."""
    qualify: AmbassadorQualify = AmbassadorQualify()
    respect_no_forever: bool = True
    """A no (or an ask left unanswered) is never followed by another ask."""
    ask_again_after: timedelta | None = None
    """With ``respect_no_forever: false``: how long after a no a candidate may be asked again."""
    answer_within: timedelta = timedelta(days=14)
    """The ask's buttons work this long; after that the ask counts as unanswered."""
    offers: list[Literal["referral", "testimonial", "panel"]] = ["referral", "testimonial", "panel"]
    referral_url: str | None = None
    """The shop page a referral link leads to; ``{code}`` is replaced by the referral code, or
    ``?ref=<code>`` is appended. The shop passes the code back as the purchase's referral_code."""

    @field_validator("delay", "answer_within", "ask_again_after", mode="before")
    @classmethod
    def _duration(cls, value: object) -> timedelta | None:
        return None if value is None else parse_duration(value)  # type: ignore[arg-type]

    @field_validator("referral_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return None if value is None else _check_url(value)

    @model_validator(mode="after")
    def _consistent(self) -> AmbassadorsConfig:
        if not self.offers or len(set(self.offers)) != len(self.offers):
            raise ValueError("offers: at least one offer, each once")
        if self.respect_no_forever and self.ask_again_after is not None:
            raise ValueError("ask_again_after needs respect_no_forever: false")
        if not self.respect_no_forever and self.ask_again_after is None:
            raise ValueError("respect_no_forever: false needs ask_again_after (e.g. 180d)")
        if self.enabled and "referral" in self.offers and not self.referral_url:
            raise ValueError("the referral offer needs referral_url")
        return self


class AdvocacyConfig(_Section):
    """Advocacy: review invitations, ambassador asks, tracked /r/ links and referral credit."""

    public_url: str | None = None
    """Base of the /r/<code> links customers get; null: web.public_url."""
    every: timedelta = timedelta(seconds=30)
    """How often each worker sends due asks, credits referred purchases and says thank you."""
    batch: int = Field(100, ge=1, le=5000)
    reviews: ReviewsConfig = ReviewsConfig()
    ambassadors: AmbassadorsConfig = AmbassadorsConfig()

    @field_validator("every", mode="before")
    @classmethod
    def _duration(cls, value: object) -> timedelta:
        return parse_duration(value)  # type: ignore[arg-type]

    @field_validator("public_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return None if value is None else _check_url(value).rstrip("/")
