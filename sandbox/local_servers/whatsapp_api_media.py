"""Media customers send on the local WhatsApp server, and how the business fetches them.

As Meta's Cloud API documents its media endpoints (developers.facebook.com, WhatsApp "Media"
and the Media Download API reference): a media message's webhook names the file by ``id``
(with ``mime_type``, ``sha256``, and ``filename`` for a document); ``GET /{version}/{media-id}``
with the bearer token answers ``messaging_product``, ``url``, ``mime_type``, ``sha256``,
``file_size`` and ``id``; a ``GET`` of that ``url``, again with the bearer token, answers the
bytes. The URL expires after five minutes (then 404: ask for a new one). Media ids in webhooks
expire after seven days: ``forget_media`` stands for that, and the id is then Graph's
400/100 with subcode 33, as for any object that does not exist. A wrong token is 401/190.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web

from sandbox.local_servers.whatsapp_api_errors import GraphError, error_body

URL_LIFETIME = 300.0
"""Seconds a media download URL stays valid."""
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 4 + b"\xff\xd9"
"""A photo's bytes when a test does not give its own."""


@dataclass
class Media:
    """A file a customer sent, with its bytes."""

    id: str
    data: bytes
    mime_type: str
    filename: str | None = None

    def info(self, url: str) -> dict[str, Any]:
        """``GET /{version}/{media-id}``'s answer."""
        return {"messaging_product": "whatsapp", "url": url, "mime_type": self.mime_type,
                "sha256": hashlib.sha256(self.data).hexdigest(), "file_size": len(self.data),
                "id": self.id}  # fmt: skip

    def webhook(self) -> dict[str, Any]:
        """The media object in the message's webhook."""
        digest = base64.b64encode(hashlib.sha256(self.data).digest()).decode()
        content = {"id": self.id, "mime_type": self.mime_type, "sha256": digest}
        if self.filename:
            content["filename"] = self.filename
        return content


class CustomerMediaStore:
    """Mixin of :class:`~sandbox.local_servers.whatsapp_api.LocalWhatsAppApi`."""

    token: str
    media: dict[str, Media]
    _media_urls: dict[str, tuple[str, float]]

    if TYPE_CHECKING:  # provided by the server and its state, later in the MRO

        def now(self) -> float: ...

        @property
        def base_url(self) -> str: ...

    def add_media(
        self, data: bytes = JPEG, mime_type: str = "image/jpeg", filename: str | None = None
    ) -> Media:
        """A file a customer sends, kept so that its id can be fetched."""
        media = Media(str(10**15 + secrets.randbelow(10**15)), data, mime_type, filename)
        self.media[media.id] = media
        return media

    def forget_media(self, media_id: str) -> None:
        """The media id expired (webhook media ids last seven days)."""
        self.media.pop(media_id, None)

    def add_media_routes(self, app: web.Application) -> None:
        """Mount the media routes on the server's app."""
        app.router.add_get("/media/download/{ticket}", self._media_download)
        app.router.add_get("/{version}/{media_id}", self._media_info)

    def _authorized(self, request: web.Request) -> None:
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            raise GraphError(190, "Error validating access token: the token is not valid")

    async def _media_info(self, request: web.Request) -> web.Response:
        try:
            self._authorized(request)
            media = self.media.get(request.match_info["media_id"])
            if media is None:
                raise GraphError(100, f"Unsupported get request. Object with ID "
                                      f"'{request.match_info['media_id']}' does not exist",
                                 subcode=33)  # fmt: skip
        except GraphError as error:
            return web.json_response(error_body(error), status=error.http_status)
        ticket = secrets.token_urlsafe(12)
        self._media_urls[ticket] = (media.id, self.now() + URL_LIFETIME)
        return web.json_response(media.info(f"{self.base_url}/media/download/{ticket}"))

    async def _media_download(self, request: web.Request) -> web.Response:
        try:
            self._authorized(request)
        except GraphError as error:
            return web.json_response(error_body(error), status=error.http_status)
        media_id, expires = self._media_urls.get(request.match_info["ticket"], ("", 0.0))
        media = self.media.get(media_id)
        if media is None or self.now() > expires:
            return web.Response(status=404, text="URL expired or unknown")
        return web.Response(body=media.data, content_type=media.mime_type)
