"""The customer's history as an escalation input: it adds cases, never removes one."""

import pytest

from sentiment import History, HistoryPolicy, get_analyzer
from sentiment.operating_point import OperatingPoint

MILD = ("Too expensive", 5, "nps")  # negative, a detractor naming nothing to fix: no case
NEUTRAL = ("All fine, just expensive", 4, "nps")
PRAISE = ("Love it, thanks!", 9, "nps")


def run(analyzer, reply, history=None):
    text, score, question = reply
    return analyzer.analyze(text, score=score, question=question, history=history)


def test_without_history_the_mild_replies_stay_off_the_desk():
    rules = get_analyzer("rules")
    assert run(rules, MILD).label == "negative" and not run(rules, MILD).escalate
    assert not run(rules, NEUTRAL).escalate


def test_a_second_complaint_in_a_row_escalates_and_says_why():
    rules = get_analyzer("rules")
    found = run(rules, MILD, History(recent_complaints=1))
    assert found.escalate and found.priority == "normal"
    assert "history: another complaint (1 before in the window)" in found.reasons
    assert found.extra["history"]["recent_complaints"] == 1
    assert run(rules, MILD, History(last_detractor=True)).escalate  # a detractor score counts
    assert not run(rules, NEUTRAL, History(recent_complaints=3)).escalate  # not a complaint


def test_an_open_case_or_a_fix_that_did_not_hold_reaches_the_person_on_it():
    rules = get_analyzer("rules")
    found = run(rules, NEUTRAL, History(open_case=True))
    assert found.escalate and "history: the customer has an open case" in found.reasons
    after = run(rules, MILD, History(recent_case=True))
    assert after.escalate and any("after their case was resolved" in r for r in after.reasons)
    assert not run(rules, NEUTRAL, History(recent_case=True)).escalate  # neutral: nothing broke


def test_history_never_escalates_praise_or_an_opt_out():
    rules = get_analyzer("rules")
    every = History(open_case=True, recent_case=True, last_detractor=True, recent_complaints=5)
    assert not run(rules, PRAISE, every).escalate
    assert not rules.analyze("stop sending me these", history=every).escalate


def test_the_policy_turns_each_part_off():
    off = OperatingPoint(
        history=HistoryPolicy(open_case=False, after_case=False, repeat_complaints=0)
    )
    rules = get_analyzer("rules", point=off)
    every = History(open_case=True, recent_case=True, last_detractor=True, recent_complaints=5)
    assert not run(rules, MILD, every).escalate
    two = get_analyzer("rules", point=OperatingPoint(history=HistoryPolicy(repeat_complaints=2)))
    assert not run(two, MILD, History(recent_complaints=1)).escalate
    assert run(two, MILD, History(recent_complaints=1, last_detractor=True)).escalate


def test_history_travels_in_batch_items_as_a_dict():
    rules = get_analyzer("rules")
    text, score, question = MILD
    item = {"text": text, "score": score, "question": question}
    plain, known = rules.analyze_many([item, {**item, "history": {"recent_complaints": 2}}])
    assert not plain.escalate and known.escalate


@pytest.mark.parametrize(
    ("obj", "message"),
    [
        ("yes", "must be an object"),
        ({"open_case": "yes"}, "open_case must be true or false"),
        ({"recent_complaints": 1.5}, "recent_complaints must be a whole number"),
        ({"recent_complaints": -1}, "0 or more"),
        ({"lawyer": True}, "unknown history field"),
    ],
)
def test_bad_history_is_refused_with_a_message(obj, message):
    with pytest.raises(ValueError, match=message):
        get_analyzer("rules").analyze("fine", history=obj)


def test_the_learned_backend_reads_history_too(learned):
    every = History(open_case=True)
    text, score, question = NEUTRAL
    found = learned.analyze(text, score=score, question=question, history=every)
    assert found.label != "positive"
    assert found.escalate and "history: the customer has an open case" in found.reasons
    assert not learned.analyze(
        "Love it, works perfectly", score=10, question="nps", history=every
    ).escalate
