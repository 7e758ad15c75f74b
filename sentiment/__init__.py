"""Text analysis of customer replies: sentiment, intents, themes, segments and escalation.

>>> from sentiment import analyze
>>> analyze("Het pakket is nog steeds niet binnen", score=3).escalate
True

Importing this package is cheap: lexicons and models load on first use.
"""

from sentiment.base import Analyzer
from sentiment.history import History, HistoryPolicy
from sentiment.registry import analyze, get_analyzer
from sentiment.result import Analysis

__all__ = ["Analysis", "Analyzer", "History", "HistoryPolicy", "analyze", "get_analyzer"]
