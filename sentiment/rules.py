"""The default backend: lexicons and customer-service rules, fast and dependency-light."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sentiment.base import Item, history_of, unpack
from sentiment.config import load_data
from sentiment.escalation import decide
from sentiment.history import History, HistoryLike, HistoryPolicy, apply_history
from sentiment.langdetect import SUPPORTED, LanguageDetector
from sentiment.lexicon import Lexicon, build_lexicon
from sentiment.matcher import CueMatcher
from sentiment.polarity import Scored, score_tokens
from sentiment.result import Analysis, label_for
from sentiment.segments import place_score, question_type
from sentiment.text import Tokens, tokenize

MAX_REASONS = 8


class RulesAnalyzer:
    """Lexicon-and-rules analyzer for English and Dutch replies (the ``rules`` backend)."""

    name = "rules"

    def __init__(
        self, extra_data: str | Path | None = None, history: HistoryPolicy | None = None
    ) -> None:
        """Load the bundled data files and, if given, an operator's extra YAML/JSON file;
        ``history`` says which parts of a customer's history escalate."""
        self.history = history or HistoryPolicy()
        self.data: dict[str, Any] = load_data(extra_data)
        self.th: dict[str, Any] = self.data["thresholds"]
        self.detector = LanguageDetector(self.data["languages"])
        self.lexicons: dict[str, Lexicon] = {
            lang: build_lexicon(lang, self.data) for lang in SUPPORTED
        }
        negatable = self.data.get("negatable_intents", ())
        self.intents: dict[str, CueMatcher] = {}
        self.question_cues: dict[str, CueMatcher] = {}
        self.themes: dict[str, CueMatcher] = {}
        for lang in SUPPORTED:
            negators = self.lexicons[lang].negators
            self.intents[lang] = CueMatcher(
                {k: v.get(lang, ()) for k, v in self.data["intents"].items()}, negators, negatable
            )
            self.question_cues[lang] = CueMatcher(
                {k: v.get(lang, ()) for k, v in self.data.get("question_cues", {}).items()}
            )
            self.themes[lang] = CueMatcher(
                {k: v.get(lang, ()) for k, v in self.data["themes"].items()}, negators, ("damage",)
            )
        self._qwords = {
            lang: frozenset(self.data["lexicon"][lang].get("question_words") or ())
            for lang in SUPPORTED
        }

    def analyze(
        self,
        text: str,
        lang: str | None = None,
        score: int | None = None,
        question: str | None = None,
        history: HistoryLike | None = None,
    ) -> Analysis:
        """Analyse one reply. Raises ValueError for an impossible score or question type."""
        tokens = tokenize(text or "")
        language = self.detector.detect(tokens.words, lang, self.lexicons)
        found = self.analyze_tokens(tokens, language, score, question)
        return apply_history(found, History.from_obj(history), self.history)

    def analyze_tokens(
        self,
        tokens: Tokens,
        lang: str,
        score: int | None = None,
        question: str | None = None,
        polarity: float | None = None,
        extra_reasons: tuple[str, ...] = (),
        backend: str | None = None,
        label: str | None = None,
    ) -> Analysis:
        """Analyse pre-tokenized text; another backend may pass its own polarity and label."""
        info = place_score(score, question, self.data["segments"])
        qtype = question_type(question, score)
        intents, intent_cues = self.find_intents(tokens, lang)
        themes = tuple(h.name for h in self.themes[lang].find(tokens.joined))
        scored = self.score(tokens, lang)
        rule_polarity = self.rule_polarity(scored, intents)
        final = rule_polarity if polarity is None else polarity
        if label is None:
            label = label_for(final, float(self.th["positive"]), float(self.th["negative"]))
        decision = decide(
            label,
            intents,
            themes,
            info,
            any(w.isalnum() for w in tokens.words),
            self.data["escalation"],
        )
        segment = info.segment if info else None
        if segment == "promoter" and label == "positive" and not decision.escalate:
            segment = "ambassador_candidate"
        reasons = [*self._cue_reasons(scored), *intent_cues, *extra_reasons, *decision.reasons]
        n_cues = len(scored.cues) + len(intent_cues)
        confidence = min(0.99, 0.45 + 0.45 * abs(final) + 0.05 * n_cues) if n_cues else 0.3
        return Analysis(
            polarity=max(-1.0, min(1.0, final)),
            label=label,
            confidence=round(confidence, 3),
            lang=lang,
            intents=intents,
            themes=themes,
            reasons=tuple(reasons[:MAX_REASONS]) if len(reasons) > MAX_REASONS else tuple(reasons),
            segment=segment,
            escalate=decision.escalate,
            priority=decision.priority,
            score=info.score if info else (score if qtype == "yes_no" else None),
            question=qtype,
            backend=backend or self.name,
        )

    def analyze_many(self, items: Iterable[Item]) -> list[Analysis]:
        """Analyse replies in order (texts, or dicts with text/lang/score/question/history)."""
        return [self.analyze(*unpack(item), history=history_of(item)) for item in items]

    def score(self, tokens: Tokens, lang: str) -> Scored:
        """The lexicon cues of a reply (see :mod:`sentiment.polarity`)."""
        return score_tokens(tokens, self.lexicons[lang], self.th)

    def features(self, text: str, lang: str | None = None) -> tuple[Tokens, str, list[float]]:
        """Tokens, language and the rule features another backend combines with its own."""
        tokens = tokenize(text or "")
        language = self.detector.detect(tokens.words, lang, self.lexicons)
        intents, _ = self.find_intents(tokens, language)
        scored = self.score(tokens, language)
        pol = self.rule_polarity(scored, intents)
        neg = sum(c.value for c in scored.cues if c.value < 0)
        pos = sum(c.value for c in scored.cues if c.value > 0)
        problem = any(i not in ("question", "opt_out") for i in intents)
        return tokens, language, [pol, max(-2.0, neg), min(2.0, pos), float(problem)]

    def find_intents(self, tokens: Tokens, lang: str) -> tuple[tuple[str, ...], list[str]]:
        """Return the intents of a reply and a reason for each."""
        hits = self.intents[lang].find(tokens.joined)
        names = [h.name for h in hits]
        cues = [f'{h.name.replace("_", " ")}: "{h.cue}"' for h in hits]
        if self._is_question(tokens, lang):
            if "follow_up" not in names:
                for h in self.question_cues[lang].find(tokens.joined):
                    names.append(h.name)
                    cues.append(f'status question: "{h.cue}"')
            names.append("question")
        return tuple(dict.fromkeys(names)), cues

    def _is_question(self, tokens: Tokens, lang: str) -> bool:
        """A "?" or a reply that opens with a question word ("wanneer komt ...")."""
        words = tokens.words
        if tokens.is_question:
            return True
        return len(words) > 2 and words[0] in self._qwords[lang]

    def rule_polarity(self, scored: Scored, intents: tuple[str, ...]) -> float:
        """Polarity from the cues plus the valence of service intents (a missing parcel is bad)."""
        valence: dict[str, float] = self.th.get("intent_valence", {})
        extra = sum(valence.get(i, 0.0) for i in intents)
        if extra and any(c.value < 0 for c in scored.cues):
            extra *= 0.5
        total = scored.total + extra
        alpha = float(self.th.get("alpha", 1.0))
        return total / (total * total + alpha) ** 0.5 if total else 0.0

    @staticmethod
    def _cue_reasons(scored: Scored) -> list[str]:
        out = []
        for cue in sorted(scored.cues, key=lambda c: -abs(c.value))[:4]:
            sign = "+" if cue.value > 0 else "-"
            note = f", {cue.note}" if cue.note else ""
            out.append(f'"{cue.text}" ({sign}{abs(cue.value):.2f}{note})')
        return out
