"""``GET /r/{code}`` on the bot's web server: counts clicks (code and time only) and redirects;
unknown or malformed codes get a friendly 404."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import select

from bot.advocacy_wiring import advocacy_of, install_advocacy
from bot.app import Mentorbot
from bot.assembly import Assembly, Plugs
from handlers.events import EventBus
from storage.models import LinkClick

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)


@pytest.fixture
async def client(mentorbot: Mentorbot) -> AsyncIterator[httpx.AsyncClient]:
    mentorbot.clock = lambda: NOW
    transport = httpx.ASGITransport(app=mentorbot.web_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://bot") as c:
        yield c


async def make_link(bot: Mentorbot, target: str, code: str = "abcd2345") -> str:
    adv = advocacy_of(bot)
    assert adv is not None
    link = await adv.queries.create_link("review", lambda _c: target, lambda: code, platform="G")
    return link.code


async def clicks(bot: Mentorbot) -> list[LinkClick]:
    async with bot.db.session() as s:
        return list((await s.execute(select(LinkClick))).scalars().all())


async def test_a_click_is_counted_and_redirected(
    client: httpx.AsyncClient, mentorbot: Mentorbot
) -> None:
    code = await make_link(mentorbot, "https://reviews.example/shop?lang=en")
    for _ in range(3):
        r = await client.get(f"/r/{code}")
        assert r.status_code == 302
        assert r.headers["location"] == "https://reviews.example/shop?lang=en"
        assert r.headers["cache-control"] == "no-store"
    rows = await clicks(mentorbot)
    assert [(c.code, c.at) for c in rows] == [(code, NOW)] * 3
    assert set(LinkClick.model_fields) == {"id", "code", "at"}  # nothing about the person
    adv = advocacy_of(mentorbot)
    assert adv is not None and await adv.queries.click_count(code) == 3


async def test_codes_are_matched_without_regard_to_case(
    client: httpx.AsyncClient, mentorbot: Mentorbot
) -> None:
    code = await make_link(mentorbot, "https://reviews.example/x")
    r = await client.get(f"/r/{code.upper()}")
    assert r.status_code == 302 and len(await clicks(mentorbot)) == 1


async def test_link_previews_and_head_requests_redirect_without_counting(
    client: httpx.AsyncClient, mentorbot: Mentorbot
) -> None:
    code = await make_link(mentorbot, "https://reviews.example/x")
    preview = await client.get(
        f"/r/{code}", headers={"User-Agent": "TelegramBot (like TwitterBot)"}
    )
    head = await client.head(f"/r/{code}")
    assert preview.status_code == 302 and head.status_code == 302
    assert await clicks(mentorbot) == []


@pytest.mark.parametrize(
    "path",
    ["/r/zzzz9999", "/r/abc", "/r/" + "a" * 33, "/r/abcd-2345", "/r/%00%01abcd", "/r/ab%2Fcd12"],
)
async def test_unknown_or_malformed_codes_get_a_friendly_404(
    client: httpx.AsyncClient, mentorbot: Mentorbot, path: str
) -> None:
    await make_link(mentorbot, "https://reviews.example/x")
    r = await client.get(path)
    assert r.status_code == 404
    assert "This link doesn't work" in r.text and r.headers["content-type"].startswith("text/html")
    assert await clicks(mentorbot) == []


async def test_post_is_not_allowed(client: httpx.AsyncClient, mentorbot: Mentorbot) -> None:
    code = await make_link(mentorbot, "https://reviews.example/x")
    assert (await client.post(f"/r/{code}")).status_code == 405
    assert await clicks(mentorbot) == []


async def test_installing_twice_adds_nothing_twice(mentorbot: Mentorbot) -> None:
    plugs = Plugs(EventBus())  # the composition root installed it already, while building
    assert install_advocacy(mentorbot, plugs) is mentorbot.advocacy
    assert plugs.finish() == Assembly()  # a second install plugs in nothing
    assert [j.name for j in mentorbot.jobs].count("advocacy") == 1
    assert len(mentorbot.assembly.button_routes) == len(mentorbot.assembly.after_checkin) == 1
    paths = [getattr(r, "path", None) for r in mentorbot.web_app().routes]
    assert paths.count("/r/{code:path}") == 1
