"""The domain gate: what it learns, what it may not learn, and how far it moves the blend."""

import json

import numpy as np

from sentiment.domain_gate import prepared, review_likeness
from sentiment.learned_general import blend
from sentiment.train_gate import cell_weights, choose_gate_weight, train_gate

DIM = 16


def _clusters(seed: int = 0):
    """English check-in replies near one point, English reviews near another; Dutch
    check-in replies are the English ones moved by a language offset."""
    rng = np.random.default_rng(seed)
    checkin, review = np.zeros(DIM), np.zeros(DIM)
    checkin[0], review[1] = 1.0, 1.0
    offset = np.zeros(DIM)
    offset[2] = 3.0  # the language: larger than the check-in/review difference
    en = checkin + 0.3 * rng.standard_normal((200, DIM))
    nl = checkin + offset + 0.3 * rng.standard_normal((200, DIM))
    public = review + 0.3 * rng.standard_normal((300, DIM))
    return en, nl, public, review, offset


def test_the_gate_tells_reviews_from_check_in_replies_in_a_language_it_has_no_review_in():
    en, nl, public, review, offset = _clusters()
    emb = np.vstack([en, nl])
    langs = np.asarray(["en"] * len(en) + ["nl"] * len(nl))
    fold = np.arange(len(emb)) % 5
    raw, oof = train_gate(emb, langs, fold, public, ["en"] * len(public))
    assert raw["lambda"] in (0.003, 0.01, 0.03, 0.1)
    assert raw["rows"] == {"checkin": {"en": 200, "nl": 200}, "review": {"en": 300, "nl": 0}}
    # out of fold, check-in replies of both languages read as check-in replies
    assert oof[langs == "en"].mean() < 0.2 and oof[langs == "nl"].mean() < 0.2
    gate = prepared(json.loads(json.dumps(raw)))  # as stored in the head file
    rng = np.random.default_rng(9)
    dutch_reviews = review + offset + 0.3 * rng.standard_normal((50, DIM))
    # a Dutch review differs from a Dutch check-in reply as an English one does: centring
    # on the language's mean check-in reply removes the language
    assert review_likeness(gate, dutch_reviews, ["nl"] * 50).mean() > 0.8
    assert review_likeness(gate, nl[:50], ["nl"] * 50).mean() < 0.2


def test_every_class_and_language_weighs_the_same_in_the_gates_fit():
    target = np.asarray([0, 0, 0, 0, 1, 1, 1, 1, 1, 1])
    langs = np.asarray(["en", "en", "en", "nl", "en", "en", "en", "en", "en", "nl"])
    w = cell_weights(target, langs)
    for t in (0, 1):
        for g in ("en", "nl"):
            assert np.isclose(w[(target == t) & (langs == g)].sum(), 1.0)


def test_the_gate_raises_the_general_weight_only_for_replies_without_a_score():
    checkin = np.tile([0.1, 0.2, 0.7], (4, 1))
    general = np.tile([0.7, 0.2, 0.1], (4, 1))
    scored = np.asarray([True, True, False, False])
    likeness = np.asarray([0.95, 0.05, 0.95, 0.05])
    mixed = blend(checkin, general, scored, (0.1, 0.2), likeness, 1.0)
    assert np.allclose(mixed[0], 0.9 * checkin[0] + 0.1 * general[0])  # a score: no gate
    assert np.allclose(mixed[1], mixed[0])
    assert np.allclose(mixed[2], 0.05 * checkin[2] + 0.95 * general[2])  # review-like
    assert np.allclose(mixed[3], 0.8 * checkin[3] + 0.2 * general[3])  # never below 0.2
    off = blend(checkin, general, scored, (0.1, 0.2), likeness, 0.0)
    assert np.allclose(off, blend(checkin, general, scored, (0.1, 0.2)))


def _rows(general_right_where_gated: bool):
    rng = np.random.default_rng(5)
    n = 600
    y = rng.integers(0, 3, n)
    names = np.asarray(["negative", "neutral", "positive"])[y]
    right = 0.1 + 0.7 * np.eye(3)[y]
    wrong = 0.1 + 0.7 * np.eye(3)[(y + 1) % 3]
    scored = np.arange(n) % 3 != 0
    likeness = np.where(~scored & (np.arange(n) % 2 == 0), 0.95, 0.02)
    gated = likeness > 0.5
    if general_right_where_gated:  # review-like rows the check-in head gets wrong
        checkin, general = np.where(gated[:, None], wrong, right), right
    else:  # the check-in head is right everywhere, the general head wrong everywhere
        checkin, general = right, wrong
    fold = np.arange(n) % 5
    langs = np.where(np.arange(n) % 4 < 2, "en", "nl")
    return checkin, general, names, fold, langs, np.ones(n, bool), scored, (0.1, 0.2), likeness


def test_the_gate_weighs_fully_where_the_general_head_is_right_on_the_rows_it_flags():
    assert choose_gate_weight(*_rows(general_right_where_gated=True))["weight"] == 1.0


def test_the_gate_is_turned_off_where_following_it_costs_check_in_replies():
    chosen = choose_gate_weight(*_rows(general_right_where_gated=False))
    assert chosen["weight"] <= 0.5
    assert chosen["guide_rows_gated"] == 100


def test_the_backend_reads_the_gate_only_for_replies_without_a_score(learned, tmp_path):
    from sentiment.learned import LearnedAnalyzer, head_path

    review = "The battery of this phone lasts two days and the screen is sharp and bright."
    reply = learned.analyze(review)
    scored = learned.analyze(review, score=9, question="nps")
    assert 0.0 <= reply.extra["p_review_like"] <= 1.0
    assert "p_review_like" not in scored.extra
    raw = json.loads(head_path().read_text(encoding="utf-8"))
    assert raw["sentiment"]["general_blend"]["gate"] > 0 and raw["domain_gate"]["centres"]
    # a head trained without the gate (--no-gate, or before it existed) still loads and
    # scores with the fixed weights alone
    del raw["domain_gate"], raw["sentiment"]["general_blend"]["gate"]
    path = tmp_path / "head.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    older = LearnedAnalyzer(learned.rules, head=path)
    again = older.analyze(review)
    assert "p_review_like" not in again.extra
    assert not any(r.startswith("reads like a review") for r in again.reasons)
    blend_weights = json.loads(head_path().read_text(encoding="utf-8"))["sentiment"]
    unscored, gate = (
        blend_weights["general_blend"]["unscored"],
        blend_weights["general_blend"]["gate"],
    )
    weight = max(unscored, gate * reply.extra["p_review_like"])
    said = [r for r in reply.reasons if r.startswith("reads like a review")]
    assert bool(said) == (weight > unscored)


def test_the_trained_gate_tells_a_check_in_reply_from_a_review_sentence(learned):
    replies = ["bedankt, alles prima", "the delivery was late and nobody answered my mail"]
    reviews = ["The battery of this phone lasts two days and the screen is sharp and bright."]
    assert all(learned.analyze(t).extra["p_review_like"] < 0.1 for t in replies)
    assert all(learned.analyze(t).extra["p_review_like"] > 0.9 for t in reviews)
