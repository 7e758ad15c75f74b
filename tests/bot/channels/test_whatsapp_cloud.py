"""The WhatsApp Cloud API client: payload helpers keep Meta's limits, errors surface as
WhatsAppApiError with the right meaning (the server-side rules are in
tests/sandbox/local_servers/test_whatsapp_api.py)."""

from __future__ import annotations

import contextlib
import dataclasses
from collections.abc import AsyncIterator

import pytest
from aiohttp import web

from bot.channels.whatsapp_cloud import (
    NOT_FROM_META,
    WhatsAppApiError,
    WhatsAppCloud,
    buttons_payload,
    list_payload,
    template_payload,
    text_payload,
)
from sandbox.local_servers.http_site import serve
from sandbox.local_servers.whatsapp_api import LocalWhatsAppApi

TO = "31612345678"


@pytest.fixture
async def server() -> AsyncIterator[LocalWhatsAppApi]:
    async with LocalWhatsAppApi() as running:
        running.inbound(TO, "text", {"body": "hallo"})  # opens the window
        running.limiter.limits.pair_interval = 0
        yield running


@pytest.fixture
async def client(server: LocalWhatsAppApi) -> AsyncIterator[WhatsAppCloud]:
    async with WhatsAppCloud(
        token=server.token, phone_number_id=server.phone_number_id, base_url=server.base_url
    ) as cloud:
        yield cloud


@pytest.mark.parametrize(
    ("build", "limit"),
    [
        (lambda: text_payload(TO, "x" * 4097), "text body must be 1 to 4096"),
        (lambda: text_payload(TO, ""), "text body must be 1 to 4096"),
        (lambda: buttons_payload(TO, "b", [(str(i), str(i)) for i in range(4)]), "1 to 3"),
        (lambda: buttons_payload(TO, "b", []), "1 to 3"),
        (lambda: buttons_payload(TO, "b", [("1", "t" * 21)]), "button title must be 1 to 20"),
        (lambda: buttons_payload(TO, "b", [("i" * 257, "t")]), "button id must be 1 to 256"),
        (lambda: buttons_payload(TO, "b", [("1", "Ja"), ("2", "Ja")]), "titles must be unique"),
        (lambda: buttons_payload(TO, "x" * 1025, [("1", "t")]), "interactive body must be 1 to"),
        (lambda: _list([(None, _rows(11))]), "1 to 10 in all sections"),
        (lambda: _list([("a", _rows(6)), ("b", _rows(5, 6))]), "1 to 10 in all sections"),
        (lambda: _list([(None, [("r", "t" * 25, None)])]), "row title must be 1 to 24"),
        (lambda: _list([(None, [("r", "t", "d" * 73)])]), "row description must be 1 to 72"),
        (lambda: _list([(None, [("i" * 201, "t", None)])]), "list row id must be 1 to 200"),
        (lambda: _list([(None, _rows(2)), (None, _rows(2, 2))]), "section titles are required"),
        (lambda: _list([("a", _rows(1)), ("b", [])]), "at least one row"),
        (lambda: _list([(None, [("r", "t", None), ("r", "u", None)])]), "ids must be unique"),
        (lambda: list_payload(TO, "b", "k" * 21, [(None, _rows(1))]), "list button must be"),
        (lambda: template_payload(TO, "t", "nl", quick_replies=["q"] * 11), "at most 10"),
    ],
)
def test_helpers_refuse_what_meta_refuses_naming_the_limit(build, limit: str) -> None:
    with pytest.raises(ValueError, match=limit):
        build()


def _rows(count: int, start: int = 0) -> list[tuple[str, str, str | None]]:
    return [(f"r{i}", f"Rij {i}", None) for i in range(start, start + count)]


def _list(sections) -> dict:  # type: ignore[no-untyped-def]
    return list_payload(TO, "Kies", "Open", sections)


async def test_payloads_at_the_limits_are_accepted_by_the_server(
    client: WhatsAppCloud, server: LocalWhatsAppApi
) -> None:
    await client.send(text_payload(TO, "x" * 4096))
    three = [("i" * 256, "t" * 20), ("2", "u" * 20), ("3", "v" * 20)]
    await client.send(buttons_payload(TO, "b" * 1024, three))
    sections = [("a" * 24, [("i" * 200, "t" * 24, "d" * 72)]), ("b", _rows(9))]
    await client.send(list_payload(TO, "Kies", "k" * 20, sections))
    assert [s.kind for s in server.sent_to(TO)] == [
        "text",
        "interactive_button",
        "interactive_list",
    ]
    assert server.sent_to(TO)[1].options[0] == {"id": "i" * 256, "title": "t" * 20}


async def test_the_request_carries_messaging_product_and_the_bearer_token(
    client: WhatsAppCloud, server: LocalWhatsAppApi
) -> None:
    await client.send(text_payload(TO, "hoi"))
    [sent] = server.sent_to(TO)
    assert sent.payload["messaging_product"] == "whatsapp"
    assert client.url == f"{server.base_url}/v21.0/{server.phone_number_id}/messages"


@pytest.mark.parametrize(
    ("code", "throttled", "outside_window", "permanent", "unreachable"),
    [
        (130429, True, False, False, False),
        (131056, True, False, False, False),
        (131048, True, False, False, False),
        (131047, False, True, False, False),
        (131026, False, False, True, True),
        (131030, False, False, True, True),
        (131051, False, False, True, False),
        (131009, False, False, True, False),
        (100, False, False, True, False),
        (190, False, False, False, False),
        (NOT_FROM_META, False, False, False, False),
    ],
)
def test_error_meaning_by_code(
    code: int, throttled: bool, outside_window: bool, permanent: bool, unreachable: bool
) -> None:
    error = WhatsAppApiError(400, code, None, "t", "d")
    assert not error.unavailable
    assert (
        error.throttled,
        error.outside_window,
        error.permanent,
        error.recipient_unreachable,
    ) == (throttled, outside_window, permanent, unreachable)


def test_error_fields_are_frozen_but_exceptions_still_chain() -> None:
    error = WhatsAppApiError(400, 131047, None, "Re-engagement message", "d")
    with pytest.raises(dataclasses.FrozenInstanceError):
        error.code = 1  # type: ignore[misc]

    def fail() -> None:
        raise error

    # ExitStack assigns __context__ from Python when an exit callback raises during another.
    with pytest.raises(WhatsAppApiError) as caught, contextlib.ExitStack() as stack:
        stack.callback(fail)
        raise KeyError("first")
    assert isinstance(caught.value.__context__, KeyError)
    assert "131047" in str(error)


async def test_a_proxy_error_without_json_is_not_from_meta_with_retry_after() -> None:
    async def gateway(_request: web.Request) -> web.Response:
        return web.Response(status=502, text="Bad Gateway", headers={"Retry-After": "3"})

    app = web.Application()
    app.router.add_post("/{tail:.*}", gateway)
    async with serve(app) as port:
        cloud = WhatsAppCloud(token="t", phone_number_id="1", base_url=f"http://127.0.0.1:{port}")
        async with cloud:
            with pytest.raises(WhatsAppApiError) as caught:
                await cloud.send(text_payload(TO, "hoi"))
    error = caught.value
    assert (error.http_status, error.code, error.retry_after) == (502, NOT_FROM_META, 3.0)
    assert error.unavailable and not error.permanent and not error.throttled


async def test_connection_refused_is_an_error_with_status_0() -> None:
    app = web.Application()
    async with serve(app) as port:
        pass  # the port is free again: nothing listens
    async with WhatsAppCloud(
        token="t", phone_number_id="1", base_url=f"http://127.0.0.1:{port}", timeout=2
    ) as cloud:
        with pytest.raises(WhatsAppApiError) as caught:
            await cloud.send(text_payload(TO, "hoi"))
    assert (caught.value.http_status, caught.value.code) == (0, NOT_FROM_META)
    assert caught.value.unavailable and not caught.value.permanent


async def test_send_before_start_is_refused_and_close_is_idempotent() -> None:
    cloud = WhatsAppCloud(token="t", phone_number_id="1")
    with pytest.raises(RuntimeError, match="start"):
        await cloud.send(text_payload(TO, "hoi"))
    await cloud.close()
    await cloud.close()
