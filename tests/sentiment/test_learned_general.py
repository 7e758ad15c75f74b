"""The learned backend's general sentiment head: inputs, blend and how its weight is chosen."""

import json

import numpy as np
import pytest

from sentiment.learned_features import rules_view
from sentiment.learned_general import blend, general_inputs, has_score
from sentiment.rules import RulesAnalyzer
from sentiment.train_general import choose_blend


@pytest.mark.parametrize(
    "text",
    [
        "terrible, the door is broken and I want my money back",
        "great machine, terrible delivery",
        "top",
        "wanneer komt het onderdeel?",
    ],
)
def test_the_general_inputs_are_the_embeddings_backends_rule_features(text):
    # the head is the embeddings backend's recipe: its four rule features, read here off the
    # learned backend's own rule vector instead of a second pass of the rules
    rules = RulesAnalyzer()
    _tokens, _ruled, vector = rules_view(
        rules, {"text": text, "lang": None, "score": None, "question": None}
    )
    emb = np.full((1, 384), 0.5)
    x = general_inputs(emb, [vector])
    assert x.shape == (1, 388) and np.array_equal(x[0, :384], emb[0])
    assert np.allclose(x[0, 384:], rules.features(text)[2])


def test_the_blend_weight_follows_whether_the_reply_has_a_score():
    rules = RulesAnalyzer()
    vectors = [
        rules_view(rules, {"text": "fine", "lang": "en", "score": s, "question": q})[2]
        for s, q in ((9, "nps"), (None, None), (4, "csat"))
    ]
    scored = has_score(vectors)
    assert scored.tolist() == [True, False, True]
    checkin = np.tile([0.2, 0.3, 0.5], (3, 1))
    general = np.tile([0.6, 0.3, 0.1], (3, 1))
    mixed = blend(checkin, general, scored, (0.1, 0.5))
    assert np.allclose(mixed[0], 0.9 * checkin[0] + 0.1 * general[0])
    assert np.allclose(mixed[1], [0.4, 0.3, 0.3])
    assert np.allclose(mixed.sum(axis=1), 1.0)


def _synthetic(general_is_right: bool):
    rng = np.random.default_rng(3)
    n = 600
    y = rng.integers(0, 3, n)
    names = np.asarray(["negative", "neutral", "positive"])[y]
    noisy = rng.dirichlet(np.ones(3), n)  # a head that knows nothing
    right = 0.1 + 0.7 * np.eye(3)[y]  # a head that is always right
    checkin = 0.5 * noisy + 0.5 * right  # right most of the time
    general = right if general_is_right else noisy
    fold = np.arange(n) % 5
    langs = np.where(np.arange(n) % 2, "en", "nl")
    scored = np.arange(n) % 3 != 0
    return checkin, general, names, fold, langs, np.ones(n, bool), scored


def test_a_general_head_that_knows_nothing_gets_no_weight():
    chosen = choose_blend(*_synthetic(general_is_right=False))
    assert chosen["scored"]["weight"] <= 0.2 and chosen["unscored"]["weight"] <= 0.2
    assert chosen["unscored"]["rows"] == 200


def test_a_general_head_that_is_always_right_gets_a_large_weight():
    chosen = choose_blend(*_synthetic(general_is_right=True))
    assert chosen["scored"]["weight"] >= 0.8 and chosen["unscored"]["weight"] >= 0.8


def test_the_backend_blends_the_general_head_at_the_trained_weights(learned, tmp_path):
    # the same reply, with the general head's weights set to zero in a copy of the head:
    # the default head's probability is the copy's moved towards the general head's
    from sentiment.learned import LearnedAnalyzer, head_path

    raw = json.loads(head_path().read_text(encoding="utf-8"))
    weights = raw["sentiment"]["general_blend"]
    assert 0 < weights["scored"] <= 1 and 0 < weights["unscored"] <= 1
    raw["sentiment"]["general_blend"] = {"scored": 0.0, "unscored": 0.0}
    path = tmp_path / "head.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    without = LearnedAnalyzer(learned.rules, head=path)
    rules = RulesAnalyzer()
    texts = ["the screen cracked on day two", "prima, dank je"]
    vectors = [
        rules_view(rules, {"text": t, "lang": None, "score": None, "question": None})[2]
        for t in texts
    ]
    emb = learned.encoder.encode(texts)
    langs = ["en", "nl"]
    base = without.predict(emb, vectors, langs)["sentiment"]
    mixed = learned.predict(emb, vectors, langs)["sentiment"]
    # a head trained without the general head (--no-general) reads like weights of zero
    del raw["general"], raw["sentiment"]["general_blend"]
    path.write_text(json.dumps(raw), encoding="utf-8")
    older = LearnedAnalyzer(learned.rules, head=path).predict(emb, vectors, langs)["sentiment"]
    assert np.allclose(older, base)
    assert not np.allclose(base, mixed)
    beta = weights["unscored"]
    general = (mixed - (1 - beta) * base) / beta
    assert np.allclose(general.sum(axis=1), 1.0) and (general >= -1e-9).all()
    assert general[0].argmax() == 0 and general[1].argmax() == 2  # negative, positive
