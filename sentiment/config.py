"""Loading the data files under ``sentiment/data`` and an operator's optional extra file."""

from __future__ import annotations

import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

import yaml


class _Loader(yaml.SafeLoader):
    """YAML 1.2-style booleans: only true/false, so cue words like "no", "yes", "on" stay text."""


_Loader.yaml_implicit_resolvers = {
    key: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)

DATA_FILES = (
    "thresholds.yaml",
    "languages.yaml",
    "lexicon_en.yaml",
    "lexicon_nl.yaml",
    "emoji.yaml",
    "intents.yaml",
    "themes.yaml",
)


def merge(base: dict[str, Any], extra: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge ``extra`` into a copy of ``base``: dicts merge, lists extend, scalars replace."""
    out = dict(base)
    for key, value in extra.items():
        old = out.get(key)
        if isinstance(old, dict) and isinstance(value, dict):
            out[key] = merge(old, value)
        elif isinstance(old, list) and isinstance(value, list):
            out[key] = old + [v for v in value if v not in old]
        else:
            out[key] = value
    return out


def read_file(path: str | Path) -> dict[str, Any]:
    """Read one YAML or JSON data file into a dict (an empty file gives ``{}``)."""
    text = Path(path).read_text(encoding="utf-8")
    data = json.loads(text) if str(path).endswith(".json") else yaml.load(text, Loader=_Loader)
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: expected a mapping at the top level")
    return data


def load_data(extra: str | Path | None = None) -> dict[str, Any]:
    """Load all bundled data files, then merge the operator's ``extra`` file over them."""
    data: dict[str, Any] = {}
    folder = resources.files("sentiment") / "data"
    for name in DATA_FILES:
        with resources.as_file(folder / name) as path:
            data = merge(data, read_file(path))
    if extra is not None:
        data = merge(data, read_file(extra))
    return data
