"""HTTP adapter for the purchase intake API and the health check (Starlette routes).

It converts HTTP to plain calls and back; the business logic is injected as callables.
Contract with those callables: a ``ValueError`` carrying an ``errors`` list means the input was
rejected (422), a ``ConnectionError`` means the database is away (503, retry later).
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bot.channels.json_limits import TooDeep, clean_json, loads_shallow, read_limited

log = logging.getLogger(__name__)

IngestFn = Callable[[list[Any]], Awaitable[list[dict[str, Any]]]]
HealthFn = Callable[[], Awaitable[dict[str, str]]]
MAX_BATCH = 1000


def _error(status: int, message: str, **extra: Any) -> JSONResponse:
    headers = {"Retry-After": "5"} if status == 503 else None
    return JSONResponse({"error": message, **extra}, status_code=status, headers=headers)


def _presented_key(request: Request) -> str:
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip()
    return request.headers.get("x-api-key", "")


def _as_batch(payload: Any) -> list[Any]:
    if isinstance(payload, list):
        return payload
    if isinstance(payload, dict) and set(payload) == {"purchases"}:
        if not isinstance(payload["purchases"], list):
            raise TypeError("'purchases' must be a list")
        return payload["purchases"]
    if isinstance(payload, dict):
        return [payload]
    raise TypeError('expected a purchase object, a list of them, or {"purchases": [...]}')


def purchase_routes(
    ingest: IngestFn, health: HealthFn, api_keys: list[str], max_body_bytes: int
) -> list[Route]:
    """The ``POST /api/purchases`` and ``GET /healthz`` routes."""
    keys = [k.encode() for k in api_keys]

    async def post_purchases(request: Request) -> JSONResponse:
        presented = _presented_key(request).encode()
        if not keys or not any(hmac.compare_digest(presented, k) for k in keys):
            log.warning(
                "purchase API: refused a request without a valid API key from %s",
                request.client.host if request.client else "?",
            )
            return _error(401, "unauthorized")
        body = await read_limited(request, max_body_bytes)
        if body is None:
            return _error(413, f"request body over {max_body_bytes} bytes; send smaller batches")
        if not body.strip():
            return _error(400, "empty body: send a purchase as JSON")
        try:
            batch = _as_batch(clean_json(loads_shallow(body)))
        except TooDeep as exc:
            log.warning("purchase API: refused a body (%s)", exc)
            return _error(400, str(exc))
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            log.warning("purchase API: malformed JSON (%s)", exc)
            return _error(400, f"malformed JSON: {exc}")
        except TypeError as exc:
            return _error(400, str(exc))
        if not batch:
            return _error(400, "no purchases in the request")
        if len(batch) > MAX_BATCH:
            return _error(413, f"at most {MAX_BATCH} purchases per request, got {len(batch)}")
        try:
            results = await ingest(batch)
        except ConnectionError:
            return _error(503, "storage unavailable, nothing was stored; retry later")
        except ValueError as exc:
            details = getattr(exc, "errors", None)
            if details is None:
                raise
            return _error(422, "invalid purchases, nothing was stored", details=details)
        status = 201 if any(r["status"] == "created" for r in results) else 200
        return JSONResponse({"results": results}, status_code=status)

    async def healthz(_request: Request) -> JSONResponse:
        try:
            report = await health()
        except ConnectionError:
            return _error(503, "storage unavailable")
        return JSONResponse({"status": "ok", **report})

    return [
        Route("/api/purchases", post_purchases, methods=["POST"]),
        Route("/healthz", healthz, methods=["GET"]),
    ]
