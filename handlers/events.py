"""The answer's path as named events on a small in-process bus.

    answer stored ──▶ scoring ──▶ AnswerScored ──▶ desk: open or join a case ──▶ CaseChanged
                                                                                  │
                                          desk outbox: deliver the card now ◀─────┘

A capability subscribes to the events it acts on while the bot is assembled; once the bot is
built the bus is frozen (a late subscription is a wiring mistake and raises). Publishing awaits
each subscriber in the order they subscribed; a subscriber's failure is logged and does not
stop the others (what came before it, the stored and scored answer, is already safe).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from storage.models import Answer

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AnswerScored:
    """An answer was scored and its score stored; ``analysis`` says why (``AnalysisLike``)."""

    answer: Answer
    analysis: Any


@dataclass(frozen=True)
class CaseChanged:
    """A case was opened or changed; the posts that show it wait in the desk's outbox."""

    case_id: int
    change: str
    """What happened: ``opened``, ``joined``, ``recovery``, ``customer_words``; a staff
    action's kind (``claim``, ``resolve``, ...), ``taken_over``, ``staff_reply``; ``reminded``
    or ``escalated`` when a response-time target passed."""


E = TypeVar("E")
Subscriber = Callable[[Any], Awaitable[None]]


class BusFrozen(RuntimeError):
    """A subscription after the bot was built."""


class EventBus:
    """Named events to the subscribers of their type, in subscription order."""

    def __init__(self) -> None:
        self._subscribers: dict[type, list[Subscriber]] = {}
        self._frozen = False

    def subscribe(self, kind: type[E], subscriber: Callable[[E], Awaitable[None]]) -> None:
        """Call ``subscriber`` with every event of type ``kind``."""
        if self._frozen:
            raise BusFrozen(f"subscribing to {kind.__name__} after the bot was built")
        self._subscribers.setdefault(kind, []).append(subscriber)

    def freeze(self) -> None:
        """No more subscriptions: the assembly is finished."""
        self._frozen = True

    def subscribers(self, kind: type) -> int:
        """How many subscribers events of type ``kind`` have."""
        return len(self._subscribers.get(kind, ()))

    async def publish(self, event: object) -> None:
        """Hand ``event`` to each subscriber of its type; failures are logged, not raised."""
        for subscriber in self._subscribers.get(type(event), ()):
            try:
                await subscriber(event)
            except Exception:
                log.exception("%s subscriber %r failed", type(event).__name__, subscriber)
