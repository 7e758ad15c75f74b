"""The systems the sentiment benchmark compares: Mentorbot's backends and two baselines.

TextBlob (textblob-nl for Dutch) and VADER read as 3-class labels through a neutral band, and
Mentorbot's backends with their encoder reading the on-disk embedding cache (accuracy runs only;
speed runs always call the model).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

Polarity = Callable[[str, str], float]


def baselines() -> dict[str, tuple[Polarity, tuple[float, float]]]:
    """TextBlob (textblob-nl for Dutch) and VADER as polarity functions with neutral bands."""
    from textblob import TextBlob
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from textblob_nl import PatternAnalyzer

    nl = PatternAnalyzer()
    vader = SentimentIntensityAnalyzer()

    def textblob(text: str, lang: str) -> float:
        return nl.analyze(text)[0] if lang == "nl" else TextBlob(text).sentiment.polarity

    def vader_fn(text: str, lang: str) -> float:
        return vader.polarity_scores(text)["compound"]

    return {"textblob": (textblob, (-0.1, 0.1)), "vader": (vader_fn, (-0.05, 0.05))}


def band_label(polarity: float, band: tuple[float, float]) -> str:
    """A baseline's polarity read as a 3-class label."""
    if polarity >= band[1]:
        return "positive"
    return "negative" if polarity <= band[0] else "neutral"


class CachedEncoder:
    """An encoder that reads and fills the on-disk embedding cache (accuracy runs only)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def encode(self, texts: list[str]) -> Any:
        """Embed through :func:`sentiment.embeddings.encode_cached`."""
        from sentiment.embeddings import encode_cached

        return encode_cached(self.inner, texts)


def mentorbot(backend: str, cache: bool) -> Any | None:
    """A fresh Mentorbot analyzer (its encoder cached), or None if not available here."""
    from sentiment import get_analyzer

    try:
        analyzer = get_analyzer(backend)
    except ValueError:  # a backend this version of the code does not have
        return None
    if analyzer.name != backend:
        return None
    if backend == "rules" or not cache:
        return analyzer
    copy = type(analyzer)(analyzer.rules)
    copy.encoder = CachedEncoder(analyzer.encoder)
    return copy
