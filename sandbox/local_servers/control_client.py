"""The client side of a local server's ``/_local/`` control routes, shared by the servers'
control clients (tests and benchmarks drive the simulated customers through them)."""

from __future__ import annotations

import json
from typing import Any, Self

import aiohttp


class ControlClient:
    """An async context manager holding one HTTP session to a server at ``http://HOST:PORT``."""

    def __init__(self, root: str) -> None:
        self.root = root.rstrip("/")
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> Self:
        self._session = aiohttp.ClientSession()
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._session is not None:
            await self._session.close()

    async def _call(self, method: str, path: str, **kwargs: Any) -> Any:
        """One control request; its JSON answer (an HTTP error status raises)."""
        assert self._session is not None, f"use {type(self).__name__} as an async context manager"
        async with self._session.request(method, self.root + path, **kwargs) as response:
            response.raise_for_status()
            return json.loads(await response.read())
