"""The one interface a capability plugs into the bot through, while the bot is being built.

Every capability (the support desk, advocacy, insights, operations, retention) is installed by
a function ``install_<capability>(bot, plugs)``: it reads the bot's config and parts, and tells
``plugs`` what it adds: routes for buttons, words and commands, steps after a check-in, closing
words, command menus, web routes, periodic jobs and subscriptions to the answer's events. When
every capability is in, the composition root calls :meth:`Plugs.finish`: the result, an
:class:`Assembly`, is immutable, the event bus is frozen, and the plugs refuse anything more.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TypeVar

from starlette.routing import BaseRoute

from handlers.deps import ButtonRoute, CheckInFinished, ClosingWords, CommandRoute, TextRoute
from handlers.events import EventBus
from handlers.jobs import Job

E = TypeVar("E")
Menu = dict[str, list[tuple[str, str]]]
"""Per language, the (command, description) pairs of a command menu."""


class AssemblyFinished(RuntimeError):
    """A capability tried to plug in after the bot was built."""


@dataclass(frozen=True)
class Assembly:
    """What the capabilities plugged in, fixed once the bot is built."""

    button_routes: tuple[ButtonRoute, ...] = ()
    text_routes: tuple[TextRoute, ...] = ()
    commands: Mapping[str, CommandRoute] = field(default_factory=lambda: MappingProxyType({}))
    chat_menus: tuple[tuple[tuple[int, ...], Menu], ...] = ()
    after_checkin: tuple[CheckInFinished, ...] = ()
    closing_words: tuple[ClosingWords, ...] = ()
    jobs: tuple[Job, ...] = ()
    web_routes: tuple[BaseRoute, ...] = ()


class Plugs:
    """Collects what capabilities add while the bot is built; :meth:`finish` fixes it."""

    def __init__(self, events: EventBus) -> None:
        self._events = events
        self._buttons: list[ButtonRoute] = []
        self._texts: list[TextRoute] = []
        self._commands: dict[str, CommandRoute] = {}
        self._menus: list[tuple[tuple[int, ...], Menu]] = []
        self._after_checkin: list[CheckInFinished] = []
        self._closing: list[ClosingWords] = []
        self._jobs: list[Job] = []
        self._routes: list[BaseRoute] = []
        self._finished: Assembly | None = None

    def _open(self) -> None:
        if self._finished is not None:
            raise AssemblyFinished("the bot is built: capabilities plug in while it is assembled")

    def button_route(self, route: ButtonRoute) -> None:
        """A route offered each button press the customer conversation does not take."""
        self._open()
        self._buttons.append(route)

    def text_route(self, route: TextRoute) -> None:
        """A route offered a linked customer's words outside a check-in question."""
        self._open()
        self._texts.append(route)

    def command(self, name: str, route: CommandRoute) -> None:
        """A command beyond the customers' own; a name taken twice is refused."""
        self._open()
        if name in self._commands:
            raise ValueError(f"the command /{name} is plugged in twice")
        self._commands[name] = route

    def commands(self, routes: Mapping[str, CommandRoute]) -> None:
        """Several commands at once."""
        for name, route in routes.items():
            self.command(name, route)

    def chat_menu(self, chats: Iterable[int], menu: Menu) -> None:
        """A command menu shown in particular chats (e.g. managers')."""
        self._open()
        self._menus.append((tuple(chats), menu))

    def after_checkin(self, step: CheckInFinished) -> None:
        """A step run after a customer answered a check-in's last question."""
        self._open()
        self._after_checkin.append(step)

    def closing_words(self, step: ClosingWords) -> None:
        """A closing that may replace the usual thanks (the desk's acknowledgement)."""
        self._open()
        self._closing.append(step)

    def job(self, job: Job) -> None:
        """A periodic job; a name taken twice is refused."""
        self._open()
        if any(j.name == job.name for j in self._jobs):
            raise ValueError(f"the job {job.name!r} is plugged in twice")
        self._jobs.append(job)

    def web_routes(self, routes: Iterable[BaseRoute]) -> None:
        """Routes on the bot's one web server."""
        self._open()
        self._routes.extend(routes)

    def subscribe(self, event: type[E], handler: Callable[[E], Awaitable[None]]) -> None:
        """Run ``handler`` on each ``event`` published on the answer's path."""
        self._open()
        self._events.subscribe(event, handler)

    def finish(self) -> Assembly:
        """Fix what was plugged in and freeze the event bus; later plugs raise."""
        if self._finished is None:
            self._events.freeze()
            self._finished = Assembly(
                button_routes=tuple(self._buttons),
                text_routes=tuple(self._texts),
                commands=MappingProxyType(dict(self._commands)),
                chat_menus=tuple(self._menus),
                after_checkin=tuple(self._after_checkin),
                closing_words=tuple(self._closing),
                jobs=tuple(self._jobs),
                web_routes=tuple(self._routes),
            )
        return self._finished
