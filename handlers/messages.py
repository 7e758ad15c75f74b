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
location...). Its caption, if any, is ``text``."""
FILE_ID = "file_id"
"""``extra`` key: the channel's reference to the file the message carried (Telegram's
``file_id`` of the largest photo size or of the document; WhatsApp's media id). Only a
reference: the bytes are fetched later, through :meth:`CustomerChannel.fetch_file`."""
FILE_SIZE = "file_size"
"""``extra`` key: the file's size in bytes, as the channel told it (absent when unknown)."""
FILE_NAME = "file_name"
"""``extra`` key: the file's name, when the channel gave one (documents)."""
FILE_MIME = "mime_type"
"""``extra`` key: the file's MIME type, when the channel gave one."""


def attachment_of(update: IncomingUpdate) -> str | None:
    """What the customer's message carried besides words, or None."""
    return update.extra.get(ATTACHMENT) or None


@dataclass(frozen=True)
class FileRef:
    """A file a customer sent, as their channel names it: enough to fetch it later."""

    chat_id: int
    """The customer's chat (it names the channel the file is on)."""
    file_id: str
    kind: str = "file"
    """What it is (photo, document, video...), as :data:`ATTACHMENT` says."""
    name: str | None = None
    mime_type: str | None = None
    size: int | None = None
    """Bytes, as the channel told it when the message came (None: unknown)."""

    def to_payload(self) -> dict[str, str | int | None]:
        """As JSON, for the desk outbox."""
        return {"chat_id": self.chat_id, "file_id": self.file_id, "kind": self.kind,
                "name": self.name, "mime_type": self.mime_type, "size": self.size}  # fmt: skip

    @classmethod
    def from_payload(cls, data: dict[str, object]) -> FileRef:
        """Back from :meth:`to_payload`."""
        size = data.get("size")
        return cls(
            chat_id=int(str(data["chat_id"])),
            file_id=str(data["file_id"]),
            kind=str(data.get("kind") or "file"),
            name=str(data["name"]) if data.get("name") else None,
            mime_type=str(data["mime_type"]) if data.get("mime_type") else None,
            size=int(str(size)) if size is not None else None,
        )


def file_of(update: IncomingUpdate) -> FileRef | None:
    """The file the customer's message carried, if its channel named one (:data:`FILE_ID`)."""
    file_id = update.extra.get(FILE_ID)
    if not file_id:
        return None
    size = update.extra.get(FILE_SIZE, "")
    return FileRef(
        chat_id=update.chat_id,
        file_id=file_id,
        kind=attachment_of(update) or "file",
        name=update.extra.get(FILE_NAME) or None,
        mime_type=update.extra.get(FILE_MIME) or None,
        size=int(size) if size.isdigit() else None,
    )


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


class FileUnavailable(ChannelError):
    """A customer's file cannot be fetched, and retrying will not help: ``reason`` is
    ``too_big`` (over the limit asked for, or the channel's own) or ``gone`` (the channel no
    longer has it); the desk names a file it could not fetch in its tries ``unreachable``.
    ``size`` in bytes when known."""

    def __init__(self, reason: str, detail: str = "", size: int | None = None) -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.size = size
