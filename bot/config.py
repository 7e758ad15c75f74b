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

import yaml
from pydantic import (
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

from bot.config_advocacy import AdvocacyConfig, ReviewPlatform, pick_language
from bot.config_base import _Section, check_zone
from bot.config_insights import InsightsConfig
from bot.config_loading import ConfigError, describe_validation_error, read_yaml, substitute_env
from bot.config_ops import LoggingConfig, MetricsConfig, RetentionConfig
from bot.config_sentiment import SentimentConfig
from bot.config_support import BusinessHours, SupportConfig
from bot.config_whatsapp import ChannelsConfig, WhatsAppConfig, check_templates
from handlers.journeys import Journey, parse_duration

__all__ = [
    "AdvocacyConfig",
    "BusinessHours",
    "Config",
    "ConfigError",
    "InsightsConfig",
    "ReviewPlatform",
    "SentimentConfig",
    "SupportConfig",
    "load_config",
    "pick_language",
]


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
    send_rate: float = Field(29.3, gt=0, le=30)
    """Messages a second, whole bot (all workers together); Telegram allows about 30."""
    rate_limit_backend: Literal["auto", "local", "database", "redis"] = "auto"
    """Where workers share the send budget; auto: redis with a redis_url, else the database
    on PostgreSQL, else this process alone (SQLite)."""
    redis_url: str | None = None
    concurrent_updates: int = Field(32, ge=1, le=256)

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
        if self.rate_limit_backend == "redis" and not self.redis_url:
            raise ValueError("telegram.rate_limit_backend redis needs telegram.redis_url")
        if self.redis_url and not self.redis_url.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("telegram.redis_url must start with redis://, rediss:// or unix://")
        return self


class SlackConfig(_Section):
    """The support desk channel."""

    bot_token: SecretStr | None = None
    signing_secret: SecretStr | None = None
    app_token: SecretStr | None = None
    socket_mode: bool = False
    # How often (seconds) a Socket Mode connection is pinged, and a lost one reconnected.
    socket_ping_interval: float = Field(default=10.0, gt=0, le=300)
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


class ManagersConfig(_Section):
    """Who gets answers to stats commands."""

    slack_user_ids: list[str] = []
    slack_usergroup: str | None = None
    telegram_user_ids: list[int] = []


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
    # Check-ins a worker has in flight at once; after a crash at most this many go out twice.
    checkins_in_flight: int = Field(1, ge=1, le=16)

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
    sentiment: SentimentConfig = SentimentConfig()
    survey: SurveyConfig = SurveyConfig()
    metrics: MetricsConfig = MetricsConfig()
    logging: LoggingConfig = LoggingConfig()
    privacy: RetentionConfig = RetentionConfig()
    whatsapp: WhatsAppConfig = WhatsAppConfig()
    channels: ChannelsConfig = ChannelsConfig()
    journeys: dict[str, Journey] = Field(default_factory=default_journeys)
    default_journey: str = "standard"
    product_journeys: dict[str, str] = {}
    """Per SKU, the journey to use instead of ``default_journey``."""

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        return check_zone(name) or name

    @model_validator(mode="after")
    def _journeys_exist(self) -> Config:
        missing = [self.default_journey] if self.default_journey not in self.journeys else []
        missing += [j for j in self.product_journeys.values() if j not in self.journeys]
        if missing:
            raise ValueError(f"journey(s) not defined under journeys: {sorted(set(missing))}")
        adv = self.advocacy
        check_templates(
            self.whatsapp, self.journeys, desk=self.slack.enabled,
            advocacy=adv.ambassadors.enabled or adv.reviews.enabled,
        )  # fmt: skip
        if self.web.public_url is None and self.telegram.mode == "webhook":
            raise ValueError("telegram webhook mode needs web.public_url")
        if self.telegram.rate_limit_backend == "database" and not self.database_url.startswith(
            "postgresql"
        ):
            raise ValueError(
                "telegram.rate_limit_backend database needs a PostgreSQL database.url"
                " (on SQLite one process sends: use local)"
            )
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

    @property
    def telegram_configured(self) -> bool:
        """Whether customers are reached on Telegram (``telegram.token`` is set)."""
        return bool(self.telegram.token and self.telegram.token.get_secret_value())

    def require_customer_channel(self) -> None:
        """ValueError naming the keys when no customer channel is configured."""
        if not self.telegram_configured and not self.whatsapp.enabled:
            raise ValueError(
                "no customer channel is configured: set telegram.token (a Telegram bot), or"
                " whatsapp.enabled: true with whatsapp.token, whatsapp.phone_number_id,"
                " whatsapp.app_secret and whatsapp.verify_token (or both)"
            )

    def opt_in_link(self, token: str) -> str:
        """The link a customer opens to opt in: Telegram's deep link, or on a WhatsApp-only
        shop the click-to-chat link (when ``whatsapp.business_number`` is set)."""
        if not self.telegram_configured and self.whatsapp.enabled:
            link = self.whatsapp.click_to_chat(token)
            if link is not None:
                return link
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
