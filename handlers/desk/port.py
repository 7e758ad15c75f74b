"""The support desk's port and settings: what the case handlers are given."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Protocol

from handlers.customer_outbox import CustomerOutbox
from handlers.desk.gestures import GestureSpec
from handlers.desk.messages import DeskMarkup, DeskMessage, Form, Staff
from handlers.events import EventBus
from handlers.ports import CustomerChannel
from handlers.unit_of_work import UnitOfWorkFactory

if TYPE_CHECKING:
    from handlers.repositories.answers import Answers
    from handlers.repositories.cases import Cases
    from handlers.repositories.customers import Customers
    from handlers.repositories.desk_outbox import DeskOutbox
    from handlers.repositories.leases import Leases
    from handlers.repositories.message_queue import MessageQueue


class DeskChannel(Protocol):
    """Where support staff work (Slack); raises ``handlers.desk.messages`` errors."""

    markup: DeskMarkup
    """How texts for this desk mark up mentions, bold words and quotes."""

    async def post(
        self,
        channel: str,
        message: DeskMessage,
        thread_ts: str | None = None,
        card_of: int | None = None,
    ) -> str:
        """Post a message (in a thread when ``thread_ts`` is given); returns its ts.
        ``card_of``: the message is the card of that case (it can be found again)."""
        ...

    async def find_card(self, channel: str, case_id: int, recent: int = 1000) -> str | None:
        """The ts of the case's card among the channel's ``recent`` newest messages (a post
        that went out before a crash could record it), or None."""
        ...

    async def update(self, channel: str, ts: str, message: DeskMessage) -> None:
        """Replace a posted message (a case card) in place."""
        ...

    async def upload_file(
        self, channel: str, thread_ts: str, content: bytes, filename: str, title: str
    ) -> str:
        """Share a file in a thread (a customer's photo, under their case's card); returns
        the desk's id of the file."""
        ...

    async def find_file(
        self, channel: str, thread_ts: str, filename: str, size: int, recent: int = 1000
    ) -> str | None:
        """The id of a file named ``filename`` of ``size`` bytes already shared in the thread
        (among its ``recent`` replies): an upload cut off before it could be recorded."""
        ...

    async def open_form(self, trigger_id: str, form: Form) -> None:
        """Open a modal form for the staff member who pressed a button."""
        ...

    async def staff(self, staff_id: str) -> Staff:
        """Who a staff member is (their name, for signing replies)."""
        ...


@dataclass(frozen=True)
class BusinessHours:
    """When staff work: days (0 = Monday) and hours, in ``timezone``."""

    start: time = time(9, 0)
    end: time = time(17, 30)
    days: frozenset[int] = frozenset(range(5))
    timezone: str = "Europe/Amsterdam"


@dataclass(frozen=True)
class DeskSettings:
    """The support desk's rules, from config."""

    support_channel: str
    manager_channel: str | None = None
    escalation_usergroup: str | None = None
    remind_after: timedelta = timedelta(minutes=15)
    escalate_after: timedelta = timedelta(minutes=60)
    hours: BusinessHours = field(default_factory=BusinessHours)
    gestures: tuple[GestureSpec, ...] = (GestureSpec("Handwritten card"),)
    acknowledgement: dict[str, str] = field(default_factory=dict)
    """Per language: what a customer hears when their answer opens or joins a case."""
    reply_within: timedelta | None = None
    """The acknowledgement's promise, in business time (None: ``escalate_after``)."""
    resolve_message: dict[str, str] = field(default_factory=dict)
    """Per language: the Resolve form's prefilled message to the customer."""
    previous_answers: int = 5
    recovery_journey: str = "recovery"
    recovery_touchpoint: str = "recovery"
    recovery_delay: timedelta = timedelta(days=2)
    relay_max_bytes: int = 10 * 1024 * 1024
    """A customer's file larger than this is not passed on to their case's thread (a line
    says so instead)."""
    relay_files_per_hour: int = 10
    """At most this many of a customer's files are passed on to their case's thread in an
    hour: the desk's queue is shared, and one customer's hundred photos would hold up
    everyone else's new cases."""


@dataclass
class DeskDeps:
    """Everything a support-desk handler needs: storage, the desk, the customers' channel."""

    cases: Cases
    desk_outbox: DeskOutbox
    answers: Answers
    customers: Customers
    message_queue: MessageQueue
    leases: Leases
    desk: DeskChannel
    customer_channel: CustomerChannel | None
    """The customers' channel; None until the bot has built it (it is built after the desk)."""
    settings: DeskSettings
    clock: Callable[[], datetime]
    units: UnitOfWorkFactory
    """Begins a unit of work: the transaction a desk decision is made in."""
    events: EventBus
    """Where the desk announces what changed (CaseChanged: the card goes out now)."""
    worker: str = "worker"

    @property
    def customer_outbox(self) -> CustomerOutbox:
        """Messages to customers: stored first, delivered in order per chat, retried."""
        if self.customer_channel is None:
            raise RuntimeError("the customer channel is not built yet")
        return CustomerOutbox(self.message_queue, self.customers, self.customer_channel, self.clock)
