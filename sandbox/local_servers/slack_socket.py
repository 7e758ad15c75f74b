"""Socket Mode for the local Slack server: the WebSocket a Socket Mode app connects out to.

``apps.connections.open`` (called with the app-level token) hands out the URL; the server greets
with ``hello`` and then pushes envelopes (``interactive``, ``events_api``, ``slash_commands``)
that the app acknowledges with their ``envelope_id``, as Slack does.
"""

from __future__ import annotations

import asyncio
import json
import secrets
from typing import Any

from aiohttp import WSMsgType, web

from sandbox.local_servers.slack_state import APP_ID


class SocketHub:
    """The connected Socket Mode clients, and the envelopes pushed to them."""

    def __init__(self) -> None:
        self.clients: list[web.WebSocketResponse] = []
        self.acks: dict[str, dict[str, Any]] = {}
        self._changed = asyncio.Event()

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        """One Socket Mode connection: hello, then read acknowledgements until it closes."""
        ws = web.WebSocketResponse(autoping=True)
        await ws.prepare(request)
        self.clients.append(ws)
        await ws.send_json(
            {
                "type": "hello",
                "num_connections": len(self.clients),
                "debug_info": {"host": "local"},
                "connection_info": {"app_id": APP_ID},
            }
        )
        self._notify()
        try:
            async for message in ws:
                if message.type != WSMsgType.TEXT:
                    continue
                data = json.loads(message.data)
                if "envelope_id" in data:
                    self.acks[data["envelope_id"]] = data
                    self._notify()
        finally:
            self.clients.remove(ws)
            self._notify()
        return ws

    async def drop_all(self) -> int:
        """Close every client's WebSocket from the server's side (as Slack does when it
        refreshes or loses a connection); returns how many were closed."""
        dropped = list(self.clients)
        for ws in dropped:
            await ws.close(code=1001, message=b"going away")
        return len(dropped)

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()

    async def wait_connected(self, timeout: float = 5.0) -> None:  # noqa: ASYNC109
        """Wait until a client has connected."""
        async with asyncio.timeout(timeout):
            while not self.clients:
                await self._changed.wait()

    async def push(
        self,
        kind: str,
        payload: dict[str, Any],
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> dict[str, Any]:
        """Send an envelope to the first client and wait for its acknowledgement."""
        await self.wait_connected(timeout)
        envelope_id = secrets.token_hex(8)
        await self.clients[0].send_json(
            {
                "envelope_id": envelope_id,
                "type": kind,
                "payload": payload,
                "accepts_response_payload": kind != "events_api",
                "retry_attempt": 0,
                "retry_reason": "",
            }
        )
        async with asyncio.timeout(timeout):
            while envelope_id not in self.acks:
                await self._changed.wait()
        return self.acks[envelope_id]
