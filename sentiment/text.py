"""Turning a reply into tokens: words, emoticons, emoji and clause punctuation."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_TOKEN_RE = re.compile(
    r"""
    (?:>:\(|[:;=][-'^]?(?:\)+|\(+|[dDpPsS/|\]\[])(?![^\W\d_])|<3)   # emoticons
    |[^\W_]+(?:['-][^\W_]+)*                                    # words, "wasn't", "rip-off"
    |\.{2,}|[!?.,;:]                                            # clause punctuation
    |[^\w\s]                                                    # anything else: emoji, symbols
    """,
    re.VERBOSE,
)
_APOSTROPHES = str.maketrans({"’": "'", "‘": "'", "`": "'", "´": "'"})
_SKIP = {"\ufe0f", "\u200d", "\ufe0e"}
PUNCT = frozenset({"!", "?", ".", ",", ";", ":", "..."})


@dataclass(frozen=True, slots=True)
class Tokens:
    """The tokens of one reply, lower-cased, with which ones were written in capitals."""

    words: tuple[str, ...]
    caps: frozenset[int]
    joined: str

    @property
    def is_question(self) -> bool:
        """True when the reply contains a question mark."""
        return "?" in self.words


def normalize(text: str) -> str:
    """Normalise apostrophes and Unicode forms; keep case (capitals are a signal)."""
    return unicodedata.normalize("NFC", text).translate(_APOSTROPHES)


def tokenize(text: str) -> Tokens:
    """Split a reply into lower-cased tokens; remember words written in ALL CAPS."""
    raw = [
        t
        for t in _TOKEN_RE.findall(normalize(text))
        if t not in _SKIP and not ("\U0001f3fb" <= t <= "\U0001f3ff")
    ]
    shouting = sum(1 for t in raw if t.isalpha() and t.isupper() and len(t) > 2)
    mostly_caps = shouting > max(2, len(raw) // 2)
    caps = frozenset(
        i
        for i, t in enumerate(raw)
        if not mostly_caps and len(t) > 2 and t.isalpha() and t.isupper()
    )
    words = tuple("..." if t.startswith("..") else t.lower() for t in raw)
    return Tokens(words=words, caps=caps, joined=" " + " ".join(words) + " ")
