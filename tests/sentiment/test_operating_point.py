"""The escalation operating point: an operator moves it, and the reasons say where it stands."""

import pytest

from sentiment.operating_point import OperatingPoint, resolve

CURVE = {
    "recall_target": 0.96,
    "curve": [[0.1, 0.99, 0.7], [0.3, 0.97, 0.8], [0.5, 0.95, 0.9], [0.7, 0.9, 0.95]],
}


def test_recall_target_takes_the_highest_cutoff_that_reaches_it():
    assert resolve(OperatingPoint(), CURVE).threshold == 0.3
    assert resolve(OperatingPoint(recall=0.95), CURVE).threshold == 0.5
    assert resolve(OperatingPoint(recall=0.999), CURVE).threshold == 0.1
    cut = resolve(OperatingPoint(recall=0.95, threshold=0.66), CURVE)
    assert cut.threshold == 0.66 and cut.recall == 0.9 and "threshold" in cut.source


def test_points_outside_zero_to_one_are_refused():
    with pytest.raises(ValueError, match=r"sentiment\.escalation\.recall"):
        OperatingPoint(recall=1.2)


def test_moving_the_point_changes_the_decision(learned):
    from sentiment import get_analyzer
    from sentiment.operating_point import OperatingPoint

    text, score = "It works, but the lid feels a bit loose", 7
    p = learned.analyze(text, score=score).extra["p_escalate"]
    low = get_analyzer("learned", point=OperatingPoint(threshold=max(0.001, p / 2)))
    high = get_analyzer("learned", point=OperatingPoint(threshold=min(0.999, p + (1 - p) / 2)))
    yes, no = low.analyze(text, score=score), high.analyze(text, score=score)
    assert yes.escalate and not no.escalate
    assert any(r.startswith("needs a person") and "threshold" in r for r in yes.reasons)
    assert any(r.startswith("no case") for r in no.reasons)
    strict = get_analyzer("learned", point=OperatingPoint(recall=0.99)).cut
    loose = get_analyzer("learned", point=OperatingPoint(recall=0.80)).cut
    assert strict.threshold <= loose.threshold
    assert strict.recall >= 0.99 or strict.threshold == 0.01  # the curve's lowest point
