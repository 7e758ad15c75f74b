"""Empty databases at the head revision for tests, without running Alembic for each test.

Alembic runs once per test process into a template: on SQLite a file, copied for each test with
SQLite's backup API; on PostgreSQL a throwaway schema, whose every statement that changed it is
recorded (SQLAlchemy's ``before_cursor_execute`` event) and replayed into each test's schema
under its own search_path. A test gets what ``storage.migrate.upgrade`` would have made, for a
few milliseconds instead of 0.1-0.3 s (SQLite) and 0.5-1.4 s (PostgreSQL);
``tests/test_migrated.py`` checks that the two catalogs are the same. Tests of the migrations
themselves call ``upgrade`` directly.
"""

from __future__ import annotations

import sqlite3
import tempfile
import threading
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url

from storage.migrate import upgrade

Statement = tuple[str, Any, bool]  # (sql, parameters, executemany), as handed to the cursor
_lock = threading.Lock()
_sqlite_template: Path | None = None
_pg_statements: dict[str, list[Statement]] = {}


def migrated(url: str, schema: str | None = None) -> None:
    """Bring the empty database at ``url`` (PostgreSQL: the empty ``schema``) to head."""
    target = make_url(url)
    if target.get_backend_name() == "sqlite":
        _copy_sqlite_template(Path(target.database or ""))
    elif target.get_backend_name() == "postgresql" and schema:
        _replay(url, schema, pg_statements(url))
    else:
        upgrade(url, schema)


def _copy_sqlite_template(path: Path) -> None:
    global _sqlite_template
    if path.exists() and path.stat().st_size:
        raise ValueError(f"{path} is not empty: migrated() makes new databases only")
    with _lock:
        if _sqlite_template is None:
            template = Path(tempfile.mkdtemp(prefix="mentorbot-template-")) / "head.db"
            upgrade(f"sqlite:///{template}")
            _sqlite_template = template
    path.parent.mkdir(parents=True, exist_ok=True)
    source, copy = sqlite3.connect(_sqlite_template), sqlite3.connect(path)
    try:
        source.backup(copy)
    finally:
        copy.close()
        source.close()


def pg_statements(url: str) -> list[Statement]:
    """What Alembic ran to bring an empty PostgreSQL schema to head (recorded once per
    process), without the reads: the dialect's own queries, reflection, version checks."""
    with _lock:
        if url not in _pg_statements:
            _pg_statements[url] = _record(url)
        return _pg_statements[url]


def _record(url: str) -> list[Statement]:
    import psycopg

    schema = f"tmpl_{uuid.uuid4().hex[:12]}"
    recorded: list[Statement] = []

    def record(_conn: Any, _cursor: Any, sql: str, params: Any, _ctx: Any, many: bool) -> None:
        if sql.lstrip().split(None, 1)[0].upper() not in ("SELECT", "SHOW"):
            recorded.append((sql, params, many))

    plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    event.listen(Engine, "before_cursor_execute", record)
    try:
        upgrade(url, schema)
    finally:
        event.remove(Engine, "before_cursor_execute", record)
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')
    if not any(sql.lstrip().upper().startswith("CREATE TABLE") for sql, _p, _m in recorded):
        raise RuntimeError("recorded no CREATE TABLE while migrating the template schema")
    return recorded


def _replay(url: str, schema: str, statements: list[Statement]) -> None:
    import psycopg

    plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(plain, options=f"-csearch_path={schema}") as conn, conn.cursor() as cur:
        for sql, params, many in _batched(statements):
            if many:
                cur.executemany(sql, params)
            else:
                cur.execute(sql, params)


def _batched(statements: list[Statement]) -> list[Statement]:
    """Runs of statements without parameters joined into one (one round trip; psycopg sends
    a query without parameters as a simple query, which may hold several). A statement with
    parameters, or with a ``%`` that its parameters' style could have escaped, goes alone."""
    out: list[Statement] = []
    run: list[str] = []
    for sql, params, many in statements:
        if not params and not many and "%" not in sql:
            run.append(sql.strip().rstrip(";"))
            continue
        if run:
            out.append((";\n".join(run), None, False))
            run = []
        out.append((sql, params, many))
    if run:
        out.append((";\n".join(run), None, False))
    return out
