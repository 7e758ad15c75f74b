"""The WhatsApp webhook: signature, handshake, parsing, and ``receive`` behind a real HTTP route
fed by the local WhatsApp server's signed deliveries."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import aiohttp
import pytest
from aiohttp import web

from bot.channels.whatsapp_webhook import (
    MAX_BODY_BYTES,
    WebhookPayloadError,
    handshake,
    parse_delivery,
    receive,
    verify_signature,
)
from sandbox.local_servers.http_site import serve
from sandbox.local_servers.whatsapp_api import LocalWhatsAppApi
from sandbox.local_servers.whatsapp_api_control import WhatsAppControl

SECRET = "the-real-app-secret"
SAMPLE_ID = "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA="

# The text-message example of Meta's "messages webhook reference", as documented.
META_SAMPLE = {
    "object": "whatsapp_business_account",
    "entry": [
        {
            "id": "102290129340398",
            "changes": [
                {
                    "value": {
                        "messaging_product": "whatsapp",
                        "metadata": {
                            "display_phone_number": "15550783881",
                            "phone_number_id": "106540352242922",
                        },
                        "contacts": [
                            {"profile": {"name": "Sheena Nelson"}, "wa_id": "16505551234"}
                        ],
                        "messages": [
                            {
                                "from": "16505551234",
                                "id": SAMPLE_ID,
                                "timestamp": "1749416383",
                                "type": "text",
                                "text": {"body": "Does it come in another color?"},
                            }
                        ],
                    },
                    "field": "messages",
                }
            ],
        }
    ],
}


def signed(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_signature_accepts_only_the_app_secrets_hmac_of_the_raw_body() -> None:
    raw = json.dumps(META_SAMPLE).encode()
    assert verify_signature(SECRET, raw, signed(raw))
    assert verify_signature(SECRET, raw, signed(raw).upper().replace("SHA256=", "sha256="))
    assert not verify_signature(SECRET, raw, signed(raw, "another"))
    assert not verify_signature(SECRET, raw + b"\n", signed(raw))
    assert not verify_signature(SECRET, raw, None)
    assert not verify_signature(SECRET, raw, signed(raw).removeprefix("sha256="))
    assert not verify_signature("", raw, signed(raw, ""))  # no secret configured: nothing passes
    assert not verify_signature(SECRET, raw, "sha256=é" + signed(raw)[8:])


def test_handshake_returns_the_challenge_only_for_subscribe_with_the_token() -> None:
    params = {"hub.mode": "subscribe", "hub.verify_token": "vt", "hub.challenge": "1158201444"}
    assert handshake(params, "vt") == "1158201444"
    assert handshake(params, "other") is None
    assert handshake({**params, "hub.mode": "unsubscribe"}, "vt") is None
    assert handshake({**params, "hub.verify_token": ""}, "") is None


def test_metas_documented_sample_parses() -> None:
    [message], statuses = parse_delivery(json.dumps(META_SAMPLE).encode())
    assert statuses == []
    assert (message.wa_id, message.profile_name, message.kind, message.timestamp) == (
        "16505551234",
        "Sheena Nelson",
        "text",
        1749416383,
    )
    assert message.text == "Does it come in another color?" and message.context_id is None


def _with_message(message: dict) -> bytes:
    body = json.loads(json.dumps(META_SAMPLE))
    body["entry"][0]["changes"][0]["value"]["messages"] = [message]
    return json.dumps(body).encode()


def test_other_kinds_nul_characters_and_other_fields() -> None:
    base = {"from": "31611111111", "id": "wamid.X", "timestamp": "1"}
    [image], _ = parse_delivery(_with_message({**base, "type": "image", "image": {"id": "1"}}))
    assert (image.kind, image.text, image.attachment) == ("media", None, "image")
    [poll], _ = parse_delivery(_with_message({**base, "type": "unsupported", "unsupported": {}}))
    assert (poll.kind, poll.text, poll.attachment) == ("other", None, None)
    [text], _ = parse_delivery(
        _with_message({**base, "type": "text", "text": {"body": "a\u0000b"}})
    )
    assert text.text == "ab" and text.profile_name is None  # no contact for this number
    change = {"field": "account_update", "value": {}}
    other_field = {"object": "whatsapp_business_account", "entry": [{"changes": [change]}]}
    assert parse_delivery(json.dumps(other_field).encode()) == ([], [])


@pytest.mark.parametrize(
    ("message", "kind", "text", "attachment"),
    [
        ({"type": "image", "image": {"id": "1", "caption": "De deur is kapot"}}, "media",
         "De deur is kapot", "image"),
        ({"type": "document", "document": {"id": "2", "caption": "bon.pdf", "filename": "b"}},
         "media", "bon.pdf", "document"),
        ({"type": "video", "video": {"id": "3"}}, "media", None, "video"),
        ({"type": "audio", "audio": {"id": "4", "voice": True}}, "media", None, "audio"),
        ({"type": "sticker", "sticker": {"id": "5", "animated": False}}, "media", None, "sticker"),
        ({"type": "location", "location": {"latitude": 52.1, "longitude": 5.1}}, "media", None,
         "location"),
        ({"type": "contacts", "contacts": [{"name": {"formatted_name": "A"}}]}, "media", None,
         "contacts"),
        ({"type": "image", "image": "not an object"}, "media", None, "image"),
        ({"type": "image", "image": {"id": "6", "caption": 7}}, "media", None, "image"),
        ({"type": "reaction", "reaction": {"message_id": "wamid.Y", "emoji": "👍"}}, "reaction",
         None, None),
    ],
)  # fmt: skip
def test_media_keep_their_caption_as_words_and_reactions_are_named(
    message: dict, kind: str, text: str | None, attachment: str | None
) -> None:
    base = {"from": "31611111111", "id": "wamid.X", "timestamp": "1"}
    [parsed], _ = parse_delivery(_with_message({**base, **message}))
    assert (parsed.kind, parsed.text, parsed.attachment) == (kind, text, attachment)


@pytest.mark.parametrize(
    "raw",
    [
        b"not json",
        b"\xff\xfe",
        b"[]",
        json.dumps({"object": "page", "entry": []}).encode(),
        json.dumps({"object": "whatsapp_business_account", "entry": {}}).encode(),
        _with_message({"from": "31611111111", "timestamp": "1", "type": "text", "text": {}}),
        _with_message(
            {
                "from": "3161",
                "id": "w",
                "timestamp": "yesterday",
                "type": "text",
                "text": {"body": "x"},
            }
        ),
        _with_message(
            {
                "from": "3161",
                "id": "w",
                "timestamp": "1",
                "type": "interactive",
                "interactive": {"type": "button_reply", "button_reply": "yes"},
            }
        ),
        b'{"object": "whatsapp_business_account", "entry": ' + b"[" * 100 + b"]" * 100 + b"}",
        b'{"object": "whatsapp_business_account", "pad": "' + b"x" * MAX_BODY_BYTES + b'"}',
    ],
    ids=["text", "utf8", "array", "page", "entry", "no-id", "timestamp", "reply", "deep", "huge"],
)
def test_malformed_huge_or_deep_bodies_are_webhook_payload_errors(raw: bytes) -> None:
    with pytest.raises(WebhookPayloadError):
        parse_delivery(raw)


def test_an_unknown_status_is_skipped_and_the_message_beside_it_kept() -> None:
    body = json.loads(json.dumps(META_SAMPLE))
    value = body["entry"][0]["changes"][0]["value"]
    value["statuses"] = [{"id": "wamid.A", "status": "deleted", "timestamp": "1",
                          "recipient_id": "3161"}]  # fmt: skip
    [message], statuses = parse_delivery(json.dumps(body).encode())
    assert message.message_id == SAMPLE_ID and statuses == []


@dataclass
class Endpoint:
    """The bot's webhook route in miniature: ``receive`` with a store that can be down."""

    url: str = ""
    stored: list[bytes] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)
    down: int = 0  # how many stores fail next

    async def store(self, raw: bytes) -> None:
        if self.down:
            self.down -= 1
            raise ConnectionError("database away")
        self.stored.append(raw)

    async def verification(self, request: web.Request) -> web.Response:
        challenge = handshake(request.query, "the-verify-token")
        return web.Response(status=403) if challenge is None else web.Response(text=challenge)

    async def handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        status = await receive(raw, request.headers.get("X-Hub-Signature-256"), SECRET, self.store)
        self.answers.append(status)
        return web.Response(status=status)


@pytest.fixture
async def endpoint() -> AsyncIterator[Endpoint]:
    found = Endpoint()
    app = web.Application()
    app.router.add_post("/whatsapp/webhook", found.handle)
    app.router.add_get("/whatsapp/webhook", found.verification)
    async with serve(app) as port:
        found.url = f"http://127.0.0.1:{port}/whatsapp/webhook"
        yield found


async def test_signed_deliveries_are_stored_and_answered_200(endpoint: Endpoint) -> None:
    async with LocalWhatsAppApi(app_secret=SECRET, webhook_url=endpoint.url) as server:
        wamid = server.customer_text("31612345678", "hallo")
        await server.webhooks.drain()
    assert endpoint.answers == [200]
    [raw] = endpoint.stored
    assert parse_delivery(raw)[0][0].message_id == wamid


async def test_a_second_person_cannot_forge_a_delivery(endpoint: Endpoint) -> None:
    """Someone who knows the URL signs with their own secret: 401, nothing stored."""
    async with LocalWhatsAppApi(app_secret="forger-secret", webhook_url=endpoint.url) as forger:
        forger.webhooks.attempts = 1
        forger.customer_text("31612345678", "STOP")
        await forger.webhooks.drain()
    async with aiohttp.ClientSession() as session:
        raw = json.dumps(META_SAMPLE).encode()
        async with session.post(endpoint.url, data=raw) as unsigned:
            assert unsigned.status == 401
    assert endpoint.answers == [401, 401]
    assert endpoint.stored == []


async def test_a_malformed_signed_body_is_400_and_not_stored(endpoint: Endpoint) -> None:
    raw = b'{"object": "whatsapp_business_account", "entry": "nope"}'
    async with aiohttp.ClientSession() as session:
        headers = {"X-Hub-Signature-256": signed(raw)}
        async with session.post(endpoint.url, data=raw, headers=headers) as answer:
            assert answer.status == 400
    assert endpoint.stored == []


async def test_an_oversized_body_is_413_before_any_hashing(endpoint: Endpoint) -> None:
    raw = b'{"object": "whatsapp_business_account", "pad": "' + b"x" * MAX_BODY_BYTES + b'"}'
    status = await receive(raw, signed(raw), SECRET, endpoint.store)
    assert status == 413 and endpoint.stored == []


async def test_store_down_is_503_and_metas_retry_stores_it_once(endpoint: Endpoint) -> None:
    endpoint.down = 1
    async with LocalWhatsAppApi(app_secret=SECRET, webhook_url=endpoint.url) as server:
        server.webhooks.retry_delay = 0.01
        wamid = server.customer_text("31612345678", "hallo")
        await server.webhooks.drain()
    assert endpoint.answers == [503, 200]
    assert [parse_delivery(raw)[0][0].message_id for raw in endpoint.stored] == [wamid]


async def test_metas_verification_request_subscribes_only_with_the_verify_token(
    endpoint: Endpoint,
) -> None:
    async with LocalWhatsAppApi(app_secret=SECRET, control=True) as server:
        async with WhatsAppControl(server.base_url) as control:
            with pytest.raises(aiohttp.ClientResponseError) as caught:
                await control.set_webhook(url=endpoint.url, verify_token="guessed")
            assert caught.value.status == 409 and server.webhooks.url is None
            await control.set_webhook(url=endpoint.url, verify_token="the-verify-token")
        assert server.webhooks.url == endpoint.url
        server.customer_text("31612345678", "hallo")
        await server.webhooks.drain()
    assert endpoint.answers == [200] and len(endpoint.stored) == 1


@pytest.mark.parametrize(
    ("content", "media"),
    [
        ({"type": "image", "image": {"id": "1", "mime_type": "image/jpeg", "sha256": "x"}},
         {"id": "1", "mime_type": "image/jpeg"}),
        ({"type": "document", "document": {"id": "2", "filename": "bon.pdf"}},
         {"id": "2", "filename": "bon.pdf"}),
        ({"type": "sticker", "sticker": {"id": "5", "mime_type": "image/webp"}}, None),
        ({"type": "image", "image": {"mime_type": "image/jpeg"}}, None),
        ({"type": "video", "video": {"id": 3}}, None),
    ],
)  # fmt: skip
def test_a_file_is_named_by_its_media_id_a_sticker_is_not(
    content: dict, media: dict | None
) -> None:
    """The media id (with MIME type and file name when given) names a file the bot may fetch;
    a sticker, or a media object without a usable id, names none."""
    base = {"from": "31611111111", "id": "wamid.X", "timestamp": "1"}
    [parsed], _ = parse_delivery(_with_message({**base, **content}))
    assert parsed.media == media
