"""``sentiment.processes``: validated with an error naming the key; what ``auto`` means."""

import os

import pytest

from bot.config import Config, ConfigError, load_config
from sentiment.service import resolve_processes


@pytest.mark.parametrize("value", ["-1", "17", "two", "true", "2.5", "[]"])
def test_a_bad_process_count_is_an_error_naming_the_key(tmp_path, value):
    path = tmp_path / "config.yaml"
    path.write_text(f"sentiment:\n  processes: {value}\n")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    assert "sentiment.processes" in str(err.value)
    assert "auto or a whole number from 0 to 16" in str(err.value)


@pytest.mark.parametrize(("value", "expected"), [("auto", "auto"), ("0", 0), ("3", 3)])
def test_good_process_counts_load(tmp_path, value, expected):
    path = tmp_path / "config.yaml"
    path.write_text(f"sentiment:\n  processes: {value}\n")
    cfg = load_config(path)
    assert cfg.sentiment.processes == expected
    assert cfg.sentiment.scoring().processes == expected


def test_the_default_is_the_thread_and_the_example_documents_it():
    from pathlib import Path

    assert Config().sentiment.processes == 0
    example = Path(__file__).resolve().parents[2] / "config.example.yaml"
    assert "  processes: 0" in example.read_text()


def test_auto_means_two_processes_on_two_cores_for_a_model_only():
    cores = len(os.sched_getaffinity(0))
    assert resolve_processes("auto", model_backend=True) == (2 if cores >= 2 else 0)
    assert resolve_processes("auto", model_backend=False) == 0
    assert resolve_processes(4, model_backend=False) == 0  # the rules stay in-process
    assert resolve_processes(1, model_backend=True) == 0  # one: the in-process thread
    assert resolve_processes(3, model_backend=True) == 3


async def test_the_rules_backend_starts_no_processes():
    from sentiment.service import Scoring

    scoring = Scoring("rules", processes=2)
    assert await scoring.warm() == "rules"
    assert (await scoring("the parcel never arrived", score=2)).escalate
    assert scoring.worker_pids() == []
    scoring.close()
