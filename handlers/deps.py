"""What the customer-facing handlers are given: the ports and the rules from config."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING

from handlers.customer_outbox import CustomerOutbox
from handlers.journeys import Journey
from handlers.messages import IncomingUpdate
from handlers.ports import AnswerPipeline, CustomerChannel
from handlers.repositories.answers import Answers
from handlers.repositories.checkins import CheckIns
from handlers.repositories.conversations import Conversations
from handlers.repositories.customers import Customers
from handlers.repositories.message_queue import MessageQueue
from handlers.unit_of_work import UnitOfWorkFactory
from storage.models import Answer, ConversationState, Customer

if TYPE_CHECKING:
    from storage.checkins.lifecycle import CheckInContext

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SurveyRules:
    """Survey-fatigue rules and check-in timing."""

    min_gap: timedelta = timedelta(days=3)
    quiet_start: time = time(21, 0)
    quiet_end: time = time(9, 0)
    reminder_after: timedelta = timedelta(days=1)
    expire_after: timedelta = timedelta(days=3)
    max_link_attempts: int = 5
    lockout: timedelta = timedelta(minutes=30)
    max_text_length: int = 4000


class UnscoredPipeline:
    """The default answer seam until scoring is wired in: answers stay recorded as unscored."""

    async def process(self, answer: Answer) -> None:
        """Nothing to add: the answer is stored with scoring_status 'unscored'."""
        log.debug("answer %s stored unscored", answer.id)


ButtonRoute = Callable[["Deps", IncomingUpdate], Awaitable[bool]]
"""Takes a button press it recognises (returns True) or leaves it to the next route."""
TextRoute = Callable[["Deps", IncomingUpdate, ConversationState, Customer, str], Awaitable[bool]]
"""Takes a linked customer's words outside a check-in question (returns True) or passes."""
CommandRoute = Callable[["Deps", IncomingUpdate], Awaitable[None]]
"""A command beyond the customer commands (e.g. managers' stats commands)."""
CheckInFinished = Callable[["Deps", "CheckInContext"], Awaitable[None]]
"""Called after a customer answered a check-in's last question."""
CheckInOpener = Callable[["Deps", "CheckInContext"], Awaitable[int]]
"""Sends a check-in's first message to its chat; returns the message id (a channel's own way
of opening a conversation, e.g. WhatsApp's template outside the 24-hour window)."""
CheckInReminder = Callable[["Deps", "CheckInContext", "ConversationState | None"], Awaitable[None]]
"""Sends a check-in's one reminder (a channel's own way, like :data:`CheckInOpener`)."""
ClosingWords = Callable[["Deps", Customer, int, "int | None", "int | None"], Awaitable[bool]]
"""Given (customer, chat id, check-in id, answer id) when a check-in ends or words outside one
were stored: sends its own closing (the support desk's acknowledgement) and returns True, or
returns False and the usual thanks are sent."""


@dataclass
class Deps:
    """Everything a customer-facing handler needs.

    The route lists are the seams other capabilities plug into (the support desk relays words
    to a case, advocacy takes its own buttons); the composition root fills them.
    """

    checkins: CheckIns
    answers: Answers
    conversations: Conversations
    customers: Customers
    message_queue: MessageQueue
    channel: CustomerChannel
    journeys: dict[str, Journey]
    units: UnitOfWorkFactory
    """Begins a unit of work: the transaction a decision is made in."""
    rules: SurveyRules = field(default_factory=SurveyRules)
    pipeline: AnswerPipeline = field(default_factory=UnscoredPipeline)
    clock: Callable[[], datetime] = field(default=lambda: datetime.now().astimezone())
    channel_name: str = "telegram"
    button_routes: Sequence[ButtonRoute] = ()
    text_routes: Sequence[TextRoute] = ()
    commands: Mapping[str, CommandRoute] = field(default_factory=dict)
    after_checkin: Sequence[CheckInFinished] = ()
    closing_words: Sequence[ClosingWords] = ()
    openers: Mapping[str, CheckInOpener] = field(default_factory=dict)
    """Per channel name, how a check-in is opened there (default: intro and first question)."""
    reminders: Mapping[str, CheckInReminder] = field(default_factory=dict)
    """Per channel name, how a check-in's reminder is sent (default: the question again)."""

    @property
    def outbox(self) -> CustomerOutbox:
        """Messages to customers: stored first, delivered in order per chat, retried."""
        return CustomerOutbox(
            self.message_queue, self.customers, self.channel, self.clock, self.channel_name
        )
