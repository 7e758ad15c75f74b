"""A support desk on the in-memory ports: :class:`DeskDeps` for rule tests of the desk's rounds
(response times, delivering the outbox, the sweep of cases left behind), with a desk channel
that records what it is given. Its units of work and its query ports share one set of rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time

from handlers.desk.messages import DeskError, DeskMessage, Form, Staff
from handlers.desk.port import BusinessHours, DeskDeps, DeskSettings
from handlers.events import CaseChanged, EventBus
from storage.memory import MemoryUnitOfWork
from tests.handlers.memory.repositories import MemoryRepositories

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
ALWAYS_OPEN = BusinessHours(time(0, 0), time(23, 59), frozenset(range(7)), "UTC")
"""Business time is wall time (within a day): the targets' arithmetic is tested elsewhere."""


class PlainMarkup:
    """:class:`handlers.desk.messages.DeskMarkup` in plain characters."""

    def mention(self, staff_id: str) -> str:
        """``@U1``."""
        return f"@{staff_id}"

    def group_mention(self, group_id: str) -> str:
        """``@@S1``."""
        return f"@@{group_id}"

    def bold(self, text: str) -> str:
        """``*text*``."""
        return f"*{text}*"

    def italic(self, text: str) -> str:
        """``_text_``."""
        return f"_{text}_"

    def code(self, text: str) -> str:
        """```text```."""
        return f"`{text}`"

    def quote(self, text: str) -> str:
        """Each line after ``> ``."""
        return "\n".join(f"> {line}" for line in text.splitlines())


@dataclass
class Desk:
    """A desk channel: posts get ts "1", "2"...; ``fail_next`` raises on the next calls."""

    markup: PlainMarkup = field(default_factory=PlainMarkup)
    posts: list[tuple[str, str, str | None, int | None]] = field(default_factory=list)
    """(channel, text, thread ts, card of) per post."""
    updates: list[tuple[str, str]] = field(default_factory=list)
    """(channel, ts) per card update."""
    fail_next: list[DeskError] = field(default_factory=list)
    cards: dict[int, str] = field(default_factory=dict)
    """Cards found in the channel's history (by case id), for ``find_card``."""
    files: list[tuple[str, str, bytes, str, str]] = field(default_factory=list)
    """(channel, thread ts, content, filename, title) per file shared."""

    def _maybe_fail(self) -> None:
        if self.fail_next:
            raise self.fail_next.pop(0)

    async def post(
        self,
        channel: str,
        message: DeskMessage,
        thread_ts: str | None = None,
        card_of: int | None = None,
    ) -> str:
        """Record the post; its ts."""
        self._maybe_fail()
        self.posts.append((channel, message.text, thread_ts, card_of))
        return str(len(self.posts))

    async def find_card(self, channel: str, case_id: int, recent: int = 1000) -> str | None:
        """A card an interrupted attempt posted, if the test put one there."""
        return self.cards.get(case_id)

    async def update(self, channel: str, ts: str, message: DeskMessage) -> None:
        """Record the update."""
        self._maybe_fail()
        self.updates.append((channel, ts))

    async def upload_file(
        self, channel: str, thread_ts: str, content: bytes, filename: str, title: str
    ) -> str:
        """Record the file; its id ("F1", "F2"...)."""
        self._maybe_fail()
        self.files.append((channel, thread_ts, content, filename, title))
        return f"F{len(self.files)}"

    async def find_file(
        self, channel: str, thread_ts: str, filename: str, size: int, recent: int = 1000
    ) -> str | None:
        """A file shared in the thread with that name and size (by an earlier attempt)."""
        for i, (c, ts, content, name, _title) in enumerate(self.files):
            if (c, ts, name, len(content)) == (channel, thread_ts, filename, size):
                return f"F{i + 1}"
        return None

    async def open_form(self, trigger_id: str, form: Form) -> None:
        """Not used by the rounds."""
        raise NotImplementedError

    async def staff(self, staff_id: str) -> Staff:
        """Not used by the rounds."""
        raise NotImplementedError


@dataclass
class Clock:
    """The bot's clock, moved by hand."""

    now: datetime = NOW

    def __call__(self) -> datetime:
        return self.now


@dataclass
class MemoryDesk:
    """The desk's dependencies on memory, and what the tests look at."""

    ports: MemoryRepositories
    desk: Desk
    clock: Clock
    changes: list[CaseChanged]
    deps: DeskDeps


def memory_desk(**settings: object) -> MemoryDesk:
    """A desk on empty in-memory ports, support channel "C-support", always open."""
    ports, desk, clock = MemoryRepositories.on(), Desk(), Clock()
    changes: list[CaseChanged] = []
    events = EventBus()

    async def changed(event: CaseChanged) -> None:
        changes.append(event)

    events.subscribe(CaseChanged, changed)
    deps = DeskDeps(
        cases=ports.cases,
        desk_outbox=ports.desk_outbox,
        answers=ports.answers,
        customers=ports.customers,
        message_queue=ports.message_queue,
        leases=ports.leases,
        desk=desk,  # type: ignore[arg-type]
        customer_channel=None,
        settings=DeskSettings("C-support", hours=ALWAYS_OPEN, **settings),  # type: ignore[arg-type]
        clock=clock,
        units=lambda: MemoryUnitOfWork(ports.tables),
        events=events,
    )
    return MemoryDesk(ports, desk, clock, changes, deps)
