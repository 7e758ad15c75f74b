"""Backups of the database: SQLite through its online backup API, PostgreSQL through
``pg_dump``/``pg_restore``.

SQLite's backup API copies a consistent snapshot in one step, inside one read transaction: in
WAL mode the bot keeps writing meanwhile (a copy made in many small steps would start over at
every write from another connection, and on a busy bot might never finish). The copy is one
self-contained database file, committed WAL pages included, that ``restore`` puts back or SQLite
opens as it is.
"""

from __future__ import annotations

import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL, make_url


class BackupError(Exception):
    """The backup or restore cannot be done; the message says why."""


@dataclass(frozen=True)
class PgCommands:
    """The documented commands for a PostgreSQL database (custom format, all objects); the
    password, if the URL has one, goes in ``env`` (PGPASSWORD), never on the command line."""

    dump: list[str]
    restore: list[str]
    env: dict[str, str]


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL, or None for another database."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return None
    if not parsed.database or parsed.database == ":memory:":
        raise BackupError("an in-memory SQLite database cannot be backed up")
    return Path(parsed.database).expanduser()


def backup_sqlite(source: Path, target: Path) -> int:
    """Copy the live database ``source`` to ``target`` (replaced); returns the pages copied.
    Consistent even while the bot writes (see the module docstring)."""
    if not source.exists():
        raise BackupError(f"no database at {source}")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    src = sqlite3.connect(source, timeout=30)
    dst = sqlite3.connect(partial)
    pages = 0

    def progress(_status: int, remaining: int, total: int) -> None:
        nonlocal pages
        pages = total - remaining

    try:
        src.backup(dst, pages=-1, progress=progress)
        dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        check = dst.execute("PRAGMA integrity_check").fetchone()
        if not check or check[0] != "ok":
            raise BackupError(f"the copy failed its integrity check: {check}")
    finally:
        dst.close()
        src.close()
    partial.replace(target)
    return pages


def restore_sqlite(backup: Path, target: Path) -> None:
    """Put ``backup`` in place of the database at ``target`` (the bot must be stopped).
    The old file, if any, is kept beside it as ``<name>.before-restore``."""
    if not backup.exists():
        raise BackupError(f"no backup at {backup}")
    probe = sqlite3.connect(f"file:{backup}?mode=ro", uri=True)
    try:
        check = probe.execute("PRAGMA integrity_check").fetchone()
        tables = {r[0] for r in probe.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{backup} is not a SQLite database ({exc})") from None
    finally:
        probe.close()
    if not check or check[0] != "ok":
        raise BackupError(f"{backup} failed its integrity check: {check}")
    if "alembic_version" not in tables:
        raise BackupError(f"{backup} is not a Mentorbot database (no alembic_version table)")
    target.parent.mkdir(parents=True, exist_ok=True)
    if target.exists():
        shutil.copy2(target, target.with_name(target.name + ".before-restore"))
    for suffix in ("-wal", "-shm"):  # a stale WAL would be replayed onto the restored file
        target.with_name(target.name + suffix).unlink(missing_ok=True)
    partial = target.with_name(target.name + ".restoring")
    shutil.copy2(backup, partial)
    partial.replace(target)


def pg_commands(url: str, file: Path) -> PgCommands:
    """``pg_dump``/``pg_restore`` for the PostgreSQL database at ``url`` (custom format)."""
    parsed = make_url(url).set(drivername="postgresql")
    env = {"PGPASSWORD": parsed.password} if parsed.password else {}
    # URL.set ignores None, so the password-less URL is made anew.
    bare = URL.create(
        "postgresql", parsed.username, None, parsed.host, parsed.port, parsed.database, parsed.query
    )
    conn = bare.render_as_string(hide_password=False)
    dump = ["pg_dump", "--format=custom", "--no-owner", f"--file={file}", conn]
    restore = ["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction"]
    restore += [f"--dbname={conn}", str(file)]
    return PgCommands(dump=dump, restore=restore, env=env)
