"""Reading ``GET /metrics`` in tests: the text format parsed by prometheus-client's own parser."""

from __future__ import annotations

import httpx
from prometheus_client.parser import text_string_to_metric_families


class Scrape:
    """One scrape's samples, looked up by name and labels."""

    def __init__(self, body: str) -> None:
        self.body = body
        self.samples = [
            s for family in text_string_to_metric_families(body) for s in family.samples
        ]

    def value(self, name: str, **labels: str) -> float:
        """The sum of the samples called ``name`` whose labels include ``labels`` (0 if none)."""
        return sum(
            s.value
            for s in self.samples
            if s.name == name and all(s.labels.get(k) == v for k, v in labels.items())
        )

    def has(self, name: str) -> bool:
        """Whether any sample is called ``name``."""
        return any(s.name == name for s in self.samples)


async def scrape(http: httpx.AsyncClient, token: str | None = None) -> Scrape:
    """GET /metrics and parse it (fails the test on anything but 200)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await http.get("/metrics", headers=headers)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain")
    return Scrape(response.text)
