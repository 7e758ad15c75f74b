"""The composition root: builds every part of Mentorbot from the config, nothing at import time."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.routing import BaseRoute

from bot.config import Config
from bot.http_api import purchase_routes
from handlers.intake import IntakeResult, IntakeSettings, PurchaseIn, ingest_purchases, ingest_raw
from storage.db import Database
from storage.migrate import upgrade_async
from storage.models import utcnow
from storage.store import Store

log = logging.getLogger(__name__)


def intake_settings(config: Config) -> IntakeSettings:
    """What purchase intake needs, taken from the config."""
    return IntakeSettings(
        journeys=config.journeys,
        journey_for_sku=lambda sku, requested: config.journey_for(sku, requested)[0],
        timezone=config.timezone,
        default_language=config.default_language,
        opt_in_token_ttl=config.survey.opt_in_token_ttl,
        opt_in_link=config.opt_in_link,
    )


class Mentorbot:
    """One running Mentorbot: database, store, web server and (later) channels and scheduler."""

    def __init__(
        self,
        config: Config,
        *,
        clock: Callable[[], datetime] = utcnow,
        db_schema: str | None = None,
    ) -> None:
        self.config = config
        self.clock = clock
        self.db = Database(config.database_url, schema=db_schema, echo=config.database.echo)
        self.store = Store(self.db)
        self.intake = intake_settings(config)
        self._extra_routes: list[BaseRoute] = []

    async def migrate(self) -> str | None:
        """Apply pending database migrations; returns the revision."""
        return await upgrade_async(self.config.database_url, self.db.schema)

    async def ingest(self, raw: list[Any]) -> list[dict[str, Any]]:
        """Validate and store raw purchases (all or nothing), as the HTTP API does."""
        results = await ingest_raw(self.store, self.intake, raw, self.clock())
        return [r.to_dict() for r in results]

    async def add_purchase(self, purchase: PurchaseIn) -> IntakeResult:
        """Store one validated purchase."""
        (result,) = await ingest_purchases(self.store, self.intake, [purchase], self.clock())
        return result

    async def health(self) -> dict[str, str]:
        """A health report; raises ConnectionError when the database is away."""
        async with self.db.session() as s:
            await s.execute(text("SELECT 1"))
        return {"database": self.db.dialect}

    def web_app(self) -> Starlette:
        """The one web server: purchase API and health check (channels add their routes)."""
        api_keys = [k.get_secret_value() for k in self.config.api.keys]
        if not api_keys:
            log.warning("api.keys is empty: POST /api/purchases refuses every request")
        routes = purchase_routes(self.ingest, self.health, api_keys, self.config.web.max_body_bytes)
        return Starlette(routes=[*routes, *self._extra_routes])

    async def serve(self, stop: asyncio.Event | None = None) -> None:
        """Apply migrations, then serve the web app until ``stop`` is set or the task is cancelled."""
        import uvicorn

        await self.migrate()
        server = uvicorn.Server(uvicorn.Config(
            self.web_app(), host=self.config.web.host, port=self.config.web.port,
            log_level="info", lifespan="off",
        ))
        task = asyncio.create_task(server.serve())
        try:
            if stop is None:
                await task
            else:
                await stop.wait()
                server.should_exit = True
                await task
        finally:
            await self.close()

    async def close(self) -> None:
        """Release the database connections."""
        await self.db.dispose()
