"""The advocacy config: score-gated review invitations cannot be configured, and say why."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot.advocacy_wiring import advocacy_settings
from bot.config import AdvocacyConfig, ConfigError, load_config

EXAMPLE = Path(__file__).resolve().parents[2] / "config.example.yaml"
PLATFORM = "      - name: Trustpilot\n        url: https://trustpilot.example/shop\n"


def problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "config.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path, env={})
    return info.value.problems


def test_advocacy_is_off_by_default_and_the_example_documents_the_defaults() -> None:
    example = load_config(EXAMPLE, env={"MENTORBOT_API_KEY": "k" * 20})
    assert example.advocacy == AdvocacyConfig() == load_config(None, env={}).advocacy
    assert not example.advocacy.reviews.enabled and not example.advocacy.ambassadors.enabled
    assert example.advocacy.ambassadors.respect_no_forever is True
    text = EXAMPLE.read_text(encoding="utf-8")
    assert text.index("\nsupport:") < text.index("\nadvocacy:") < text.index("\nmanagers:")


@pytest.mark.parametrize(
    "key",
    ["min_score", "only_promoters", "segment", "min_nps", "if_happy", "sentiment_threshold"],
)
def test_score_gated_review_invitations_are_refused_with_the_reason(
    tmp_path: Path, key: str
) -> None:
    found = problems(
        tmp_path,
        f"advocacy:\n  reviews:\n    enabled: true\n    {key}: 9\n    platforms:\n{PLATFORM}",
    )
    assert len(found) == 1
    assert found[0].startswith(f"advocacy.reviews: {key} is not allowed")
    assert "review gating" in found[0] and "Google, Trustpilot" in found[0]


def test_gating_is_refused_on_a_platform_too(tmp_path: Path) -> None:
    found = problems(
        tmp_path,
        "advocacy:\n  reviews:\n    platforms:\n"
        + PLATFORM
        + "        only_for_segment: promoter\n",
    )
    assert "only_for_segment is not allowed" in found[0] and "review gating" in found[0]


def test_other_unknown_keys_are_ordinary_typos(tmp_path: Path) -> None:
    found = problems(tmp_path, "advocacy:\n  reviews:\n    enabeld: true\n")
    assert found == [
        "advocacy.reviews.enabeld: unknown key (check the spelling against config.example.yaml)"
    ]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("  reviews:\n    enabled: true\n", "needs at least one platform"),
        (
            "  reviews:\n    platforms:\n      - name: X\n        url: ftp://x\n",
            "not an http(s) URL",
        ),
        ("  ambassadors:\n    enabled: true\n", "the referral offer needs referral_url"),
        ("  ambassadors:\n    ask_again_after: 90d\n", "needs respect_no_forever: false"),
        ("  ambassadors:\n    respect_no_forever: false\n", "needs ask_again_after"),
        ("  ambassadors:\n    offers: [panel, panel]\n", "at least one offer, each once"),
        ("  ambassadors:\n    offers: [coupon]\n", "offers.0"),
        ("  ambassadors:\n    qualify:\n      question_types: []\n", "at least one of"),
        ("  ambassadors:\n    delay: soon\n", "not a duration"),
    ],
)
def test_inconsistent_settings_are_named(tmp_path: Path, text: str, words: str) -> None:
    found = problems(tmp_path, "advocacy:\n" + text)
    assert any(words in p for p in found), found


def test_review_urls_per_product_and_language(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(
        """
web:
  public_url: https://bot.example/
advocacy:
  reviews:
    enabled: true
    platforms:
      - name: Trustpilot
        url: {en: "https://tp.example/en", nl: "https://tp.example/nl"}
        products:
          WM300: {nl: "https://tp.example/nl/wm300"}
  ambassadors:
    enabled: true
    offers: [testimonial, panel]
    respect_no_forever: false
    ask_again_after: 180d
""",
        encoding="utf-8",
    )
    config = load_config(path, env={})
    (platform,) = config.advocacy.reviews.platforms
    assert platform.url_for(None, "nl") == "https://tp.example/nl"
    assert platform.url_for("OTHER", "en") == "https://tp.example/en"
    assert platform.url_for("WM300", "nl") == "https://tp.example/nl/wm300"
    assert platform.url_for("WM300", "en") == "https://tp.example/nl/wm300"  # only one language
    settings = advocacy_settings(config)
    assert settings.public_url == "https://bot.example"  # from web.public_url
    assert settings.ask_again_after == timedelta(days=180) and settings.offers == (
        "testimonial",
        "panel",
    )
    assert settings.review_sites[0].url_for("WM300", "nl") == "https://tp.example/nl/wm300"
