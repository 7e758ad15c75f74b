"""The blind-set figures: agreement between labellers and the figures on agreed rows."""

import math

from benchmarks._sentiment_blind import agreement, blind_report, cohen_kappa
from benchmarks.sentiment_eval import checkin_figures, checkin_scores
from sentiment import get_analyzer
from sentiment.dataset import Row


def row(
    ident: str,
    text: str,
    sentiment: str,
    escalate: bool,
    score: int | None = None,
    question: str | None = None,
) -> Row:
    return Row(text, "en", score, question, sentiment, escalate, (), "plain", "t.csv", ident)


ROWS = [
    row("a", "Love it, thanks!", "positive", False, 10, "nps"),
    row("b", "It arrived broken, I want a refund", "negative", True, 1, "csat"),
    row("c", "when does the part arrive?", "neutral", True),
    row("d", "terrible, never again", "negative", True, 2, "nps"),
]


def test_kappa_is_one_for_agreement_zero_for_chance_and_half_in_between() -> None:
    assert cohen_kappa(["x", "y", "x"], ["x", "y", "x"]) == 1.0
    # seen 0.75, chance 0.5*0.25 + 0.5*0.75 = 0.5, so (0.75 - 0.5) / 0.5
    assert cohen_kappa(["a", "a", "b", "b"], ["a", "b", "b", "b"]) == 0.5
    assert cohen_kappa([True, False, True, False], [True, True, False, False]) == 0.0
    assert math.isnan(cohen_kappa([], []))


def test_agreed_rows_are_those_both_labellers_gave_the_same_sentiment_and_escalation() -> None:
    relabels = {"a": ("positive", False), "b": ("negative", False), "c": ("neutral", True)}
    figures, agreed = agreement(ROWS, relabels)
    assert [r.ident for r in agreed] == ["a", "c"]  # b differs on escalation, d not relabelled
    assert figures["relabelled"] == 3
    assert figures["agreed_rows"] == 2


def test_the_report_scores_a_real_backend_on_all_rows_and_on_agreed_rows() -> None:
    rules = get_analyzer("rules")
    relabels = {"a": ("positive", False), "b": ("negative", True), "c": ("positive", True)}
    report = blind_report(
        {"mentorbot_rules": rules},
        {"always_negative": lambda r: "negative"},
        {"en": ROWS},
        checkin_scores,
        relabels_of=lambda lang: relabels,
        trained_of=lambda lang: {"love it, thanks!", ""},
    )["en"]
    assert report["rows"] == 4
    assert report["agreement"]["agreed_rows"] == 2
    assert set(report["all_rows"]) == {"mentorbot_rules", "always_negative"}
    # on all rows the constant labeller is right on two of four (F1 0.667 on negative only)
    assert round(report["all_rows"]["always_negative"]["macro_f1"], 3) == round(2 / 9, 3)
    # the agreed rows are a and b: one positive, one negative
    assert report["all_rows"]["mentorbot_rules"] == checkin_figures(rules, ROWS)
    assert report["agreed_rows"]["mentorbot_rules"] == checkin_figures(rules, ROWS[:2])
    # "Love it, thanks!" is a training row's words (compared in lower case): not unseen
    assert report["unseen"] == 3
    assert report["unseen_rows"]["mentorbot_rules"] == checkin_figures(rules, ROWS[1:])
    assert "learned_minus" not in report  # only where the learned backend is scored
