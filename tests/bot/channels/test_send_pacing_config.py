"""The telegram section's send-pacing keys: defaults, and errors that name the key."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from bot.config import ConfigError, load_config


def _load(tmp_path: Path, raw: dict) -> object:
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(raw))
    return load_config(path, env={})


def test_defaults_pace_at_29_3_in_this_process_on_sqlite(tmp_path: Path) -> None:
    config = _load(tmp_path, {})
    telegram = config.telegram  # type: ignore[attr-defined]
    assert (telegram.send_rate, telegram.rate_limit_backend, telegram.redis_url) == (
        29.3,
        "auto",
        None,
    )


@pytest.mark.parametrize(
    ("telegram", "database", "named"),
    [
        ({"send_rate": 31}, None, "telegram.send_rate"),
        ({"send_rate": 0}, None, "telegram.send_rate"),
        ({"rate_limit_backend": "memcached"}, None, "telegram.rate_limit_backend"),
        ({"rate_limit_backend": "redis"}, None, "telegram.redis_url"),
        ({"redis_url": "http://127.0.0.1:6379"}, None, "telegram.redis_url"),
        ({"rate_limit_backend": "database"}, "sqlite:///x.db", "telegram.rate_limit_backend"),
    ],
)
def test_bad_pacing_keys_are_named(
    tmp_path: Path, telegram: dict, database: str | None, named: str
) -> None:
    raw: dict = {"telegram": telegram}
    if database:
        raw["database"] = {"url": database}
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, raw)
    assert named in str(caught.value)


def test_shared_backends_are_accepted(tmp_path: Path) -> None:
    redis = _load(tmp_path, {"telegram": {"redis_url": "redis://127.0.0.1:6379/0"}})
    assert redis.telegram.redis_url == "redis://127.0.0.1:6379/0"  # type: ignore[attr-defined]
    database = _load(
        tmp_path,
        {
            "database": {"url": "postgresql://postgres@127.0.0.1:5432/test"},
            "telegram": {"rate_limit_backend": "database"},
        },
    )
    assert database.telegram.rate_limit_backend == "database"  # type: ignore[attr-defined]
