"""A reply with neither words nor an NPS/CSAT/CES score: the learned backend defers to the rules."""

import pytest

from sentiment import get_analyzer


@pytest.mark.parametrize("score", [0, 1])
def test_a_bare_yes_no_tap_is_left_to_the_rules(learned, score):
    # the model never saw a reply with neither words nor an NPS/CSAT/CES score
    rules = get_analyzer("rules").analyze("", score=score, question="yes_no")
    found = learned.analyze("", score=score, question="yes_no")
    assert found.escalate is rules.escalate and found.label == rules.label
    assert found.backend == "learned" and "the rules decide" in found.reasons[-1]
