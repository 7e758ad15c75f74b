"""Fixtures: a started local Slack server, a real AsyncWebClient, and a real Bolt app over ASGI."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from sandbox.local_servers.slack_api import LocalSlackApi

TOKEN = "xoxb-test-token"
SECRET = "test-signing-secret"
EVENTS_URL = "http://bolt.local/slack/events"


@pytest.fixture
async def slack() -> AsyncIterator[LocalSlackApi]:
    """A local Slack Web API server on a free port, stopped after the test."""
    async with LocalSlackApi(TOKEN) as server:
        yield server


@pytest.fixture
async def client(slack: LocalSlackApi) -> AsyncIterator[AsyncWebClient]:
    """The real slack_sdk AsyncWebClient pointed at the local server."""
    web_client = AsyncWebClient(token=TOKEN, base_url=slack.base_url)
    yield web_client
    if web_client.session is not None:
        await web_client.session.close()


@pytest.fixture
def bolt_app(client: AsyncWebClient) -> AsyncApp:
    """A real Bolt AsyncApp whose Web API calls go to the local server."""
    return AsyncApp(signing_secret=SECRET, client=client)


@pytest.fixture
async def bolt_http(bolt_app: AsyncApp) -> AsyncIterator[httpx.AsyncClient]:
    """An httpx client reaching the Bolt app's /slack/events through Starlette over ASGI.

    Listeners are registered on `bolt_app` by the test before sending requests.
    """
    handler = AsyncSlackRequestHandler(bolt_app)

    async def events(request: Request) -> Response:
        return await handler.handle(request)

    web = Starlette(routes=[Route("/slack/events", events, methods=["POST"])])
    transport = httpx.ASGITransport(app=web)
    async with httpx.AsyncClient(transport=transport, base_url="http://bolt.local") as http:
        yield http
