"""A throwaway aiohttp application on a free local port, for tests that need a server of their
own (a slow one, a webhook receiver): the local servers' own
:func:`sandbox.local_servers.http_site.serve`."""

from __future__ import annotations

from sandbox.local_servers.http_site import serve

__all__ = ["serve"]
