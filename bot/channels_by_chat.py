"""One customer channel over several: each chat id names its channel (handlers/chat_address.py),
so a message goes to the channel its chat belongs to, whichever handler sends it."""

from __future__ import annotations

from handlers.chat_address import TELEGRAM, channel_of
from handlers.messages import (
    FileRef,
    MessageRejected,
    OutgoingDocument,
    OutgoingMessage,
    OutgoingPhoto,
    SentMessage,
)
from handlers.ports import CustomerChannel

WHATSAPP_CALLBACK = "wa:"
"""Prefix of a WhatsApp reply's callback id (nothing to acknowledge there)."""


class ChannelsByChat:
    """A :class:`CustomerChannel` that passes each call to the channel of its chat."""

    def __init__(self, channels: dict[str, CustomerChannel]) -> None:
        self.channels = channels

    def _of(self, chat_id: int) -> CustomerChannel:
        name = channel_of(chat_id)
        channel = self.channels.get(name)
        if channel is None:
            raise MessageRejected(f"chat {chat_id} is on {name}, which is not configured")
        return channel

    async def send(self, message: OutgoingMessage) -> SentMessage:
        """Send through the chat's channel."""
        return await self._of(message.chat_id).send(message)

    async def edit(self, chat_id: int, message_id: int, text: str) -> None:
        """Edit through the chat's channel."""
        await self._of(chat_id).edit(chat_id, message_id, text)

    async def answer_button(self, callback_id: str, text: str | None = None) -> None:
        """Acknowledge a Telegram button press; a WhatsApp reply needs none."""
        if callback_id.startswith(WHATSAPP_CALLBACK) or TELEGRAM not in self.channels:
            return
        await self.channels[TELEGRAM].answer_button(callback_id, text)

    async def send_document(self, document: OutgoingDocument) -> SentMessage:
        """Send a file through the chat's channel."""
        return await self._of(document.chat_id).send_document(document)

    async def send_photo(self, photo: OutgoingPhoto) -> SentMessage:
        """Send an image through the chat's channel."""
        return await self._of(photo.chat_id).send_photo(photo)

    async def fetch_file(self, ref: FileRef, max_bytes: int) -> bytes:
        """Fetch a customer's file from the channel of their chat."""
        return await self._of(ref.chat_id).fetch_file(ref, max_bytes)
