"""Channel-neutral messages for the support desk (cards, forms, actions) and its errors.

The handlers build these; the Slack adapter renders them as Block Kit and turns Slack's
payloads back into :class:`DeskAction`. Nothing here knows about Slack.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


class DeskMarkup(Protocol):
    """How the desk marks up text: handlers say what (a mention, bold words), the adapter how.

    The Slack adapter implements it with mrkdwn (``<@U1>``, ``*bold*``); handlers never write
    a channel's syntax themselves.
    """

    def mention(self, staff_id: str) -> str:
        """A staff member, mentioned (they get notified)."""
        ...

    def group_mention(self, group_id: str) -> str:
        """A group of staff (e.g. the support leads), mentioned."""
        ...

    def bold(self, text: str) -> str:
        """``text`` in bold."""
        ...

    def italic(self, text: str) -> str:
        """``text`` in italics."""
        ...

    def code(self, text: str) -> str:
        """``text`` as a code to copy (e.g. a voucher code)."""
        ...

    def quote(self, text: str) -> str:
        """``text`` as a block quote, line by line."""
        ...


@dataclass(frozen=True)
class CardButton:
    """A button on a card: ``action`` names what it does, ``value`` what it acts on."""

    label: str
    action: str
    value: str
    style: str | None = None  # "primary", "danger" or None


@dataclass(frozen=True)
class Card:
    """A case card: a title, labelled facts, longer sections, buttons and a footer line."""

    title: str
    facts: tuple[tuple[str, str], ...] = ()
    sections: tuple[str, ...] = ()
    buttons: tuple[CardButton, ...] = ()
    footer: str | None = None


@dataclass(frozen=True)
class DeskMessage:
    """What is posted to the desk: plain text (always, for notifications) and maybe a card."""

    text: str
    card: Card | None = None


@dataclass(frozen=True)
class FormField:
    """One input of a form; ``options`` makes it a choice."""

    id: str
    label: str
    multiline: bool = False
    optional: bool = False
    options: tuple[str, ...] = ()
    hint: str | None = None
    max_length: int = 3000
    initial: str | None = None
    """Prefilled text the staff member can edit (text fields only)."""


@dataclass(frozen=True)
class Form:
    """A modal form; ``kind`` comes back with the submission, ``ref`` too (e.g. the case id)."""

    kind: str
    title: str
    submit: str
    ref: str
    fields: tuple[FormField, ...] = ()
    intro: str | None = None


@dataclass(frozen=True)
class Staff:
    """A support staff member as the desk knows them."""

    id: str
    name: str = ""

    @property
    def first_name(self) -> str:
        """The first name, for signing replies to customers."""
        return (self.name or self.id).split(" ")[0]


@dataclass(frozen=True)
class DeskAction:
    """Something a staff member did on the desk, converted from the channel's payload.

    ``kind`` is a button action (claim, reply, resolve, not_an_issue), a form submission
    (form:<form kind>) or ``thread_message``.
    """

    kind: str
    staff: Staff
    ref: str = ""
    channel: str | None = None
    message_ts: str | None = None
    thread_ts: str | None = None
    trigger_id: str | None = None
    text: str = ""
    values: dict[str, str | None] = field(default_factory=dict)


@dataclass(frozen=True)
class ActionResult:
    """What the desk shows the staff member after an action: a private notice and form errors."""

    notice: str | None = None
    form_errors: dict[str, str] = field(default_factory=dict)


class DeskError(Exception):
    """The desk (Slack) did not take a post."""


class DeskRetryLater(DeskError):
    """Rate limited: try again after ``retry_after`` seconds."""

    def __init__(self, retry_after: float, detail: str = "rate limited") -> None:
        super().__init__(f"{detail}; retry after {retry_after:.0f}s")
        self.retry_after = retry_after


class DeskUnavailable(DeskError):
    """The desk could not be reached or failed; try again with backoff."""


class DeskRejected(DeskError):
    """The desk refused the post for good (e.g. an unknown channel); retrying will not help."""
