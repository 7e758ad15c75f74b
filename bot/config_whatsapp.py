"""Config for WhatsApp (``whatsapp``) and which channel a customer gets (``channels``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator

from bot.config_base import _Section
from handlers.journeys import Journey

_TEMPLATE_NAME = "abcdefghijklmnopqrstuvwxyz0123456789_"


class ChannelsConfig(_Section):
    """``channels.default``: the channel for customers with a phone number and consent who
    have not opted in anywhere (``whatsapp`` writes to them there with a template)."""

    default: Literal["telegram", "whatsapp"] = "telegram"


class WhatsAppConfig(_Section):
    """The WhatsApp Business Cloud API: the Meta app's secrets, the number, templates, limits."""

    enabled: bool = False
    token: SecretStr | None = None
    phone_number_id: str | None = None
    app_secret: SecretStr | None = None
    verify_token: SecretStr | None = None
    business_number: str | None = None
    """The number customers write to, digits with country code (the click-to-chat link)."""
    base_url: str = "https://graph.facebook.com"
    api_version: str = "v21.0"
    throughput: float = Field(80.0, gt=0, le=1000)
    """Messages per second the number may send (Meta's default: 80)."""
    pair_interval: float = Field(6.0, ge=0, le=60)
    """Seconds between two messages to the same customer (Meta's pair rate limit)."""
    daily_tier: int = Field(1000, ge=1)
    """Business-initiated conversations the account may open per rolling 24 hours."""
    templates: dict[str, str] = {}
    """Per touchpoint, the approved template that opens its check-in outside the window."""
    languages: dict[str, str] = {"en": "en", "nl": "nl"}
    """Per customer language, the language code the templates were approved in."""

    @field_validator("templates")
    @classmethod
    def _names(cls, templates: dict[str, str]) -> dict[str, str]:
        for touchpoint, name in templates.items():
            if not name or any(c not in _TEMPLATE_NAME for c in name) or len(name) > 512:
                raise ValueError(
                    f"whatsapp.templates.{touchpoint}: {name!r} is not a template name"
                    " (lowercase letters, digits and underscores)"
                )
        return templates

    @model_validator(mode="after")
    def _complete(self) -> WhatsAppConfig:
        if not self.enabled:
            return self
        for key in ("token", "phone_number_id", "app_secret", "verify_token"):
            value = getattr(self, key)
            raw = value.get_secret_value() if isinstance(value, SecretStr) else value
            if not raw:
                raise ValueError(f"whatsapp.{key} is required when whatsapp.enabled is true")
        if self.business_number is not None and not self.business_number.isdigit():
            raise ValueError("whatsapp.business_number: digits with the country code, no +")
        return self

    def click_to_chat(self, token: str) -> str | None:
        """The ``https://wa.me/<number>?text=START%20<token>`` link for an order confirmation."""
        if not self.business_number:
            return None
        return f"https://wa.me/{self.business_number}?text=START%20{token}"


REOPENERS = {
    "case_update": "the support desk's replies and resolve notes",
    "advocacy": "ambassador asks and review invitations",
}
"""``whatsapp.templates`` keys besides the touchpoints: what each announces outside the window."""


def check_templates(
    whatsapp: WhatsAppConfig,
    journeys: Mapping[str, Journey],
    desk: bool = False,
    advocacy: bool = False,
) -> None:
    """Refuse a config whose journeys, desk (``desk``) or advocacy asks (``advocacy``) need a
    template it has no name for (naming the key)."""
    if not whatsapp.enabled:
        return
    for key, needed in (("case_update", desk), ("advocacy", advocacy)):
        if needed and key not in whatsapp.templates:
            raise ValueError(
                f"whatsapp.templates.{key} is missing: {REOPENERS[key]} days after the"
                " customer last wrote wait for WhatsApp's 24-hour window, and only an approved"
                " template may ask the customer back"
            )
    for journey_name, journey in journeys.items():
        for touchpoint in journey.touchpoints:
            if touchpoint.name not in whatsapp.templates:
                raise ValueError(
                    f"whatsapp.templates.{touchpoint.name} is missing: journey {journey_name}"
                    f" opens check-ins at touchpoint {touchpoint.name}, and outside WhatsApp's"
                    " 24-hour window only an approved template may do that"
                )
