"""Seeding many opted-in customers with due check-ins, fast (Core bulk inserts), for benchmarks."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import create_engine, insert

from storage.db import configure_engine, engine_options, sync_url
from storage.models import ChannelLink, CheckIn, Customer

CHAT_BASE = 10_000_000


def customer_rows(
    ids: range, now: datetime, language: Callable[[int], str] = lambda _i: "en"
) -> list[dict[str, Any]]:
    """Opted-in customers ``i + 1`` for ``i`` in ``ids`` (bulk-insert rows)."""
    return [
        {
            "id": i + 1,
            "name": f"Customer {i}",
            "email": f"c{i}@example.com",
            "language": language(i),
            "timezone": "Europe/Amsterdam",
            "opt_in_state": "opted_in",
            "consent_checkins": True,
            "consent_marketing": False,
            "created_at": now,
            "updated_at": now,
        }
        for i in ids
    ]


def telegram_link_rows(
    ids: range, now: datetime, token_prefix: str, chat_base: int = CHAT_BASE
) -> list[dict[str, Any]]:
    """Customer ``i + 1`` linked to Telegram chat ``chat_base + i`` (bulk-insert rows)."""
    return [
        {
            "customer_id": i + 1,
            "channel": "telegram",
            "token": f"{token_prefix}{i}",
            "token_expires_at": now,
            "token_used_at": now,
            "chat_id": chat_base + i,
            "user_id": chat_base + i,
            "linked_at": now,
        }
        for i in ids
    ]


def seed_due_checkins(
    url: str, schema: str | None, count: int, now: datetime, future: int = 0, chunk: int = 5000
) -> None:
    """``count`` opted-in customers, each linked to chat ``CHAT_BASE + i`` with one due
    ``delivery`` check-in, plus ``future`` check-ins scheduled later (spread over those customers).
    """
    target = sync_url(url)
    engine = create_engine(target, **engine_options(target, schema))
    configure_engine(engine, target)
    with engine.begin() as conn:
        for lo in range(0, count, chunk):
            hi = min(count, lo + chunk)
            conn.execute(
                insert(Customer),
                customer_rows(range(lo, hi), now, lambda i: "nl" if i % 2 else "en"),
            )
            conn.execute(insert(ChannelLink), telegram_link_rows(range(lo, hi), now, "t"))
            conn.execute(
                insert(CheckIn),
                [
                    {
                        "customer_id": i + 1,
                        "journey": "standard",
                        "touchpoint": "delivery",
                        "due_at": now - timedelta(minutes=1),
                        "status": "scheduled",
                        "attempt_count": 0,
                        "created_at": now,
                    }
                    for i in range(lo, hi)
                ],
            )
        for lo in range(0, future, chunk):
            hi = min(future, lo + chunk)
            conn.execute(
                insert(CheckIn),
                [
                    {
                        "customer_id": (i % max(count, 1)) + 1,
                        "journey": "standard",
                        "touchpoint": "usage",
                        "due_at": now + timedelta(days=30 + i % 60),
                        "status": "scheduled",
                        "attempt_count": 0,
                        "created_at": now,
                    }
                    for i in range(lo, hi)
                ],
            )
    engine.dispose()
