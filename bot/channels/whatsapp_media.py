"""Media a WhatsApp customer sent, fetched as Meta's Cloud API documents it.

Two steps, both with the bearer token: ``GET /{version}/{media-id}`` answers the media's
``url``, ``mime_type``, ``sha256`` and ``file_size``; a ``GET`` of that ``url`` answers the bytes.
The URL lasts five minutes, so it is asked for again each time. Media ids in webhooks expire
after seven days: Meta then answers the first step with an error, which
:class:`~bot.channels.whatsapp_adapter.WhatsAppChannel` reads as "no longer there".
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from urllib.parse import quote

import aiohttp

from bot.channels.whatsapp_cloud import (
    NOT_FROM_META,
    WhatsAppApiError,
    WhatsAppCloud,
    error_from_response,
    unreachable,
)

# The session's 10 s in all would cut off a large file on a slow link: a download may take as
# long as it keeps arriving (no 30 s without a byte), within two minutes.
DOWNLOAD_TIMEOUT = aiohttp.ClientTimeout(total=120, sock_connect=10, sock_read=30)


class MediaTooBig(Exception):
    """The media is larger than the caller may take (``size`` bytes, when Meta said)."""

    def __init__(self, size: int | None) -> None:
        super().__init__(f"{size} bytes" if size is not None else "too big")
        self.size = size


@dataclass(frozen=True)
class MediaInfo:
    """What Meta says of a media id."""

    url: str
    mime_type: str | None
    sha256: str | None
    file_size: int | None


async def media_info(cloud: WhatsAppCloud, media_id: str) -> MediaInfo:
    """The first step: the media's download URL and what it is. Raises WhatsAppApiError."""
    body = await cloud.graph_json("GET", f"{cloud.graph_url}/{quote(media_id, safe='')}")
    if not isinstance(body.get("url"), str):
        raise error_from_response(200, body, None)
    size = body.get("file_size")
    return MediaInfo(
        url=body["url"],
        mime_type=body.get("mime_type") if isinstance(body.get("mime_type"), str) else None,
        sha256=body.get("sha256") if isinstance(body.get("sha256"), str) else None,
        file_size=int(size) if isinstance(size, int | str) and str(size).isdigit() else None,
    )


async def fetch_media(cloud: WhatsAppCloud, media_id: str, max_bytes: int) -> bytes:
    """The bytes of a customer's media, at most ``max_bytes`` (else :class:`MediaTooBig`).
    Raises WhatsAppApiError when Meta refuses or cannot be reached (a download that does not
    match its ``sha256`` is one too: it may work on the next try)."""
    info = await media_info(cloud, media_id)
    if info.file_size is not None and info.file_size > max_bytes:
        raise MediaTooBig(info.file_size)
    try:
        async with cloud.http.get(info.url, timeout=DOWNLOAD_TIMEOUT) as response:
            status = response.status
            data = await _body_up_to(response, max_bytes + 1)
    except (aiohttp.ClientError, TimeoutError) as exc:
        raise unreachable(exc) from exc
    if status != 200:
        raise WhatsAppApiError(status, NOT_FROM_META, None, f"HTTP {status}", "media download")
    if len(data) > max_bytes:
        raise MediaTooBig(None)
    if info.sha256 and hashlib.sha256(data).hexdigest() != info.sha256.lower():
        raise WhatsAppApiError(0, NOT_FROM_META, None, "sha256 mismatch", "media download")
    return data


async def _body_up_to(response: aiohttp.ClientResponse, limit: int) -> bytes:
    """The response body, read until its end or until ``limit`` bytes (one read of the stream
    answers only what has arrived so far, so a large file takes many)."""
    body = bytearray()
    async for chunk in response.content.iter_chunked(64 * 1024):
        body += chunk
        if len(body) >= limit:
            del body[limit:]
            break
    return bytes(body)
