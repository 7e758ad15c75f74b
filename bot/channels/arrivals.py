"""What a channel adapter hands over as updates arrive, before it confirms them to the channel."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from handlers.messages import IncomingUpdate


@dataclass(frozen=True)
class Arrival:
    """One update as it arrived: its id, its chat, the payload to store (the channel's own
    JSON), and (when the adapter has it already) its channel-neutral form, so handling it at
    once does not decode it again."""

    update_id: int
    chat_id: int
    payload: str
    incoming: IncomingUpdate | None = None


Receive = Callable[[list[Arrival]], Awaitable[None]]
"""Stores arrivals durably; returns only once they are stored, raises when they could not be."""


INCOMING = "incoming"  # the key of a payload that holds the channel-neutral form
_FIELDS = dataclasses.fields(IncomingUpdate)


def encode_incoming(incoming: IncomingUpdate) -> str:
    """An update's channel-neutral form as an inbox payload. Polled updates are stored so:
    PTB has parsed them already, and writing Telegram's JSON back from its objects
    (``Update.to_json``) cost about 0.4 ms of CPU per update, a tenth of handling an answer."""
    fields = {f.name: getattr(incoming, f.name) for f in _FIELDS}  # asdict deep-copies
    return json.dumps({INCOMING: fields}, ensure_ascii=False)


def decode_incoming(data: dict[str, Any]) -> IncomingUpdate | None:
    """The update an ``encode_incoming`` payload (already parsed) holds; None if ``data`` is
    another kind of payload (a channel's own JSON)."""
    fields = data.get(INCOMING)
    if not isinstance(fields, dict):
        return None
    return IncomingUpdate(**{**fields, "args": tuple(fields.get("args") or ())})
