"""Log lines that say which update, check-in, answer or case they concern, as text or JSON.

The ids are set in a context variable at the seams (an incoming update, an answer on its way
through scoring, a case action) and a logging filter copies them onto every record written
inside, so handlers need not pass them to each log call. Only internal ids go there: never a
name, an e-mail address, a phone number or a customer's words.
"""

from __future__ import annotations

import contextvars
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

CONTEXT_KEYS = ("update_id", "checkin_id", "answer_id", "case_id")
_ids: contextvars.ContextVar[dict[str, int]] = contextvars.ContextVar("mentorbot_log_ids")


@contextmanager
def log_context(**ids: int | None) -> Iterator[None]:
    """Within the block (and tasks started in it), log records carry these ids."""
    current = _ids.get({})
    added = {k: v for k, v in ids.items() if v is not None}
    token = _ids.set({**current, **added})
    try:
        yield
    finally:
        _ids.reset(token)


def current_ids() -> dict[str, int]:
    """The ids in force here."""
    return dict(_ids.get({}))


class ContextFilter(logging.Filter):
    """Puts the ids of the current context on each record (``record.mentorbot_ids``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Always keeps the record; only adds to it."""
        if not hasattr(record, "mentorbot_ids"):
            record.mentorbot_ids = _ids.get({})
        return True


class TextFormatter(logging.Formatter):
    """``time LEVEL logger: message [update=.. checkin=..]`` on one line; a traceback follows
    only for errors logged with one."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        """The line, with the context ids appended."""
        line = super().format(record)
        ids: dict[str, int] = getattr(record, "mentorbot_ids", {})
        if ids:
            tail = " ".join(f"{k.removesuffix('_id')}={v}" for k, v in ids.items())
            first, sep, rest = line.partition("\n")
            line = f"{first} [{tail}]{sep}{rest}"
        return line


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, the context ids, and the
    traceback as one string field when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as a JSON line."""
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update(getattr(record, "mentorbot_ids", {}))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False, default=str)


# Lines every periodic run writes ("Running job ...", "executed successfully"): most of a
# quiet day's log at INFO. They show at DEBUG.
CHATTY_LOGGERS = ("apscheduler.executors", "apscheduler.scheduler")
# uvicorn's own lines stay; its access log is off (the bot logs what matters per request).
QUIET_AT_INFO = ("httpx", "httpcore", "aiohttp.access")


HANDLER_NAME = "mentorbot"


def setup_logging(fmt: str = "text", level: str = "INFO", verbose: bool = False) -> None:
    """Configure the root logger: one handler on stderr, the chosen format, the ids filter."""
    handler = logging.StreamHandler()
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(ContextFilter())
    handler.set_name(HANDLER_NAME)
    root = logging.getLogger()
    for old in list(root.handlers):
        if old.get_name() == HANDLER_NAME:  # set up before (tests, the demo): replace ours only
            root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG if verbose else getattr(logging, level))
    for name in CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(logging.DEBUG if verbose else logging.WARNING)
    for name in QUIET_AT_INFO:
        logging.getLogger(name).setLevel(logging.DEBUG if verbose else logging.WARNING)
