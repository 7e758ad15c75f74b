"""The typed, validated configuration of a Mentorbot installation.

``load_config`` reads YAML (with ``${ENV_VAR}`` for secrets), fills in the defaults and
validates everything, raising :class:`ConfigError` with one line per broken key.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import time, timedelta
from importlib import resources
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.config_loading import ConfigError, describe_validation_error, read_yaml, substitute_env
from handlers.journeys import Journey, parse_duration

__all__ = ["Config", "ConfigError", "load_config"]


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DatabaseConfig(_Section):
    """Where the data lives. No URL: a SQLite file in the data directory."""

    url: str | None = None
    echo: bool = False


class WebConfig(_Section):
    """The bot's one web server (purchase API, Telegram webhook, Slack endpoints)."""

    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)
    public_url: str | None = None
    max_body_bytes: int = Field(1_000_000, ge=1024)


class ApiConfig(_Section):
    """The purchase intake API."""

    keys: list[SecretStr] = []

    @field_validator("keys")
    @classmethod
    def _strong_keys(cls, keys: list[SecretStr]) -> list[SecretStr]:
        for key in keys:
            if len(key.get_secret_value()) < 16:
                raise ValueError("every API key needs at least 16 characters")
        return keys


class TelegramConfig(_Section):
    """The customer channel."""

    token: SecretStr | None = None
    bot_username: str = "mentorbot_demo_bot"
    mode: Literal["polling", "webhook"] = "polling"
    webhook_secret: SecretStr | None = None
    base_url: str = "https://api.telegram.org/bot"
    base_file_url: str = "https://api.telegram.org/file/bot"
    rate_limit: bool = True
    concurrent_updates: int = Field(8, ge=1, le=256)

    @field_validator("base_url", "base_file_url")
    @classmethod
    def _no_trailing_slash(cls, url: str) -> str:
        if url.endswith("/"):
            raise ValueError("must not end with '/' (the library appends '<token>/<method>')")
        return url

    @model_validator(mode="after")
    def _webhook_needs_secret(self) -> TelegramConfig:
        if self.mode == "webhook" and not self.webhook_secret:
            raise ValueError("webhook mode needs telegram.webhook_secret")
        return self


class SlackConfig(_Section):
    """The support desk channel."""

    bot_token: SecretStr | None = None
    signing_secret: SecretStr | None = None
    app_token: SecretStr | None = None
    socket_mode: bool = False
    support_channel: str | None = None
    manager_channel: str | None = None
    escalation_usergroup: str | None = None
    base_url: str = "https://slack.com/api/"

    @field_validator("base_url")
    @classmethod
    def _ends_with_api(cls, url: str) -> str:
        if not url.endswith("/"):
            raise ValueError("must end with '/' (e.g. https://slack.com/api/)")
        return url

    @property
    def enabled(self) -> bool:
        """True when a bot token is set: the support desk runs."""
        return bool(self.bot_token and self.bot_token.get_secret_value())

    @model_validator(mode="after")
    def _complete_when_enabled(self) -> SlackConfig:
        if not self.enabled:
            return self
        if not self.support_channel:
            raise ValueError("slack.support_channel is needed when slack.bot_token is set")
        if self.socket_mode:
            if not (self.app_token and self.app_token.get_secret_value()):
                raise ValueError("slack.socket_mode needs slack.app_token (xapp-...)")
        elif not (self.signing_secret and self.signing_secret.get_secret_value()):
            raise ValueError("slack.signing_secret is needed to verify Slack's requests")
        return self


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
    gestures: list[str] = ["Voucher code", "Handwritten card", "Free replacement part"]
    outbox_every: timedelta = timedelta(seconds=2)
    previous_answers: int = Field(5, ge=0, le=20)

    @field_validator("remind_after", "escalate_after", "outbox_every", mode="before")
    @classmethod
    def _duration(cls, value: object) -> timedelta:
        return parse_duration(value)  # type: ignore[arg-type]

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str | None) -> str | None:
        if name is not None:
            try:
                ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"unknown time zone {name!r}") from None
        return name

    @model_validator(mode="after")
    def _remind_before_escalate(self) -> SupportConfig:
        if self.remind_after >= self.escalate_after:
            raise ValueError("support.remind_after must be shorter than support.escalate_after")
        return self


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


class ManagersConfig(_Section):
    """Who gets answers to stats commands."""

    slack_user_ids: list[str] = []
    slack_usergroup: str | None = None
    telegram_user_ids: list[int] = []


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
        if name is not None:
            try:
                ZoneInfo(name)
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"unknown time zone {name!r}") from None
        return name


class QuietHours(_Section):
    """No check-ins between ``start`` and ``end`` in the customer's time zone."""

    start: time = time(21, 0)
    end: time = time(9, 0)


class SurveyConfig(_Section):
    """Survey-fatigue rules and check-in timing."""

    min_gap: timedelta = timedelta(days=3)
    quiet_hours: QuietHours = QuietHours()
    reminder_after: timedelta = timedelta(days=1)
    expire_after: timedelta = timedelta(days=3)
    opt_in_token_ttl: timedelta = timedelta(days=30)
    link_attempts: int = Field(5, ge=1, le=100)
    lockout: timedelta = timedelta(minutes=30)
    dispatch_every: timedelta = timedelta(seconds=30)
    dispatch_batch: int = Field(100, ge=1, le=5000)

    @field_validator(
        "min_gap",
        "reminder_after",
        "expire_after",
        "opt_in_token_ttl",
        "lockout",
        "dispatch_every",
        mode="before",
    )
    @classmethod
    def _duration(cls, value: object) -> timedelta:
        return parse_duration(value)  # type: ignore[arg-type]

    @model_validator(mode="after")
    def _reminder_before_expiry(self) -> SurveyConfig:
        if self.reminder_after >= self.expire_after:
            raise ValueError("survey.reminder_after must be shorter than survey.expire_after")
        return self


def default_journeys() -> dict[str, Journey]:
    """The journeys shipped with Mentorbot (``bot/default_journeys.yaml``)."""
    raw = yaml.safe_load(
        resources.files("bot").joinpath("default_journeys.yaml").read_text("utf-8")
    )
    return {name: Journey.model_validate(j) for name, j in raw.items()}


class Config(_Section):
    """Everything Mentorbot needs to run, validated."""

    data_dir: Path = Path("data")
    timezone: str = "Europe/Amsterdam"
    default_language: Literal["en", "nl"] = "en"
    database: DatabaseConfig = DatabaseConfig()
    web: WebConfig = WebConfig()
    api: ApiConfig = ApiConfig()
    telegram: TelegramConfig = TelegramConfig()
    slack: SlackConfig = SlackConfig()
    support: SupportConfig = SupportConfig()
    advocacy: AdvocacyConfig = AdvocacyConfig()
    managers: ManagersConfig = ManagersConfig()
    insights: InsightsConfig = InsightsConfig()
    survey: SurveyConfig = SurveyConfig()
    journeys: dict[str, Journey] = Field(default_factory=default_journeys)
    default_journey: str = "standard"
    product_journeys: dict[str, str] = {}
    """Per SKU, the journey to use instead of ``default_journey``."""

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {name!r} (use e.g. Europe/Amsterdam)") from None
        return name

    @model_validator(mode="after")
    def _journeys_exist(self) -> Config:
        missing = [self.default_journey] if self.default_journey not in self.journeys else []
        missing += [j for j in self.product_journeys.values() if j not in self.journeys]
        if missing:
            raise ValueError(f"journey(s) not defined under journeys: {sorted(set(missing))}")
        if self.web.public_url is None and self.telegram.mode == "webhook":
            raise ValueError("telegram webhook mode needs web.public_url")
        return self

    @property
    def database_url(self) -> str:
        """The database URL, defaulting to a SQLite file in the data directory."""
        return self.database.url or f"sqlite:///{(self.data_dir / 'mentorbot.db').as_posix()}"

    def journey_for(self, sku: str | None, requested: str | None = None) -> tuple[str, Journey]:
        """The journey (name, definition) a purchase of ``sku`` follows."""
        name = requested or self.product_journeys.get(sku or "", self.default_journey)
        if name not in self.journeys:
            raise KeyError(name)
        return name, self.journeys[name]

    def opt_in_link(self, token: str) -> str:
        """The Telegram deep link a customer opens to opt in."""
        return f"https://t.me/{self.telegram.bot_username}?start={token}"


def load_config(path: str | Path | None = None, env: Mapping[str, str] | None = None) -> Config:
    """Load and validate the config at ``path`` (no path: the built-in defaults).

    Raises :class:`ConfigError` naming every broken key.
    """
    env = os.environ if env is None else env
    source = str(path) if path else "built-in defaults"
    raw: dict[str, Any] = read_yaml(Path(path)) if path else {}
    raw, problems = substitute_env(raw, env)
    if problems:
        raise ConfigError(problems, source)
    try:
        return Config.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(describe_validation_error(exc), source) from None
