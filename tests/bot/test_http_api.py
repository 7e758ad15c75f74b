"""The purchase API over HTTP: auth, limits, bad input, idempotency, a database that is down."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import httpx
import pytest
from sqlalchemy import func, select

from bot.app import Mentorbot
from bot.config import Config
from storage.models import Purchase
from tests.conftest import API_KEY
from tests.handlers.intake.test_purchases import purchase

AUTH = {"Authorization": f"Bearer {API_KEY}"}


@pytest.fixture
async def client(mentorbot: Mentorbot) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=mentorbot.web_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://bot") as c:
        yield c


async def stored(bot: Mentorbot) -> int:
    async with bot.db.session() as s:
        return (await s.execute(select(func.count()).select_from(Purchase))).scalar_one()


async def test_post_one_purchase_returns_the_opt_in_link(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/purchases", json=purchase(), headers=AUTH)
    assert r.status_code == 201
    (result,) = r.json()["results"]
    assert result["status"] == "created" and "?start=" in result["opt_in_link"]


async def test_batch_and_replay(client: httpx.AsyncClient, mentorbot: Mentorbot) -> None:
    batch = {"purchases": [purchase(f"B-{i}") for i in range(5)]}
    first = await client.post("/api/purchases", json=batch, headers=AUTH)
    replay = await client.post("/api/purchases", json=batch, headers=AUTH)
    assert first.status_code == 201 and replay.status_code == 200
    assert [r["status"] for r in replay.json()["results"]] == ["unchanged"] * 5
    assert await stored(mentorbot) == 5


async def test_api_key_in_x_api_key_header(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/purchases", json=purchase(), headers={"X-API-Key": API_KEY})
    assert r.status_code == 201


@pytest.mark.parametrize(
    "headers", [{}, {"Authorization": "Bearer wrong-key-0123456789"}, {"X-API-Key": API_KEY[:-1]}]
)
async def test_missing_or_wrong_key_is_401_without_detail(
    client: httpx.AsyncClient, mentorbot: Mentorbot, headers: dict
) -> None:
    r = await client.post("/api/purchases", json=purchase(), headers=headers)
    assert r.status_code == 401
    assert r.json() == {"error": "unauthorized"}
    assert await stored(mentorbot) == 0


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        (b"{not json", 400, "malformed JSON"),
        (b"", 400, "empty body"),
        (b"[]", 400, "no purchases"),
        (b"42", 400, "expected a purchase object"),
        (json.dumps({"purchases": "x"}).encode(), 400, "must be a list"),
        (json.dumps(purchase(shoe_size=44)).encode(), 422, "Extra inputs"),
        (json.dumps(purchase(amount=[1])).encode(), 422, "amount"),
        (b"\xff\xfe\x00", 400, "malformed JSON"),
    ],
)
async def test_bad_bodies(
    client: httpx.AsyncClient, mentorbot: Mentorbot, body: bytes, status: int, words: str
) -> None:
    r = await client.post(
        "/api/purchases", content=body, headers={**AUTH, "Content-Type": "application/json"}
    )
    assert r.status_code == status
    assert words in json.dumps(r.json())
    assert await stored(mentorbot) == 0


async def test_a_bad_row_rejects_the_whole_batch(
    client: httpx.AsyncClient, mentorbot: Mentorbot
) -> None:
    r = await client.post(
        "/api/purchases",
        headers=AUTH,
        json=[purchase("OK-1"), purchase("BAD-1", purchased_at="never")],
    )
    assert r.status_code == 422
    assert r.json()["details"][0]["order_id"] == "BAD-1"
    assert await stored(mentorbot) == 0


async def test_huge_body_is_refused(client: httpx.AsyncClient, mentorbot: Mentorbot) -> None:
    big = json.dumps([purchase(f"H-{i}") for i in range(5000)]).encode()
    assert len(big) > 1_000_000
    r = await client.post("/api/purchases", content=big, headers=AUTH)
    assert r.status_code == 413
    assert await stored(mentorbot) == 0


async def test_too_many_purchases_in_one_request(make_config, db_url, mentorbot: Mentorbot) -> None:
    bot = Mentorbot(make_config(web={"max_body_bytes": 10_000_000}), db_schema=db_url[1])
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=bot.web_app()), base_url="http://bot"
    ) as c:
        r = await c.post(
            "/api/purchases", headers=AUTH, json=[purchase(f"M-{i}") for i in range(1001)]
        )
    await bot.close()
    assert r.status_code == 413 and "at most 1000" in r.json()["error"]


async def test_healthz(client: httpx.AsyncClient, mentorbot: Mentorbot) -> None:
    r = await client.get("/healthz")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "database": mentorbot.db.dialect}


async def test_database_down_is_503_with_retry_hint() -> None:
    url = "postgresql://postgres@127.0.0.1:1/test"  # nothing listens on port 1
    config = Config.model_validate({"database": {"url": url}, "api": {"keys": [API_KEY]}})
    try:
        bot = Mentorbot(config)
    except OSError:
        pytest.fail("building the app must not touch the database")
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=bot.web_app()), base_url="http://bot"
    ) as c:
        r = await c.post("/api/purchases", json=purchase(), headers=AUTH)
        health = await c.get("/healthz")
    await bot.close()
    assert r.status_code == 503 and r.headers["Retry-After"] == "5"
    assert "nothing was stored" in r.json()["error"]
    assert health.status_code == 503
