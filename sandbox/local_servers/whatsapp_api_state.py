"""The state of the local WhatsApp Cloud API: templates, customers, windows, what was sent.

The 24-hour customer-service window (Meta's "Customer service windows" in the Cloud API docs):
when a customer messages the business, a window of 24 hours opens in which any message may be
sent; outside it only a template may be (free-form and interactive messages fail with 131047).
Meta's error codes page says 131047 is reported synchronously or by a failed status webhook;
this server refuses the call (synchronous) unless ``async_window_errors`` is set, when it
accepts the call and reports the failure by webhook, as the live API often does.

Webhook payload shapes follow Meta's "messages webhook reference" (developers.facebook.com/
documentation/business-messaging/whatsapp/webhooks/reference/messages): an envelope
``{"object": "whatsapp_business_account", "entry": [{"id", "changes": [{"field": "messages",
"value": {"messaging_product", "metadata", "contacts" | "statuses", "messages"}}]}]}``; text,
``button`` (a template's quick reply: ``{"payload", "text"}``) and ``interactive``
(``button_reply`` / ``list_reply``) messages, with ``context`` when replying to a message.
"""

from __future__ import annotations

import collections
import itertools
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sandbox.local_servers.whatsapp_api_errors import GraphError, webhook_error
from sandbox.local_servers.whatsapp_api_limits import Limits, SendLimiter
from sandbox.local_servers.whatsapp_api_rules import (
    Outgoing,
    Template,
    check_message,
    normalize_recipient,
)

__all__ = ["WINDOW", "Sent", "WhatsAppApiState"]

WINDOW = 24 * 3600.0


@dataclass
class Sent:
    """One message the business sent, as accepted."""

    seq: int
    message_id: str
    wa_id: str
    kind: str
    text: str
    options: list[dict[str, str]]
    payload: dict[str, Any]
    time: float
    template: str | None = None
    statuses: list[str] = field(default_factory=list)


class WhatsAppApiState:
    """What the local Graph API knows; the HTTP layer is in ``whatsapp_api``."""

    def __init__(
        self,
        *,
        token: str = "LOCAL-WA-TOKEN",
        phone_number_id: str = "100000000000001",
        display_phone_number: str = "31600000000",
        waba_id: str = "200000000000001",
        limits: Limits | None = None,
        async_window_errors: bool = False,
        sent_kept: int = 100_000,
    ) -> None:
        self.token = token
        self.phone_number_id = phone_number_id
        self.display_phone_number = display_phone_number
        self.waba_id = waba_id
        self.async_window_errors = async_window_errors
        self.limiter = SendLimiter(limits)
        self.templates: dict[tuple[str, str], Template] = {}
        self.last_inbound: dict[str, float] = {}  # wa_id -> when the customer last wrote
        self.unreachable: dict[str, str] = {}  # wa_id -> "async" (failed status) | "sync"
        self.sent: collections.deque[Sent] = collections.deque(maxlen=sent_kept)
        self.auto_statuses: tuple[str, ...] = ("sent", "delivered")
        self.read_marks: list[str] = []
        self.received: collections.OrderedDict[str, str] = collections.OrderedDict()  # id -> wa_id
        self._received_kept = sent_kept
        self.clock_offset = 0.0
        self.wall: Callable[[], float] = time.time
        self._ids = itertools.count(1)
        self._seq = 0

    # ------------------------------------------------------------------ clock and setup
    def now(self) -> float:
        """The server's clock: the wall clock plus :meth:`advance` offsets."""
        return self.wall() + self.clock_offset

    def advance(self, seconds: float) -> None:
        """Move the server's clock forward (windows close, limits expire)."""
        self.clock_offset += seconds

    def add_template(
        self, name: str, language: str, body: str, quick_replies: tuple[str, ...] = (),
        status: str = "APPROVED",
    ) -> Template:  # fmt: skip
        """Register a template (``body`` with ``{{1}}`` ... placeholders)."""
        template = Template(name, language, body, tuple(quick_replies), status)
        self.templates[(name, language)] = template
        return template

    def window_open(self, wa_id: str) -> bool:
        """Whether the customer wrote within the last 24 hours (server clock)."""
        last = self.last_inbound.get(wa_id)
        return last is not None and self.now() - last < WINDOW

    def new_message_id(self) -> str:
        """A fresh ``wamid.`` id."""
        return f"wamid.LOCAL{next(self._ids):010d}{secrets.token_hex(6).upper()}"

    # ------------------------------------------------------------------ sending
    def accept(self, body: dict[str, Any]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Handle a messages call: the response and the status webhooks it causes."""
        if body.get("messaging_product") != "whatsapp":
            raise GraphError(100, "messaging_product must be 'whatsapp'")
        if body.get("status") == "read":
            return self._mark_read(body), []
        wa_id = normalize_recipient(body.get("to"))
        outgoing = check_message(body, self.templates)
        now = self.now()
        in_window = self.window_open(wa_id)
        if outgoing.kind != "template" and not in_window and not self.async_window_errors:
            raise GraphError(
                131047,
                "Message failed to send because more than 24 hours have passed since the"
                " customer last replied to this number.",
            )
        opens = outgoing.kind == "template" and not in_window
        self.limiter.check(wa_id, now, opens_conversation=opens)
        if self.unreachable.get(wa_id) == "sync":
            raise GraphError(131026, "Message undeliverable: the recipient cannot be reached")
        self.limiter.record(wa_id, now, opens_conversation=opens)
        sent = self._record(wa_id, outgoing, body, now)
        response = {
            "messaging_product": "whatsapp",
            "contacts": [{"input": body["to"], "wa_id": wa_id}],
            "messages": [{"id": sent.message_id}],
        }
        if outgoing.kind == "template":
            response["messages"][0]["message_status"] = "accepted"
        return response, self._statuses_after_send(sent, in_window)

    def _record(self, wa_id: str, outgoing: Outgoing, body: dict[str, Any], now: float) -> Sent:
        self._seq += 1
        sent = Sent(
            self._seq, self.new_message_id(), wa_id, outgoing.kind, outgoing.text,
            outgoing.options, body, now, outgoing.template,
        )  # fmt: skip
        self.sent.append(sent)
        return sent

    def _statuses_after_send(self, sent: Sent, in_window: bool) -> list[dict[str, Any]]:
        if self.unreachable.get(sent.wa_id) == "async":
            error = webhook_error(131026, "Message undeliverable: the recipient cannot be reached")
            return [self.status_payload(sent, "failed", error)]
        if sent.kind != "template" and not in_window:  # async_window_errors
            error = webhook_error(131047, "More than 24 hours have passed since the customer"
                                  " last replied to this number.")  # fmt: skip
            return [self.status_payload(sent, "failed", error)]
        return [self.status_payload(sent, status) for status in self.auto_statuses]

    def _mark_read(self, body: dict[str, Any]) -> dict[str, Any]:
        message_id = body.get("message_id")
        if not isinstance(message_id, str) or message_id not in self.received:
            raise GraphError(
                100, f"message_id {message_id!r} is not a message this number received"
            )
        self.read_marks.append(message_id)
        return {"success": True}

    def find_sent(self, message_id: str) -> Sent | None:
        """The sent message with ``message_id``, if still kept."""
        return next((s for s in reversed(self.sent) if s.message_id == message_id), None)

    def sent_to(self, wa_id: str, since: int = 0) -> list[Sent]:
        """What was sent to ``wa_id`` after sequence number ``since``, oldest first."""
        return [s for s in self.sent if s.wa_id == wa_id and s.seq > since]

    # ------------------------------------------------------------------ webhook payloads
    def envelope(self, value: dict[str, Any]) -> dict[str, Any]:
        """A messages-webhook body around one change ``value``."""
        metadata = {
            "display_phone_number": self.display_phone_number,
            "phone_number_id": self.phone_number_id,
        }
        return {
            "object": "whatsapp_business_account",
            "entry": [
                {
                    "id": self.waba_id,
                    "changes": [
                        {
                            "field": "messages",
                            "value": {"messaging_product": "whatsapp", "metadata": metadata,
                                      **value},
                        }
                    ],
                }
            ],
        }  # fmt: skip

    def status_payload(
        self, sent: Sent, status: str, error: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """A status webhook body (sent, delivered, read, failed) for ``sent``."""
        sent.statuses.append(status)
        item: dict[str, Any] = {
            "id": sent.message_id,
            "status": status,
            "timestamp": str(int(self.now())),
            "recipient_id": sent.wa_id,
        }
        if error is not None:
            item["errors"] = [error]
        return self.envelope({"statuses": [item]})

    def inbound(
        self,
        wa_id: str,
        kind: str,
        content: dict[str, Any],
        *,
        name: str = "Klant",
        context_id: str | None = None,
    ) -> dict[str, Any]:
        """A customer's message (``kind`` is its webhook ``type``); opens the window."""
        wa_id = normalize_recipient(wa_id)
        now = self.now()
        self.last_inbound[wa_id] = now
        message_id = self.new_message_id()
        self.received[message_id] = wa_id
        if len(self.received) > self._received_kept:
            self.received.popitem(last=False)
        message: dict[str, Any] = {
            "from": wa_id,
            "id": message_id,
            "timestamp": str(int(now)),
            "type": kind,
            kind: content,
        }
        if context_id is not None:
            message["context"] = {"from": self.display_phone_number, "id": context_id}
        contacts = [{"profile": {"name": name}, "wa_id": wa_id}]
        return self.envelope({"contacts": contacts, "messages": [message]})
