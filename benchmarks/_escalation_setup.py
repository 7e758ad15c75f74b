"""Setup for the escalation benchmark: customers with a due usage (NPS) check-in, a switchable
clock, percentiles."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from sqlalchemy import create_engine, insert

from benchmarks._telegram_setup import customer_rows, telegram_link_rows
from storage.db import configure_engine, engine_options, sync_url
from storage.models import ChannelLink, CheckIn, Customer, Purchase

CHAT_BASE = 20_000_000


class BenchClock:
    """The bot's clock: frozen at ``start`` for the setup, then running in real time from
    ``start`` on (``run()``), so backoff and retry waits take real seconds."""

    def __init__(self, start: datetime) -> None:
        self.start = start
        self._t0: float | None = None

    def run(self) -> None:
        self._t0 = time.monotonic()

    def __call__(self) -> datetime:
        if self._t0 is None:
            return self.start
        return self.start + timedelta(seconds=time.monotonic() - self._t0)


def seed_usage_checkins(
    url: str, schema: str | None, count: int, now: datetime, chunk: int = 2000
) -> None:
    """``count`` opted-in customers, each with a delivered purchase, a Telegram chat
    ``CHAT_BASE + i`` and one due ``usage`` check-in (the NPS question first)."""
    target = sync_url(url)
    engine = create_engine(target, **engine_options(target, schema))
    configure_engine(engine, target)
    delivered = now - timedelta(days=14)
    with engine.begin() as conn:
        for lo in range(0, count, chunk):
            hi = min(count, lo + chunk)
            ids = range(lo, hi)
            conn.execute(insert(Customer), customer_rows(ids, now))
            conn.execute(
                insert(Purchase),
                [
                    {
                        "id": i + 1,
                        "external_order_id": f"ESC-{i:07d}",
                        "customer_id": i + 1,
                        "product": "Washing machine",
                        "sku": "WM300",
                        "amount": "499.00",
                        "currency": "EUR",
                        "purchased_at": delivered - timedelta(days=2),
                        "delivered_at": delivered,
                        "journey": "standard",
                        "created_at": now,
                    }
                    for i in ids
                ],
            )
            conn.execute(insert(ChannelLink), telegram_link_rows(ids, now, "esc", CHAT_BASE))
            conn.execute(
                insert(CheckIn),
                [
                    {
                        "customer_id": i + 1,
                        "purchase_id": i + 1,
                        "journey": "standard",
                        "touchpoint": "usage",
                        "due_at": now - timedelta(minutes=1),
                        "status": "scheduled",
                        "attempt_count": 0,
                        "created_at": now,
                    }
                    for i in ids
                ],
            )
    engine.dispose()


def percentiles(values: list[float], scale: float = 1000.0, digits: int = 1) -> dict[str, float]:
    """p50/p95/p99/max/mean of ``values`` (seconds), in ms by default (nearest rank)."""
    if not values:
        return {}
    ordered = sorted(values)

    def rank(p: float) -> float:
        index = max(0, min(len(ordered) - 1, -(-len(ordered) * p // 100) - 1))
        return ordered[int(index)]

    return {
        "p50": round(rank(50) * scale, digits),
        "p95": round(rank(95) * scale, digits),
        "p99": round(rank(99) * scale, digits),
        "max": round(ordered[-1] * scale, digits),
        "mean": round(sum(ordered) / len(ordered) * scale, digits),
    }
