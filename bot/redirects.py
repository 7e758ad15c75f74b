"""``GET /r/{code}``: count a click on a tracked link (code and time only) and redirect.

Referral and review links in messages point here, so clicks are counted without anything
personal in the URL beyond the opaque code. Unknown codes get a small friendly 404 page.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import datetime

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from storage.advocacy.asks import AdvocacyQueries

log = logging.getLogger(__name__)

_CODE = re.compile(r"^[A-Za-z0-9]{4,32}$")
# Link-preview fetchers (Telegram, Slack, WhatsApp, ...) open links nobody clicked.
_PREVIEWERS = ("bot", "preview", "facebookexternalhit", "whatsapp", "slack", "embedly")
NOT_FOUND = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Link not found</title>
<meta name="viewport" content="width=device-width, initial-scale=1"></head>
<body style="font-family: sans-serif; max-width: 32em; margin: 4em auto; padding: 0 1em">
<h1>This link doesn't work (any more)</h1>
<p>Sorry! The link may be mistyped, or the person who shared it asked us to remove it.
The shop's own website works as always.</p>
</body></html>
"""


def _counts_as_click(request: Request) -> bool:
    if request.method != "GET":
        return False
    agent = request.headers.get("user-agent", "").lower()
    return not any(p in agent for p in _PREVIEWERS)


def redirect_routes(queries: AdvocacyQueries, clock: Callable[[], datetime]) -> list[Route]:
    """The ``/r/{code}`` route over the advocacy queries."""

    async def follow(request: Request) -> Response:
        """Count the click and redirect, or the friendly 404."""
        code = str(request.path_params.get("code", ""))
        if not _CODE.match(code):
            log.info("tracked link: refused a malformed code")
            return HTMLResponse(NOT_FOUND, status_code=404)
        try:
            link = await queries.find_link(code.lower())
        except ConnectionError:
            return HTMLResponse("Please try again in a minute.", status_code=503)
        if link is None:
            log.info("tracked link: unknown code %s", code[:32])
            return HTMLResponse(NOT_FOUND, status_code=404)
        if _counts_as_click(request):
            try:
                await queries.record_click(link.code, clock())
            except Exception:  # a click we could not count still leads where it should
                log.exception("could not count a click on %s", link.code)
        return RedirectResponse(
            link.target_url,
            status_code=302,
            headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
        )

    return [Route("/r/{code:path}", follow, methods=["GET"])]
