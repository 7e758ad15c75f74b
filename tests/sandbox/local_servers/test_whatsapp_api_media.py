"""Media on the local WhatsApp Cloud API, fetched by the bot's own client as Meta documents it:
the media id's URL (with url, mime_type, sha256, file_size), then the bytes with the bearer
token; the URL expires after five minutes, an expired media id is 400/100, a wrong token
401/190, and a file over the caller's limit is not downloaded."""

from __future__ import annotations

import hashlib

import pytest

from bot.channels.whatsapp_cloud import WhatsAppApiError, WhatsAppCloud
from bot.channels.whatsapp_media import MediaTooBig, fetch_media, media_info
from sandbox.local_servers.whatsapp_api import LocalWhatsAppApi
from sandbox.local_servers.whatsapp_api_media import URL_LIFETIME

DATA = b"%PDF-1.4 a receipt"


async def test_a_media_id_answers_its_url_and_the_url_its_bytes(
    server: LocalWhatsAppApi, client: WhatsAppCloud
) -> None:
    media = server.add_media(DATA, "application/pdf", "bon.pdf")
    info = await media_info(client, media.id)
    assert (info.mime_type, info.file_size) == ("application/pdf", len(DATA))
    assert info.sha256 == hashlib.sha256(DATA).hexdigest()
    assert await fetch_media(client, media.id, 1024) == DATA
    with pytest.raises(MediaTooBig) as big:
        await fetch_media(client, media.id, len(DATA) - 1)
    assert big.value.size == len(DATA)


async def test_the_url_expires_and_so_does_the_media_id(
    server: LocalWhatsAppApi, client: WhatsAppCloud
) -> None:
    media = server.add_media(DATA, "application/pdf")
    info = await media_info(client, media.id)
    server.advance(URL_LIFETIME + 1)
    async with client.http.get(info.url) as response:
        assert response.status == 404  # ask for a new URL
    assert await fetch_media(client, media.id, 1024) == DATA  # a new URL works
    server.forget_media(media.id)
    with pytest.raises(WhatsAppApiError) as gone:
        await media_info(client, media.id)
    assert (gone.value.http_status, gone.value.code, gone.value.subcode) == (400, 100, 33)


async def test_a_wrong_token_gets_neither_the_url_nor_the_bytes(
    server: LocalWhatsAppApi, client: WhatsAppCloud
) -> None:
    media = server.add_media(DATA, "application/pdf")
    info = await media_info(client, media.id)
    async with WhatsAppCloud(token="stolen", phone_number_id=server.phone_number_id,
                             base_url=server.base_url) as thief:  # fmt: skip
        with pytest.raises(WhatsAppApiError) as refused:
            await media_info(thief, media.id)
        assert (refused.value.http_status, refused.value.code) == (401, 190)
        async with thief.http.get(info.url) as response:
            assert response.status == 401


async def test_a_media_larger_than_one_network_read_comes_whole(
    server: LocalWhatsAppApi, client: WhatsAppCloud
) -> None:
    photo = bytes(range(256)) * (12 * 1024)  # 3 MB: many reads of the response body
    media = server.add_media(photo, "image/jpeg")
    assert await fetch_media(client, media.id, 5 * 1024 * 1024) == photo
    with pytest.raises(MediaTooBig):
        await fetch_media(client, media.id, len(photo) - 1)
