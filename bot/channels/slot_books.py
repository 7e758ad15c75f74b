"""Where a channel's send budget is booked: Redis, PostgreSQL or this process alone.

Telegram's bot and each WhatsApp number book their sends through the same choice, under keys
of their own; both read it from ``telegram.rate_limit_backend`` and ``telegram.redis_url``.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.channels.send_slots import LocalSlots, PostgresSlots, RedisSlots, SlotBook


def slot_book(
    key: str,
    limit: int,
    window: float,
    gap: float,
    *,
    backend: str = "auto",
    redis_url: str | None = None,
    engine: AsyncEngine | None = None,
) -> SlotBook:
    """The book for ``key``: ``redis`` (needs ``redis_url``), ``database`` (needs a PostgreSQL
    ``engine``), ``local``, or ``auto``: Redis with a URL, else the database on PostgreSQL,
    else this process alone."""
    on_postgres = engine is not None and engine.dialect.name == "postgresql"
    if backend == "auto":
        backend = "redis" if redis_url else "database" if on_postgres else "local"
    if backend == "redis":
        if not redis_url:
            raise ValueError("telegram.rate_limit_backend redis needs telegram.redis_url")
        return RedisSlots(redis_url, key, limit, window, gap)
    if backend == "database":
        if engine is None or not on_postgres:
            raise ValueError("telegram.rate_limit_backend database needs PostgreSQL")
        return PostgresSlots(engine, key, limit, window, gap)
    return LocalSlots(limit, window, gap)
