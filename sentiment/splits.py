"""A fixed, hash-based split of labelled rows into train/dev and held-out test parts."""

from __future__ import annotations

import hashlib


def split_of(text: str, test_share: float = 0.4) -> str:
    """Return "test" for about ``test_share`` of texts, "train" for the rest, stable forever."""
    digest = hashlib.sha1(text.strip().encode("utf-8")).digest()
    return "test" if digest[0] / 256 < test_share else "train"
