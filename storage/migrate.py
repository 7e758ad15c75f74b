"""Apply the Alembic migrations programmatically (``mentorbot db upgrade`` and on start)."""

from __future__ import annotations

import asyncio
import logging
from importlib import resources

from alembic import command
from alembic.config import Config as AlembicConfig
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine

from storage.db import configure_engine, engine_options, sync_url

log = logging.getLogger(__name__)


def alembic_config(url: str) -> AlembicConfig:
    """An Alembic config pointing at the packaged migrations and ``url``."""
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(resources.files("storage") / "migrations"))
    cfg.set_main_option("sqlalchemy.url", sync_url(url).render_as_string(hide_password=False))
    return cfg


def upgrade(url: str, schema: str | None = None, revision: str = "head") -> str | None:
    """Bring the database at ``url`` to ``revision``; returns the revision it is at afterwards."""
    cfg = alembic_config(url)
    target = sync_url(url)
    engine = create_engine(target, **engine_options(target, schema))
    configure_engine(engine, target)
    try:
        with engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, revision)
            current = MigrationContext.configure(conn).get_current_revision()
    finally:
        engine.dispose()
    log.info("database at revision %s", current)
    return current


def head_revision() -> str | None:
    """The newest revision shipped with this version of Mentorbot."""
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


async def upgrade_async(url: str, schema: str | None = None) -> str | None:
    """``upgrade`` in a worker thread, for use from the running application."""
    return await asyncio.to_thread(upgrade, url, schema)
