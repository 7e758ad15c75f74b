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
        (
            "sentiment:\n  escalation:\n    history:\n      repeat_complaints: -1\n",
            "sentiment.escalation.history.repeat_complaints",
        ),
        (
            "sentiment:\n  escalation:\n    history:\n      open_cases: true\n",
            "sentiment.escalation.history.open_cases",
        ),
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
    for key in (
        "sentiment:",
        "backend:",
        "escalation:",
        "recall:",
        "threshold:",
        "always:",
        "history:",
        "repeat_complaints:",
    ):
        assert key in text


def test_the_history_section_reaches_the_policy(tmp_path):
    path = tmp_path / "config.yaml"
    path.write_text(
        "sentiment:\n  escalation:\n    history:\n      open_case: false\n"
        "      repeat_complaints: 2\n"
    )
    policy = load_config(path).sentiment.escalation.point().history
    assert (policy.open_case, policy.after_case, policy.repeat_complaints) == (False, True, 2)
    default = Config().sentiment.escalation.point().history
    assert (default.open_case, default.after_case, default.repeat_complaints) == (True, True, 1)
