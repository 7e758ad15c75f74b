"""The paired bootstrap of a macro-F1 difference: exact on the whole set, honest in its spread."""

from benchmarks._paired_bootstrap import paired_difference
from sentiment.metrics import macro_f1

GOLD = ["positive", "negative"] * 50


def test_the_difference_is_the_two_macro_f1s_apart():
    first = GOLD[:90] + ["negative", "positive"] * 5  # ten wrong
    second = GOLD[:60] + ["negative", "positive"] * 20  # forty wrong
    found = paired_difference(GOLD, first, second, draws=400)
    assert found["difference"] == round(macro_f1(GOLD, first) - macro_f1(GOLD, second), 4)
    low, high = found["interval_95"]
    assert 0 < low < found["difference"] < high
    assert found["share_at_least_as_good"] == 1.0


def test_the_same_labels_differ_by_nothing_in_every_draw():
    found = paired_difference(GOLD, GOLD[::-1], GOLD[::-1], draws=200)
    assert found == {
        "difference": 0.0,
        "interval_95": [0.0, 0.0],
        "share_at_least_as_good": 1.0,
        "draws": 200,
    }


def test_a_one_row_gap_on_a_hundred_rows_is_inside_the_noise():
    first = [*GOLD[:99], "positive"]  # the last is "negative": one wrong
    found = paired_difference(GOLD, first, GOLD, draws=1000)
    low, high = found["interval_95"]
    assert found["difference"] < 0
    assert low < 0 <= high
    assert 0.0 < found["share_at_least_as_good"] < 1.0


def test_a_label_outside_the_gold_classes_counts_as_wrong():
    three = ["neutral"] * 100  # a 2-class set: "neutral" is never right
    found = paired_difference(GOLD, three, GOLD, draws=100)
    assert found["difference"] == -1.0
