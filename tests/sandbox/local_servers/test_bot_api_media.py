"""Files customers send, on the local Bot API server, fetched by the real python-telegram-bot as
on Telegram: getFile, then the download from ``base_file_url``; over 20 MB "file is too big";
a file Telegram no longer has "invalid file_id"."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram import Bot
from telegram.error import BadRequest

from sandbox.local_servers.bot_api import LocalBotApi
from sandbox.local_servers.bot_api_media import DOWNLOAD_LIMIT

TOKEN = "123456:TEST-token"


@pytest.fixture
async def server() -> AsyncIterator[LocalBotApi]:
    """A started local Bot API server."""
    async with LocalBotApi() as srv:
        yield srv


@pytest.fixture
async def bot(server: LocalBotApi) -> AsyncIterator[Bot]:
    """A real PTB Bot pointed at the local server."""
    async with Bot(TOKEN, base_url=server.base_url, base_file_url=server.base_file_url) as b:
        yield b


async def test_a_customer_s_photo_and_document_are_fetched_with_get_file(
    server: LocalBotApi, bot: Bot
) -> None:
    photo = b"\xff\xd8 a dented door \xff\xd9"
    server.push_photo(5, caption="Look", data=photo)
    server.push_document(5, b"%PDF-1.4 receipt", "receipt.pdf", caption="My receipt")
    first, second = await bot.get_updates()
    assert first.message is not None and second.message is not None
    sizes = first.message.photo
    assert [s.width for s in sizes] == [90, 320, 800] and sizes[-1].file_size == len(photo)
    file = await bot.get_file(sizes[-1].file_id)
    assert bytes(await file.download_as_bytearray()) == photo
    document = second.message.document
    assert document is not None
    assert (document.file_name, document.mime_type, document.file_size) == (
        "receipt.pdf", "application/pdf", 16
    )  # fmt: skip
    file = await bot.get_file(document.file_id)
    assert bytes(await file.download_as_bytearray()) == b"%PDF-1.4 receipt"


async def test_over_twenty_megabytes_or_forgotten_files_cannot_be_fetched(
    server: LocalBotApi, bot: Bot
) -> None:
    server.push_document(5, bytes(DOWNLOAD_LIMIT + 1), "video.mp4", "video/mp4")
    server.push_document(5, bytes(DOWNLOAD_LIMIT), "just.mp4", "video/mp4")
    server.push_photo(5)
    big, fits, photo = await bot.get_updates()
    assert big.message and big.message.document and fits.message and fits.message.document
    with pytest.raises(BadRequest, match=r"(?i)file is too big"):
        await bot.get_file(big.message.document.file_id)
    assert (await bot.get_file(fits.message.document.file_id)).file_size == DOWNLOAD_LIMIT
    assert photo.message is not None
    largest = photo.message.photo[-1].file_id
    server.forget_file(largest)
    with pytest.raises(BadRequest, match=r"(?i)invalid file_id"):
        await bot.get_file(largest)
