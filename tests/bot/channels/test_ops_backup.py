"""Backups: a running bot's SQLite database copied while customers' answers are being written,
restored elsewhere, holds every answer; the CLI's backup/restore round trip; PostgreSQL's
documented commands."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

import yaml
from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli import app
from bot.config import Config
from sandbox.local_servers.bot_api import LocalBotApi
from storage.backup import BackupError, backup_sqlite, pg_commands, restore_sqlite
from storage.db import Database
from storage.migrate import upgrade
from storage.models import Answer
from tests.bot.channels.conftest import start_harness, stop_harness
from tests.bot.channels.harness import FakeClock, Harness

CHATS = range(8101, 8113)


def answer_ids(path: Path) -> set[int]:
    with sqlite3.connect(path) as conn:
        return {row[0] for row in conn.execute("SELECT id FROM answers")}


async def stored_ids(h: Harness) -> set[int]:
    async with h.bot.db.session() as s:
        return set((await s.execute(select(Answer.id))).scalars())


async def customers_answering(h: Harness) -> None:
    """Every chat answers its check-in's questions, all chats at once."""

    async def one(chat: int) -> None:
        since = h.server.last_seq
        await h.press(chat, "9")
        await h.next_message(chat, since)
        since = h.server.last_seq
        h.server.push_message(chat, f"Works well, order {chat} arrived on time.")
        await h.next_message(chat, since)

    await asyncio.gather(*(one(chat) for chat in CHATS))


async def bot_with_checkins_due(server: LocalBotApi, url: str, tmp_path: Path) -> Harness:
    """A running bot on the database at ``url`` whose customers (CHATS) have opted in and
    have a check-in waiting for their answers."""
    config = Config.model_validate(
        {
            "data_dir": str(tmp_path),
            "database": {"url": url},
            "telegram": {
                "token": "123:TEST",
                "base_url": server.base_url,
                "base_file_url": server.base_file_url,
                "rate_limit": False,
            },
        }
    )
    h = await start_harness(server, config, None, FakeClock())
    for chat in CHATS:
        await h.opt_in(chat, f"B-{chat}")
    h.clock.advance(days=14)
    await h.bot.dispatch()
    return h


async def test_backup_of_a_running_bot_while_answers_are_written(tmp_path: Path) -> None:
    live = tmp_path / "live" / "mentorbot.db"
    live.parent.mkdir()
    url = f"sqlite:///{live}"
    upgrade(url)
    async with LocalBotApi() as server:
        h = await bot_with_checkins_due(server, url, tmp_path)
        try:
            writing = asyncio.create_task(customers_answering(h))
            copies: list[tuple[set[int], Path]] = []
            while not writing.done():  # back up again and again while answers come in
                before = await stored_ids(h)
                copy = tmp_path / f"during-{len(copies)}.db"
                await asyncio.to_thread(backup_sqlite, live, copy)
                copies.append((before, copy))
                await asyncio.sleep(0.01)
            await writing
            final = await stored_ids(h)
            last = tmp_path / "after.db"
            await asyncio.to_thread(backup_sqlite, live, last)
        finally:
            await stop_harness(h)
    assert len(final) == 2 * len(CHATS)
    assert copies, "the writes were too quick to back up during them"
    for before, copy in copies:
        restored = tmp_path / "restored" / "mentorbot.db"
        restore_sqlite(copy, restored)
        found = answer_ids(restored)
        assert before <= found <= final  # every answer stored before the copy began, none made up
        with sqlite3.connect(restored) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    elsewhere = tmp_path / "elsewhere" / "mentorbot.db"
    restore_sqlite(last, elsewhere)
    db = Database(f"sqlite:///{elsewhere}")  # the bot's own engine reads the restored copy
    try:
        async with db.session() as s:
            texts = list(await s.execute(select(Answer.text).where(Answer.text.is_not(None))))
    finally:
        await db.dispose()
    assert answer_ids(elsewhere) == final and len(texts) == len(CHATS)


def test_cli_backup_and_restore_round_trip(tmp_path: Path) -> None:
    data = tmp_path / "data"
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({"data_dir": str(data)}))
    db_file = data / "mentorbot.db"
    data.mkdir()
    upgrade(f"sqlite:///{db_file}")
    with sqlite3.connect(db_file) as conn:
        conn.execute(
            "INSERT INTO leases (name, holder, until) VALUES ('marker', 'test', '2026-01-01')"
        )
    runner = CliRunner()
    backup = tmp_path / "backups" / "monday.db"
    result = runner.invoke(app, ["backup", str(backup), "-c", str(config)])
    assert result.exit_code == 0, result.output
    assert backup.exists() and "Backed up" in result.output
    with sqlite3.connect(db_file) as conn:
        conn.execute("DELETE FROM leases")  # a bad day
    refused = runner.invoke(app, ["restore", str(backup), "-c", str(config)], input="n\n")
    assert refused.exit_code != 0
    result = runner.invoke(app, ["restore", str(backup), "--yes", "-c", str(config)])
    assert result.exit_code == 0, result.output
    with sqlite3.connect(db_file) as conn:
        assert conn.execute("SELECT count(*) FROM leases").fetchone() == (1,)
    assert (data / "mentorbot.db.before-restore").exists()
    not_a_db = tmp_path / "notes.txt"
    not_a_db.write_text("hello")
    bad = runner.invoke(app, ["restore", str(not_a_db), "--yes", "-c", str(config)])
    assert bad.exit_code == 1 and "Restore failed" in bad.output


def test_restore_refuses_what_is_not_a_mentorbot_backup(tmp_path: Path) -> None:
    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE notes (x)")
    try:
        restore_sqlite(other, tmp_path / "target.db")
    except BackupError as exc:
        assert "not a Mentorbot database" in str(exc)
    else:
        raise AssertionError("restored a database without Mentorbot's tables")
    assert not (tmp_path / "target.db").exists()


def test_postgresql_commands_keep_the_password_off_the_command_line(tmp_path: Path) -> None:
    url = "postgresql://bot:s3cret@db.internal:5432/mentorbot"
    commands = pg_commands(url, tmp_path / "x.dump")
    assert commands.dump[0] == "pg_dump" and "--format=custom" in commands.dump
    assert commands.restore[0] == "pg_restore" and "--single-transaction" in commands.restore
    assert not any("s3cret" in part for part in commands.dump + commands.restore)
    assert commands.env == {"PGPASSWORD": "s3cret"}
    assert "postgresql://bot@db.internal:5432/mentorbot" in commands.dump


def test_cli_privacy_sweep_dry_run_lists_ids_and_counts_only(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({"data_dir": str(data), "privacy": {"retention": "2 years"}}))
    db_file = data / "mentorbot.db"
    upgrade(f"sqlite:///{db_file}")
    runner = CliRunner()
    added = runner.invoke(
        app,
        ["purchase", "add", "--order-id", "OLD-1", "--name", "Gerda Old", "--product", "Kettle",
         "--email", "gerda@example.net", "--purchased-at", "2022-03-01T10:00:00+00:00",
         "-c", str(config)],
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    with sqlite3.connect(db_file) as conn:  # learnt of back then, too
        conn.execute("UPDATE customers SET created_at = '2022-03-01 10:00:00'")
        conn.execute("UPDATE purchases SET created_at = '2022-03-01 10:00:00'")
    dry = runner.invoke(app, ["privacy", "sweep", "--dry-run", "-c", str(config)])
    assert dry.exit_code == 0, dry.output
    assert "would erase 1 customer(s) (1 purchases, 0 answers" in dry.output
    assert "customer ids: 1" in dry.output
    assert "Gerda" not in dry.output and "gerda@" not in dry.output
    with sqlite3.connect(db_file) as conn:
        assert conn.execute("SELECT name FROM customers").fetchone() == ("Gerda Old",)
    done = runner.invoke(app, ["privacy", "sweep", "-c", str(config)])
    assert done.exit_code == 0 and "erased 1 customer(s)" in done.output
    with sqlite3.connect(db_file) as conn:
        row = conn.execute("SELECT name, email, opt_in_state FROM customers").fetchone()
    assert row == (None, None, "forgotten")
    off = tmp_path / "off.yaml"
    off.write_text(yaml.safe_dump({"data_dir": str(data)}))
    refused = runner.invoke(app, ["privacy", "sweep", "--dry-run", "-c", str(off)])
    assert refused.exit_code == 2 and "privacy.retention is not set" in refused.output
