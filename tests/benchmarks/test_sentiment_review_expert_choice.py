"""The review expert choice's folds and labels (the experts themselves need the encoder)."""

import numpy as np

from benchmarks.sentiment_review_expert_choice import FOLDS, assign_folds, band_labels, dev_rows


def test_every_kind_of_product_sits_in_one_fold_and_every_fold_holds_some():
    rows = dev_rows()
    fold = assign_folds(rows)
    kinds: dict[str, set[int]] = {}
    for r, k in zip(rows, fold, strict=True):
        if r["group"]:
            kinds.setdefault(r["group"], set()).add(int(k))
    assert len(kinds) == 20
    assert all(len(found) == 1 for found in kinds.values())
    assert sorted(np.bincount([min(v) for v in kinds.values()])) == [4] * FOLDS
    public = np.asarray([not r["group"] for r in rows])
    if public.any():  # the shared sets are beside the checkout
        counts = np.bincount(fold[public], minlength=FOLDS)
        assert counts.max() - counts.min() <= 1


def test_the_folds_do_not_change_between_runs():
    rows = dev_rows()
    assert (assign_folds(rows) == assign_folds(rows)).all()


def test_band_labels_call_a_small_polarity_neutral():
    p = np.asarray([[0.1, 0.2, 0.7], [0.4, 0.2, 0.4], [0.6, 0.3, 0.1], [0.35, 0.3, 0.35]])
    assert list(band_labels(p, 0.2)) == ["positive", "neutral", "negative", "neutral"]
    assert list(band_labels(p, 0.0)) == ["positive", "negative", "negative", "negative"]
