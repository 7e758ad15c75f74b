"""Channel-neutral messages: what handlers send and receive, whatever the chat SDK.

Adapters convert SDK objects to these and back; handlers only ever see these. The handlers own
this vocabulary: the adapters in bot/ import it from here (and nothing else of handlers/).
Buttons fall back to numbered text on channels without them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True)
class Button:
    """One button: the label shown and the opaque data returned when it is pressed."""

    label: str
    data: str


@dataclass(frozen=True)
class OutgoingMessage:
    """A message to a customer's chat."""

    chat_id: int
    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    purpose: str = ""
    """What the message is (an outbox kind such as ``resolve_note``, or ``advocacy:<ask id>``),
    for a channel that must announce a message before it may send it (WhatsApp's templates
    outside the 24-hour window); other channels ignore it."""


@dataclass(frozen=True)
class OutgoingDocument:
    """A file to a customer's chat (e.g. their data export)."""

    chat_id: int
    filename: str
    content: bytes
    caption: str = ""


@dataclass(frozen=True)
class OutgoingPhoto:
    """An image to a chat (e.g. a manager's NPS trend chart), PNG or JPEG bytes."""

    chat_id: int
    content: bytes
    filename: str = "chart.png"
    caption: str = ""


@dataclass(frozen=True)
class SentMessage:
    """What the channel says about a delivered message."""

    chat_id: int
    message_id: int


@dataclass(frozen=True)
class IncomingUpdate:
    """One thing a customer did: wrote text, sent a command, or pressed a button."""

    channel: str
    update_id: int
    kind: Literal["text", "command", "button", "edit"]
    chat_id: int
    user_id: int
    text: str = ""
    command: str = ""
    args: tuple[str, ...] = ()
    button_data: str = ""
    callback_id: str = ""
    message_id: int | None = None
    language_code: str | None = None
    first_name: str | None = None
    chat_type: str = "private"
    extra: dict[str, str] = field(default_factory=dict)
    """What a channel adds: e.g. :data:`ATTACHMENT`, a WhatsApp status, the inbox claim."""


ATTACHMENT = "attachment"
"""``extra`` key: what the message carried besides words (photo, document, voice, sticker,
location...). Its caption, if any, is ``text``; the file itself is not fetched or passed on."""


def attachment_of(update: IncomingUpdate) -> str | None:
    """What the customer's message carried besides words, or None."""
    return update.extra.get(ATTACHMENT) or None


class ChannelError(Exception):
    """Sending through a channel failed."""


class ChatUnreachable(ChannelError):
    """The customer blocked the bot or deleted their account: stop writing to them."""


class RetryLater(ChannelError):
    """The channel asked us to slow down; try again after ``seconds``."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"retry after {seconds} s")
        self.seconds = seconds


class ChannelUnavailable(ChannelError):
    """A network problem or a server error: the message may be retried later."""


class MessageRejected(ChannelError):
    """The channel refused this message (bad request); retrying will not help."""
