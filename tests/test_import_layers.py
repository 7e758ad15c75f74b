"""The import-linter contracts in pyproject.toml hold (the same check as `lint-imports` in
.ci/run), and the checker really reads this code: a contract the code breaks is reported."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


def test_the_layer_contracts_are_kept() -> None:
    result = _lint()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 6 kept, 0 broken." in result.stdout


def test_a_broken_contract_fails_and_names_the_import(tmp_path: Path) -> None:
    # handlers do import storage (the SQLModel tables): forbidding it must fail, naming a line.
    config = tmp_path / "broken.toml"
    config.write_text(
        "[tool.importlinter]\n"
        'root_packages = ["handlers", "storage"]\n'
        "[[tool.importlinter.contracts]]\n"
        'name = "probe"\n'
        'type = "forbidden"\n'
        'source_modules = ["handlers.conversation"]\n'
        'forbidden_modules = ["storage.models"]\n',
        encoding="utf-8",
    )
    result = _lint("--config", str(config))
    assert result.returncode == 1
    assert "probe BROKEN" in result.stdout
    assert "handlers.conversation -> storage.models" in result.stdout
