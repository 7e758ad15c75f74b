"""A thin client of Meta's WhatsApp Business Cloud API (the Graph API's messages endpoint).

pywa 4.5.0 was the first choice; its ``GraphAPI`` sets ``session.base_url`` to
``https://graph.facebook.com/v{version}`` whatever session it is given, so it cannot be pointed at
a local server through a public parameter. This client is ``POST /{version}/{phone_number_id}/
messages`` with a bearer token, on aiohttp (a dependency; a fifth of httpx's CPU per send in
``benchmarks/whatsapp_send.py``).

Payload helpers check Meta's limits before anything is sent (the pages they were read from
are named in ``sandbox/local_servers/whatsapp_api_rules.py``, which enforces the same): at most
3 reply buttons, titles up to 20 characters, button ids up to 256; at most 10 list rows in all,
row titles up to 24, row descriptions up to 72, row ids up to 200; interactive bodies up to
1024 characters, text bodies up to 4096.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import FrozenInstanceError, dataclass, fields
from typing import Any

import aiohttp

__all__ = ["NOT_FROM_META", "WhatsAppApiError", "WhatsAppCloud", "buttons_payload"]
__all__ += ["list_payload", "template_payload", "text_payload"]

# Meta's error codes (developers.facebook.com/documentation/business-messaging/whatsapp/support/
# error-codes): what waiting fixes, what only a template fixes, what nothing fixes.
_THROTTLED = frozenset({4, 80007, 130429, 131048, 131056})
_OUTSIDE_WINDOW = 131047
_PERMANENT = frozenset({100, 131008, 131009, 131021, 131026, 131030, 131051})
# Of those, the ones about the recipient (not about our request): 131021 recipient is the
# sender, 131026 message undeliverable, 131030 recipient not in the allowed list.
_UNREACHABLE = frozenset({131021, 131026, 131030})
NOT_FROM_META = -1  # ``code`` of an error raised before Meta answered (connection, non-JSON)
_SERVICE_DOWN = frozenset({1, 2})  # API Unknown, API Service (temporary downtime or overload)


@dataclass(frozen=True, eq=False)
class WhatsAppApiError(Exception):
    """A refused Graph API call: Meta's ``error.code``, ``error_subcode``, the title (``message``
    without its ``(#code)`` prefix) and ``error_data.details``."""

    http_status: int
    code: int
    subcode: int | None
    title: str
    detail: str
    retry_after: float | None = None

    def __str__(self) -> str:
        return f"WhatsApp API error {self.code} ({self.http_status}): {self.title}: {self.detail}"

    @property
    def throttled(self) -> bool:
        """Too fast: the number's throughput, the pair rate, spam or call-rate limits."""
        return self.code in _THROTTLED

    @property
    def outside_window(self) -> bool:
        """131047 re-engagement: the 24-hour window is closed, only a template may be sent."""
        return self.code == _OUTSIDE_WINDOW

    @property
    def permanent(self) -> bool:
        """The recipient or the request cannot succeed as it is; retrying will not help."""
        return self.code in _PERMANENT

    @property
    def unavailable(self) -> bool:
        """Meta, or the way there, is down: no answer (``http_status`` 0), a 5xx, or codes 1/2;
        the same request may succeed later."""
        return self.http_status == 0 or self.http_status >= 500 or self.code in _SERVICE_DOWN

    @property
    def recipient_unreachable(self) -> bool:
        """The recipient cannot be reached on WhatsApp (a permanent error about the person,
        not about the request: 131026, 131030, 131021); a malformed request is not this."""
        return self.code in _UNREACHABLE


def _frozen_fields_only(self: WhatsAppApiError, name: str, value: Any) -> None:
    # The interpreter's own exception slots (__context__, __traceback__ ...) stay writable:
    # contextlib assigns __context__ from Python code when exceptions chain.
    if name in _FIELD_NAMES:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")
    object.__setattr__(self, name, value)


_FIELD_NAMES = frozenset(f.name for f in fields(WhatsAppApiError))
WhatsAppApiError.__setattr__ = _frozen_fields_only  # type: ignore[method-assign,assignment]


def error_from_response(status: int, body: Any, retry_after: str | None) -> WhatsAppApiError:
    """The :class:`WhatsAppApiError` for a non-2xx answer (``body`` parsed JSON, or None)."""
    wait = _seconds(retry_after)
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict) or not isinstance(error.get("code"), int):
        return WhatsAppApiError(
            status, NOT_FROM_META, None, f"HTTP {status}", str(body)[:300], wait
        )
    message = str(error.get("message", ""))
    title = message.split(") ", 1)[1] if message.startswith("(#") and ") " in message else message
    data = error.get("error_data")
    detail = str(data.get("details", message)) if isinstance(data, dict) else message
    subcode = error.get("error_subcode")
    return WhatsAppApiError(
        status, error["code"], subcode if isinstance(subcode, int) else None, title, detail, wait
    )


def _seconds(header: str | None) -> float | None:
    try:
        return float(header) if header is not None else None
    except ValueError:
        return None


def unreachable(exc: BaseException) -> WhatsAppApiError:
    """The error for a request Meta did not answer (refused, reset, timed out)."""
    detail = str(exc) or type(exc).__name__
    return WhatsAppApiError(0, NOT_FROM_META, None, type(exc).__name__, detail)


class WhatsAppCloud:
    """Meta's WhatsApp Business Cloud API: POST /{version}/{phone_number_id}/messages."""

    def __init__(
        self,
        *,
        token: str,
        phone_number_id: str,
        base_url: str = "https://graph.facebook.com",
        api_version: str = "v21.0",
        timeout: float = 10.0,
    ) -> None:
        self.phone_number_id = phone_number_id
        self.graph_url = f"{base_url.rstrip('/')}/{api_version}"
        """The Graph API's root for this version (media are read under it)."""
        self.url = f"{self.graph_url}/{phone_number_id}/messages"
        self._token = token
        self._timeout = timeout
        self._http: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        """Open the HTTP connection pool (nothing connects before this)."""
        if self._http is None:
            self._http = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self._timeout),
                headers={"Authorization": f"Bearer {self._token}"},
            )

    @property
    def http(self) -> aiohttp.ClientSession:
        """The started connection pool, which sends the bearer token with every request."""
        if self._http is None:
            raise RuntimeError("WhatsAppCloud.start() was not called")
        return self._http

    async def close(self) -> None:
        """Close the connection pool; safe to call twice."""
        http, self._http = self._http, None
        if http is not None:
            await http.close()

    async def __aenter__(self) -> WhatsAppCloud:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def graph_json(self, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
        """One Graph API call whose answer is a JSON object (aiohttp's ``request`` arguments
        in ``kwargs``). Raises WhatsAppApiError for anything else, and when Meta was not
        reached."""
        try:
            async with self.http.request(method, url, **kwargs) as response:
                status, raw = response.status, await response.read()
                retry_after = response.headers.get("Retry-After")
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise unreachable(exc) from exc
        try:
            parsed = json.loads(raw)
        except ValueError:  # UnicodeDecodeError too
            parsed = None
        if status != 200 or not isinstance(parsed, dict):
            raise error_from_response(
                status,
                parsed if parsed is not None else raw[:300].decode("utf-8", "replace"),
                retry_after,
            )
        return parsed

    async def _post(self, body: Mapping[str, Any]) -> dict[str, Any]:
        return await self.graph_json("POST", self.url, json=body)

    async def send(self, payload: Mapping[str, Any]) -> str:
        """Send one message payload (the Graph API's JSON without messaging_product, which the
        client adds): returns the message id (wamid). Raises WhatsAppApiError."""
        answer = await self._post({"messaging_product": "whatsapp", **payload})
        try:
            return str(answer["messages"][0]["id"])
        except (KeyError, IndexError, TypeError):
            raise WhatsAppApiError(200, NOT_FROM_META, None, "no message id", str(answer)) from None

    async def mark_read(self, message_id: str) -> None:
        """Mark a customer's message read (blue ticks). Raises WhatsAppApiError."""
        await self._post(
            {"messaging_product": "whatsapp", "status": "read", "message_id": message_id}
        )


# ---------------------------------------------------------------------- payload helpers
def _check(value: str, what: str, limit: int) -> str:
    if not value or len(value) > limit:
        raise ValueError(f"{what} must be 1 to {limit} characters, got {len(value)}: {value!r}")
    return value


def _unique(values: Sequence[str], what: str) -> None:
    if len(set(values)) != len(values):
        raise ValueError(f"{what} must be unique within a message: {list(values)}")


def _message(to: str, kind: str, content: dict[str, Any]) -> dict[str, Any]:
    return {"recipient_type": "individual", "to": to, "type": kind, kind: content}


def _interactive(to: str, kind: str, body: str, action: dict[str, Any]) -> dict[str, Any]:
    content = {"type": kind, "body": {"text": _check(body, "interactive body", 1024)}}
    return _message(to, "interactive", {**content, "action": action})


def text_payload(to: str, body: str, *, preview_url: bool = False) -> dict[str, Any]:
    """A text message (body up to 4096 characters)."""
    return _message(
        to, "text", {"body": _check(body, "text body", 4096), "preview_url": preview_url}
    )


def buttons_payload(to: str, body: str, buttons: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """Interactive reply buttons: 1-3 ``(id, title)``, ids <= 256, titles <= 20 characters."""
    if not 1 <= len(buttons) <= 3:
        raise ValueError(f"reply buttons: 1 to 3 per message, got {len(buttons)}")
    _unique([b[0] for b in buttons], "button ids")
    _unique([b[1] for b in buttons], "button titles")
    replies = [
        {"id": _check(bid, "button id", 256), "title": _check(title, "button title", 20)}
        for bid, title in buttons
    ]
    action = {"buttons": [{"type": "reply", "reply": reply} for reply in replies]}
    return _interactive(to, "button", body, action)


def list_payload(
    to: str,
    body: str,
    button: str,
    sections: Sequence[tuple[str | None, Sequence[tuple[str, str, str | None]]]],
) -> dict[str, Any]:
    """An interactive list: ``sections`` of ``(title, [(row id, row title, description)])``;
    1-10 rows in all, row ids <= 200, row titles <= 24, descriptions <= 72, section titles
    <= 24 (required when there is more than one section), the list button <= 20 characters."""
    rows = [row for _, section_rows in sections for row in section_rows]
    if not sections or not 1 <= len(rows) <= 10:
        raise ValueError(f"list rows: 1 to 10 in all sections together, got {len(rows)}")
    _unique([r[0] for r in rows], "list row ids")
    built = []
    for title, section_rows in sections:
        if not section_rows:
            raise ValueError("every list section needs at least one row")
        section: dict[str, Any] = {"rows": []}
        if title is not None:
            section["title"] = _check(title, "section title", 24)
        elif len(sections) > 1:
            raise ValueError("section titles are required when a list has more than one section")
        for rid, rtitle, description in section_rows:
            row = {"id": _check(rid, "list row id", 200), "title": _check(rtitle, "row title", 24)}
            if description:
                row["description"] = _check(description, "row description", 72)
            section["rows"].append(row)
        built.append(section)
    action = {"button": _check(button, "list button", 20), "sections": built}
    return _interactive(to, "list", body, action)


def template_payload(
    to: str,
    name: str,
    language: str,
    params: Sequence[str] = (),
    quick_replies: Sequence[str] = (),
) -> dict[str, Any]:
    """A template message: body ``params`` fill {{1}}, {{2}} ... in order; ``quick_replies``
    are the payloads of the template's quick-reply buttons, by index (at most 10)."""
    if len(quick_replies) > 10:
        raise ValueError(f"template quick replies: at most 10, got {len(quick_replies)}")
    components: list[dict[str, Any]] = []
    if params:
        components.append(
            {"type": "body", "parameters": [{"type": "text", "text": str(p)} for p in params]}
        )
    for index, payload in enumerate(quick_replies):
        components.append(
            {
                "type": "button",
                "sub_type": "quick_reply",
                "index": str(index),
                "parameters": [{"type": "payload", "payload": _check(payload, "payload", 256)}],
            }
        )
    template: dict[str, Any] = {"name": _check(name, "template name", 512)}
    template["language"] = {"code": _check(language, "template language", 15)}
    if components:
        template["components"] = components
    return _message(to, "template", template)
