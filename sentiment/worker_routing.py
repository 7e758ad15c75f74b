"""Which worker process scores which reply of a batch: the work balanced, repeats kept together.

Each worker remembers the embeddings of the short replies it embedded (the encoder's memory:
:data:`sentiment.embeddings.CACHE_TEXT_CHARS`). A short reply seen before goes back to the
worker that embedded it, where its embedding is remembered and costs next to nothing; the
others are dealt to whichever worker has the least queued (replies of earlier batches still
being scored, and the new text of this one). What the
router remembers may be out of date (the worker forgot it, or was replaced): then that reply is
embedded again, with the same result.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from sentiment.embeddings import CACHE_ENTRIES, CACHE_TEXT_CHARS


class Router:
    """Splits a batch over ``count`` workers: a list of item positions per worker."""

    def __init__(self, count: int) -> None:
        """Remember nothing yet."""
        self.count = count
        self._where: OrderedDict[str, int] = OrderedDict()

    def split(self, items: list[Any], busy: list[int] | None = None) -> list[list[int]]:
        """The positions of ``items`` each worker scores (in order; some lists may be empty);
        ``busy``: replies already queued at each worker (from batches still being scored)."""
        groups: list[list[int]] = [[] for _ in range(self.count)]
        work = list(busy) if busy is not None else [0] * self.count
        for pos, item in enumerate(items):
            text = str(item.get("text") or "") if isinstance(item, dict) else str(item)
            short = len(text) <= CACHE_TEXT_CHARS
            worker = self._where.get(text) if short else None
            if worker is None:
                worker = min(range(self.count), key=work.__getitem__)
                work[worker] += 1
            if short:
                self._where[text] = worker
                self._where.move_to_end(text)
            groups[worker].append(pos)
        while len(self._where) > CACHE_ENTRIES * self.count:
            self._where.popitem(last=False)
        return groups
