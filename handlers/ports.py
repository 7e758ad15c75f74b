"""The ports the handlers work through; storage and channel adapters implement them."""

from __future__ import annotations

from typing import Protocol

from handlers.messages import (
    FileRef,
    OutgoingDocument,
    OutgoingMessage,
    OutgoingPhoto,
    SentMessage,
)
from storage.models import Answer


class CustomerChannel(Protocol):
    """Where customers are written to (Telegram); raises handlers.messages errors."""

    async def send(self, message: OutgoingMessage) -> SentMessage:
        """Send a message, with buttons if it has any."""
        ...

    async def edit(self, chat_id: int, message_id: int, text: str) -> None:
        """Replace a sent message's text and remove its buttons."""
        ...

    async def answer_button(self, callback_id: str, text: str | None = None) -> None:
        """Acknowledge a button press (optionally with a short notice)."""
        ...

    async def send_document(self, document: OutgoingDocument) -> SentMessage:
        """Send a file."""
        ...

    async def send_photo(self, photo: OutgoingPhoto) -> SentMessage:
        """Send an image (shown inline)."""
        ...

    async def fetch_file(self, ref: FileRef, max_bytes: int) -> bytes:
        """The bytes of a file the customer sent. Raises :class:`FileUnavailable` when it is
        over ``max_bytes`` (or the channel's own download limit) or the channel no longer has
        it; other channel errors when it may work later."""
        ...


class AnswerPipeline(Protocol):
    """The seam every stored answer passes through: scoring, segments, escalation plug in here."""

    async def process(self, answer: Answer) -> None:
        """Do whatever follows a stored answer; must not lose it if it fails."""
        ...
