"""Scoring the polarity of a tokenized reply with a lexicon and rules.

The rules: phrases before words, modifiers (intensifiers and diminishers) scale the next
sentiment word, a negator flips the next sentiment word within a few tokens (Dutch also
"goed was het niet"), cues after "but"/"maar" weigh more than those before it, capitals and
"!" amplify, and praise at the start of a complaint ("wonderful, the third wrong size") is
read as sarcasm.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from sentiment.lexicon import Lexicon
from sentiment.text import PUNCT, Tokens

_ARTICLES = frozenset({"een", "per", "het", "ene", "a", "the"})
_TAGS = frozenset({"dan", "hoor", "zeg", "again", "weer", "alweer"})
_FILLERS = frozenset(
    {"oh", "o", "well", "wow", "nou", "ah", "hmm", "ja", "yeah", "yes", "och", "tja"}
)


@dataclass(slots=True)
class Cue:
    """One sentiment-bearing piece of a reply."""

    text: str
    value: float
    start: int
    end: int
    clause: int
    note: str = ""


@dataclass(slots=True)
class Scored:
    """The sum of the cues of one reply and the cues themselves."""

    total: float
    cues: list[Cue] = field(default_factory=list)
    sarcasm: bool = False

    def polarity(self, alpha: float) -> float:
        """Squash the total into -1..1."""
        return self.total / math.sqrt(self.total * self.total + alpha) if self.total else 0.0


def _is_negator(word: str, lex: Lexicon) -> bool:
    return word in lex.negators or word.endswith("n't")


class _State:
    __slots__ = ("clause", "clause_neg", "contrast_at", "cues", "mod", "neg", "neg_left")

    def __init__(self) -> None:
        self.cues: list[Cue] = []
        self.mod: tuple[float, float | None, str, int] | None = None
        self.neg: str | None = None
        self.neg_left = 0
        self.clause = 0
        self.contrast_at: int | None = None
        self.clause_neg: int | None = None


def score_tokens(tokens: Tokens, lex: Lexicon, th: dict[str, Any]) -> Scored:
    """Score a reply: returns the weighted sum of its cues and the cues."""
    words = tokens.words
    n = len(words)
    neg_factor = float(th.get("negation_factor", -0.6))
    scope = int(th.get("negation_scope", 3))
    caps_boost = float(th.get("caps_boost", 1.25))
    fault = float(th.get("fault_valence", -0.45))
    too = float(th.get("too_valence", -0.3))
    st = _State()
    excl = 0
    clause_start = True

    def emit(value: float, text: str, start: int, end: int, note: str = "") -> None:
        if st.mod is not None:
            factor, _own, mtext, mstart = st.mod
            value *= factor
            text = f"{mtext} {text}"
            start = mstart
            note = note or ("intensified" if factor > 1 else "softened")
            st.mod = None
        if start in tokens.caps or (end - 1) in tokens.caps:
            value *= caps_boost
        if not value:
            return
        if st.neg_left > 0 and st.neg is not None:
            value *= neg_factor
            joiner = " " if start > 0 and words[start - 1] == st.neg else " … "
            text = f"{st.neg}{joiner}{text}"
            note = "negated"
            st.neg_left = 0
            st.clause_neg = None
        st.cues.append(Cue(text, value, start, end, st.clause, note))

    def flush_mod() -> None:
        if st.mod is not None:
            _f, own, mtext, mstart = st.mod
            st.mod = None
            if own:
                emit(own, mtext, mstart, mstart + 1)

    i = 0
    while i < n:
        w = words[i]
        hit = _match_phrase(words, i, lex) if w in lex.phrase_starts else None
        if hit is not None:
            length, kind, value = hit
            text = " ".join(words[i : i + length])
            if kind == "mod":
                flush_mod()
                own = lex.words.get(w) if length == 1 else None
                st.mod = (value, own, text, i)
            else:
                emit(value, text, i, i + length)
            i += length
            clause_start = False
            continue
        if w in PUNCT:
            flush_mod()
            if w == "!":
                excl += 1
            _close_clause(st, lex, neg_factor)
            st.neg_left = 0
            st.clause += 1
            clause_start = True
            i += 1
            continue
        if w in lex.contrast or (clause_start and w in lex.soft_contrast):
            flush_mod()
            st.contrast_at = len(st.cues)
            st.neg_left = 0
            own = lex.words.get(w)
            if own:
                st.cues.append(Cue(w, own, i, i + 1, st.clause))
            clause_start = False
            i += 1
            continue
        clause_start = False
        if _is_negator(w, lex):
            st.neg, st.neg_left = w, scope
            st.clause_neg = i
            if lex.lang == "nl":
                verb = next((v for v in words[max(0, i - 2) : i] if v in lex.function_verbs), None)
                if verb:
                    st.cues.append(Cue(f"{verb} {w}", fault, i - 1, i + 1, st.clause, "fault"))
                    st.neg_left = 0
            i += 1
            continue
        nxt = words[i + 1] if i + 1 < n else "."
        if w in lex.clause_final and nxt in PUNCT and (i == 0 or words[i - 1] not in _ARTICLES):
            if lex.clause_final[w]:
                st.cues.append(Cue(w, lex.clause_final[w], i, i + 1, st.clause, "clause end"))
            i += 1
            continue
        value, typo = lex.lookup(w)
        if value is None and st.neg_left and w in lex.function_verbs:
            st.cues.append(Cue(f"{st.neg} {w}", fault, i - 1, i + 1, st.clause, "fault"))
            st.neg_left = 0
            i += 1
            continue
        if value is None and st.mod is not None and st.mod[2] in lex.too_words and w.isalpha():
            if not (lex.lang == "nl" and w.endswith("en")):
                st.cues.append(Cue(f"{st.mod[2]} {w}", too, i - 1, i + 1, st.clause, "too"))
                st.mod = None
                i += 1
                continue
        if value is None:
            flush_mod()
            if st.neg_left:
                st.neg_left -= 1
            i += 1
            continue
        emit(value, w, i, i + 1, f"typo for {typo}" if typo else "")
        i += 1
    flush_mod()
    _close_clause(st, lex, neg_factor)

    sarcasm = _sarcasm(tokens, st.cues, lex, float(th.get("sarcasm_flip", -0.8)))
    total = _weighted_sum(st.cues, st.contrast_at, th)
    if excl and total:
        total *= 1 + float(th.get("exclamation_boost", 0.1)) * min(excl, 3)
    return Scored(total=total, cues=st.cues, sarcasm=sarcasm)


def _match_phrase(words: tuple[str, ...], i: int, lex: Lexicon) -> tuple[int, str, float] | None:
    """Longest phrase (or modifier) starting at token i, as (length, kind, value)."""
    for length in (5, 4, 3, 2, 1):
        if i + length > len(words):
            continue
        entry = lex.phrases.get(words[i : i + length])
        if entry is not None:
            return length, entry[0], entry[1]
    return None


def _close_clause(st: _State, lex: Lexicon, neg_factor: float) -> None:
    """Dutch: a clause-final negator flips the clause's earlier cue ("goed was het niet")."""
    if lex.lang != "nl" or st.clause_neg is None or st.neg_left <= 0:
        st.clause_neg = None
        return
    for cue in reversed(st.cues):
        if cue.clause != st.clause:
            break
        if cue.note != "negated" and cue.end <= st.clause_neg and st.clause_neg - cue.end <= 3:
            cue.value *= neg_factor
            cue.text = f"{cue.text} … {st.neg}"
            cue.note = "negated"
            break
    st.clause_neg = None


def _sarcasm(tokens: Tokens, cues: list[Cue], lex: Lexicon, flip: float) -> bool:
    """Praise opening a complaint: flip the praise ("lekker dan, weer de verkeerde maat")."""
    if not cues:
        return False
    first = cues[0]
    words = tokens.words
    lead = [w for w in words[: first.start] if w not in _FILLERS and w not in PUNCT]
    if lead or first.value <= 0 or tuple(first.text.split()) not in lex.openers:
        return False
    after = words[first.end] if first.end < len(words) else None
    if after is not None and after not in PUNCT and after not in _TAGS:
        return False
    rest = words[first.end :]
    if not rest:
        return False
    joined = " " + " ".join(rest) + " "
    repeat = any(" " + " ".join(cue) + " " in joined for cue in lex.repeat_cues)
    complaint = any(c.value <= -0.3 for c in cues[1:])
    if not (repeat and (complaint or len(rest) > 2)) and not any(c.value <= -0.5 for c in cues[1:]):
        return False
    first.value *= flip
    first.note = "sarcasm"
    return True


def _weighted_sum(cues: list[Cue], contrast_at: int | None, th: dict[str, Any]) -> float:
    neg_weight = float(th.get("negative_weight", 1.0))
    for cue in cues:
        if cue.value < 0:
            cue.value *= neg_weight
    if contrast_at is None or contrast_at == 0 or contrast_at >= len(cues):
        return sum(c.value for c in cues)
    before = float(th.get("contrast_before", 0.5))
    after = float(th.get("contrast_after", 1.3))
    return (
        sum(c.value for c in cues[:contrast_at]) * before
        + sum(c.value for c in cues[contrast_at:]) * after
    )
