"""PostgreSQL backups for real: `mentorbot backup` runs pg_dump on a running bot's database
while customers' answers are written, and `mentorbot restore` puts it back with pg_restore, over
the same database after a bad day and into a new one. Each test uses databases of its own,
created and dropped here, so the shared test database is never touched."""

from __future__ import annotations

import asyncio
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import yaml
from sqlalchemy.engine import make_url
from typer.testing import CliRunner

from bot.cli import app
from sandbox.local_servers.bot_api import LocalBotApi
from storage.migrate import upgrade
from tests.bot.channels.conftest import stop_harness
from tests.bot.channels.test_ops_backup import (
    CHATS,
    bot_with_checkins_due,
    customers_answering,
    stored_ids,
)
from tests.conftest import IN_CI, PG_URL


def answer_ids(url: str) -> set[int]:
    with psycopg.connect(url) as conn:
        return {row[0] for row in conn.execute("SELECT id FROM answers")}


@pytest.fixture
def pg_databases(pg_available: bool) -> Iterator[tuple[str, str]]:
    """Two new empty databases (live, elsewhere) on the test server, dropped afterwards."""
    if not pg_available:
        pytest.skip(f"PostgreSQL at {PG_URL} is not reachable (runs in CI)")
    if shutil.which("pg_dump") is None or shutil.which("pg_restore") is None:
        if IN_CI:
            pytest.fail("pg_dump and pg_restore are required in CI")
        pytest.skip("pg_dump/pg_restore are not installed here")
    names = [f"mb_backup_{uuid.uuid4().hex[:10]}", f"mb_restore_{uuid.uuid4().hex[:10]}"]
    base = make_url(PG_URL)
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        for name in names:
            conn.execute(f'CREATE DATABASE "{name}"')
    urls = [base.set(database=name).render_as_string(hide_password=False) for name in names]
    yield urls[0], urls[1]
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        for name in names:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def config_file(tmp_path: Path, url: str, name: str) -> Path:
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump({"data_dir": str(tmp_path), "database": {"url": url}}))
    return path


async def test_pg_dump_of_a_running_bot_restores_every_answer(
    pg_databases: tuple[str, str], tmp_path: Path
) -> None:
    live, elsewhere = pg_databases
    upgrade(live)
    runner = CliRunner()
    dump = tmp_path / "backups" / "mentorbot.dump"
    async with LocalBotApi() as server:
        h = await bot_with_checkins_due(server, live, tmp_path)
        try:
            writing = asyncio.create_task(customers_answering(h))
            await asyncio.sleep(0.05)
            before = await stored_ids(h)
            made = await asyncio.to_thread(
                runner.invoke,
                app,
                ["backup", str(dump), "-c", str(config_file(tmp_path, live, "live"))],
            )
            await writing
            final = await stored_ids(h)
        finally:
            await stop_harness(h)
    assert made.exit_code == 0, made.output
    assert "Running: pg_dump" in made.output and dump.stat().st_size > 0
    assert len(final) == 2 * len(CHATS)
    # A bad day: the answers are gone from the live database.
    with psycopg.connect(live, autocommit=True) as conn:
        conn.execute("TRUNCATE answers CASCADE")
    assert answer_ids(live) == set()
    back = runner.invoke(
        app, ["restore", str(dump), "--yes", "-c", str(config_file(tmp_path, live, "live"))]
    )
    assert back.exit_code == 0, back.output
    restored = answer_ids(live)
    assert before <= restored <= final  # everything stored before the dump began, none made up
    moved = runner.invoke(
        app, ["restore", str(dump), "--yes", "-c", str(config_file(tmp_path, elsewhere, "new"))]
    )
    assert moved.exit_code == 0, moved.output
    assert answer_ids(elsewhere) == restored
    with psycopg.connect(elsewhere) as conn:  # at the newest migration, so the bot starts on it
        (version,) = conn.execute("SELECT version_num FROM alembic_version").fetchone() or (None,)
    with psycopg.connect(live) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == (version,)


def test_a_failed_dump_or_restore_says_so_and_leaves_nothing_behind(
    pg_databases: tuple[str, str], tmp_path: Path
) -> None:
    live, _ = pg_databases
    upgrade(live)
    runner = CliRunner()
    config = str(config_file(tmp_path, live, "live"))
    missing = runner.invoke(app, ["restore", str(tmp_path / "nope.dump"), "--yes", "-c", config])
    assert missing.exit_code == 1 and "no backup at" in missing.output
    with psycopg.connect(live) as conn:  # the database is untouched
        assert conn.execute("SELECT count(*) FROM alembic_version").fetchone() == (1,)
    gone = make_url(live).set(database="mb_no_such_database").render_as_string(False)
    dump = tmp_path / "out" / "x.dump"
    failed = runner.invoke(app, ["backup", str(dump), "-c", str(config_file(tmp_path, gone, "g"))])
    assert failed.exit_code == 1 and "pg_dump failed" in failed.output
    assert list(dump.parent.iterdir()) == []  # no partial file that looks like a backup
