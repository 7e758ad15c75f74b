"""The training's cross-validated choices: the one-standard-error blend and the recall point."""

import numpy as np

from sentiment.operating_point import OperatingPoint, resolve
from sentiment.train_choices import one_se_weight, recall_floor, recall_point


def test_one_se_rule_takes_the_largest_weight_within_one_standard_error():
    per_fold = {
        0.0: [0.88, 0.86, 0.87, 0.89, 0.87],
        0.2: [0.88, 0.86, 0.87, 0.88, 0.86],  # 0.870: within one SE (0.0051) of 0.874
        0.4: [0.84, 0.83, 0.85, 0.85, 0.84],
    }
    chosen, info = one_se_weight(per_fold)
    assert chosen == 0.2 and info["best"] == 0.0
    assert one_se_weight({0.0: [0.9, 0.9, 0.9], 0.3: [0.5, 0.5, 0.5]})[0] == 0.0


def test_recall_floor_is_below_the_seen_recall_and_rises_with_it():
    seen = 410 / 420
    floor = recall_floor(410, 420)
    assert floor < seen
    assert recall_floor(415, 420) > floor > recall_floor(400, 420)
    assert recall_floor(0, 0) == 1.0


def test_recall_point_holds_in_each_language():
    rng = np.random.default_rng(1)
    n = 2000
    y = (rng.random(n) < 0.45).astype(float)
    langs = np.where(rng.random(n) < 0.5, "en", "nl")
    p = np.clip(0.6 * y + 0.4 * rng.random(n), 0, 1)
    p[(langs == "nl") & (y == 1)] -= 0.2  # Dutch replies that need a person score lower
    curve, point = recall_point(p, y, np.zeros(n, bool), langs, 0.95)
    nl = (langs == "nl") & (y == 1)
    assert np.mean(p[nl] >= point[0]) >= 0.96
    assert point[3] >= 0.95 and len(curve[0]) == 4
    head = {"curve": curve, "threshold": point[0], "recall_target": 0.95}
    cut = resolve(OperatingPoint(), head)
    assert cut.threshold == point[0] and "95 % confidence" in cut.source
    assert resolve(OperatingPoint(recall=0.5), head).threshold >= point[0]
