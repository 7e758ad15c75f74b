"""Telling English from Dutch (and Flemish) per reply, with function words."""

from __future__ import annotations

from typing import Any

SUPPORTED = ("en", "nl")


class LanguageDetector:
    """Counts English and Dutch function words; keeps the caller's hint unless clearly wrong."""

    def __init__(self, cfg: dict[str, Any]) -> None:
        """``cfg`` is the ``languages`` section of the data files."""
        self.default = cfg.get("default", "en")
        self.margin = int(cfg.get("switch_margin", 2))
        self.words = {lang: frozenset(cfg.get(lang) or ()) for lang in SUPPORTED}

    def detect(self, words: tuple[str, ...], hint: str | None = None, lexicons: Any = None) -> str:
        """Return "en" or "nl" for the tokens, preferring ``hint`` when the text is unclear.

        Function words decide; when they tie, words known to only one language's lexicon
        (``lexicons``: lang -> object with ``lookup``) break the tie.
        """
        hint = normalize_lang(hint)
        en = sum(1 for w in words if w in self.words["en"])
        nl = sum(1 for w in words if w in self.words["nl"])
        if en == nl and lexicons is not None:
            for w in words:
                if w.isalpha() and len(w) > 2:
                    in_en = lexicons["en"].lookup(w)[0] is not None
                    in_nl = lexicons["nl"].lookup(w)[0] is not None
                    en += in_en and not in_nl
                    nl += in_nl and not in_en
        if hint is not None:
            other, mine = (en, nl) if hint == "nl" else (nl, en)
            return hint if other - mine < self.margin else ("en" if hint == "nl" else "nl")
        if nl > en:
            return "nl"
        if en > nl:
            return "en"
        return self.default


def normalize_lang(lang: str | None) -> str | None:
    """Map "nl-BE", "NL", "vls", "en_GB" etc. onto "nl" / "en"; unknown languages give None."""
    if not lang:
        return None
    code = str(lang).strip().lower().replace("_", "-").split("-")[0]
    if code in ("nl", "vls", "dut", "nld", "be"):
        return "nl"
    if code in ("en", "eng"):
        return "en"
    return None
