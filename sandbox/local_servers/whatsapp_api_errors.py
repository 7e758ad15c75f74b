"""Meta's Graph API errors as the local WhatsApp server returns them.

Codes and titles from Meta's "WhatsApp error codes" page
(developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes), whose
error syntax is ``{"error": {"message": "(#<code>) <title>", "type", "code", "error_subcode",
"error_data": {"messaging_product": "whatsapp", "details"}, "fbtrace_id"}}``; it asks clients
to go by ``code`` and ``details``, never by titles. The HTTP statuses below (400 for nearly all,
401 for 190, 404 for 132001) follow that page's table as remembered: the excerpts the search
store holds confirm the codes and shapes but not each status, so the client never relies on
them. Meta documents no Retry-After header for the throttling codes (130429, 131048, 131056)
and this server sends none, so a client must go by ``code``, not by the HTTP status.
"""

from __future__ import annotations

import secrets
from typing import Any

__all__ = ["TITLES", "GraphError", "error_body", "webhook_error"]

# code: (HTTP status, title)
TITLES: dict[int, tuple[int, str]] = {
    100: (400, "Invalid parameter"),
    190: (401, "Access token has expired"),
    130429: (400, "Rate limit hit"),
    131009: (400, "Parameter value is not valid"),
    131026: (400, "Message undeliverable"),
    131047: (400, "Re-engagement message"),
    131048: (400, "Spam rate limit hit"),
    131051: (400, "Unsupported message type"),
    131056: (400, "(Business Account, Consumer Account) pair rate limit hit"),
    132000: (400, "Number of parameters does not match the expected number of params"),
    132001: (404, "Template name does not exist in the translation"),
}


class GraphError(Exception):
    """A refused call: Meta's ``code`` (see :data:`TITLES`), ``details``, an optional subcode."""

    def __init__(self, code: int, details: str, *, subcode: int | None = None) -> None:
        super().__init__(f"({code}) {details}")
        self.code, self.details, self.subcode = code, details, subcode

    @property
    def http_status(self) -> int:
        """The HTTP status Meta answers this code with."""
        return TITLES[self.code][0]


def error_body(error: GraphError) -> dict[str, Any]:
    """The Graph API's error JSON for ``error``."""
    title = TITLES[error.code][1]
    body: dict[str, Any] = {
        "message": f"(#{error.code}) {title}",
        "type": "OAuthException",
        "code": error.code,
        "error_data": {"messaging_product": "whatsapp", "details": error.details},
        "fbtrace_id": secrets.token_urlsafe(16),
    }
    if error.subcode is not None:
        body["error_subcode"] = error.subcode
    return {"error": body}


def webhook_error(code: int, details: str) -> dict[str, Any]:
    """An entry of a failed status's ``errors`` array (the messages webhook reference)."""
    title = TITLES.get(code, (400, "Unknown error"))[1]
    return {"code": code, "title": title, "message": title, "error_data": {"details": details}}
