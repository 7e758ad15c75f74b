"""What the learned backend reads of a reply: the rules' verdict, the score, and the text's size.

The embedding of the (cut) text is added by :mod:`sentiment.learned`; this module turns the
rules' analysis into numbers, so the rules are one of the model's inputs, not replaced by it.
The training script and the backend share :func:`rule_vector`, so they cannot drift apart.
"""

from __future__ import annotations

import math
from typing import Any

from sentiment.dataset import THEMES
from sentiment.result import LABELS, PRIORITIES, Analysis
from sentiment.rules import RulesAnalyzer
from sentiment.text import Tokens

INTENTS = (
    "refund",
    "cancel",
    "damage",
    "safety",
    "legal",
    "public_review",
    "missing_order",
    "follow_up",
    "contact_request",
    "opt_out",
    "question",
)
QUESTIONS = ("nps", "csat", "ces")
SEGMENTS = ("detractor", "passive", "promoter")
SCALES = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}
ENCODER_STYLE = "passage"
"""How the reply is given to the e5 encoder (:data:`sentiment.embeddings.STYLES`); the head
records the style it was trained on, and the backend refuses a head trained on another."""
MAX_WORDS = 96
"""Longer replies are cut to their first 64 and last 32 words before they are embedded: the
model reads at most 512 word pieces, and a rant's opening and ending carry its point."""
MAX_CHARS = 900
"""And at most this many characters (about 96 words of 9 characters)."""


def names() -> list[str]:
    """The names of the rule features, in order (stored with the trained head)."""
    return [
        "rule_polarity",
        *(f"rule_{lab}" for lab in LABELS),
        "cue_negative",
        "cue_positive",
        *(f"intent_{i}" for i in INTENTS),
        *(f"theme_{t}" for t in THEMES),
        "rule_escalate",
        "rule_priority",
        "has_score",
        *(f"question_{q}" for q in QUESTIONS),
        "score_scaled",
        *(f"segment_{s}" for s in SEGMENTS),
        "hard_low",
        "has_words",
        "log_words",
        "question_mark",
    ]


def cut(text: str) -> str:
    """The part of a reply the model reads: all of a short one, the ends of a long one.

    Cut by words and, for text without spaces ("xxxx..."), by characters as well.
    """
    text = text or ""
    words = text.split()
    if len(words) > MAX_WORDS:
        text = " ".join([*words[:64], "…", *words[-32:]])
    if len(text) > MAX_CHARS:
        text = text[: MAX_CHARS * 2 // 3] + " … " + text[-MAX_CHARS // 3 :]
    return text


def rule_vector(
    rules: RulesAnalyzer, tokens: Tokens, analysis: Analysis, cue_sums: tuple[float, float]
) -> list[float]:
    """The rules' analysis of one reply as numbers (see :func:`names`)."""
    info_q = analysis.question if analysis.question in QUESTIONS else None
    scaled = 0.5
    if info_q and analysis.score is not None:
        low, high = SCALES[info_q]
        scaled = (analysis.score - low) / (high - low)
    hard_low = any(r.startswith("low score") for r in analysis.reasons)
    n_words = sum(1 for w in tokens.words if any(ch.isalnum() for ch in w))
    return [
        analysis.polarity,
        *(float(analysis.label == lab) for lab in LABELS),
        max(-2.0, cue_sums[0]),
        min(2.0, cue_sums[1]),
        *(float(i in analysis.intents) for i in INTENTS),
        *(float(t in analysis.themes) for t in THEMES),
        float(analysis.escalate),
        (PRIORITIES.index(analysis.priority) + 1) / 4 if analysis.priority else 0.0,
        float(info_q is not None and analysis.score is not None),
        *(float(info_q == q) for q in QUESTIONS),
        scaled,
        *(
            float(analysis.segment in (s, "ambassador_candidate" if s == "promoter" else s))
            for s in SEGMENTS
        ),
        float(hard_low),
        float(n_words > 0),
        math.log1p(n_words),
        float(tokens.is_question),
    ]


def rules_view(rules: RulesAnalyzer, item: dict[str, Any]) -> tuple[Tokens, Analysis, list[float]]:
    """Tokens, the rules' analysis and the rule features of one reply item."""
    tokens, lang, feats = rules.features(str(item.get("text") or ""), item.get("lang"))
    analysis = rules.analyze_tokens(tokens, lang, item.get("score"), item.get("question"))
    return tokens, analysis, rule_vector(rules, tokens, analysis, (feats[1], feats[2]))
