"""The ``sentiment`` config section: backend, extra data and the escalation operating point."""

import pytest

from bot.config import Config, ConfigError, load_config


def test_defaults_pick_auto_and_the_trained_point():
    cfg = Config()
    assert cfg.sentiment.backend == "auto"
    point = cfg.sentiment.escalation.point()
    assert point.recall is None and point.threshold is None
    assert point.always == ("safety", "legal")


@pytest.mark.parametrize(
    ("yaml_text", "key"),
    [
        ("sentiment:\n  escalation:\n    recall: 1.5\n", "sentiment.escalation.recall"),
        ("sentiment:\n  escalation:\n    threshold: 0\n", "sentiment.escalation.threshold"),
        ("sentiment:\n  escalation:\n    always: [fire]\n", "sentiment.escalation.always"),
        ("sentiment:\n  backend: magic\n", "sentiment.backend"),
        ("sentiment:\n  extra_data: /nowhere/cues.yaml\n", "sentiment.extra_data"),
        ("sentiment:\n  escalaton: {}\n", "sentiment.escalaton"),
    ],
)
def test_bad_values_are_errors_that_name_the_key(tmp_path, yaml_text, key):
    path = tmp_path / "config.yaml"
    path.write_text(yaml_text)
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert key in str(err.value)


def test_the_example_config_documents_the_section():
    from pathlib import Path

    example = Path(__file__).resolve().parents[2] / "config.example.yaml"
    text = example.read_text()
    for key in ("sentiment:", "backend:", "escalation:", "recall:", "threshold:", "always:"):
        assert key in text
