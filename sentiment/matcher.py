"""Finding intent and theme cues in a reply, with negation ("no damage" is not damage)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass


def _cue_pattern(cue: str) -> str:
    cue = " ".join(str(cue).lower().replace("’", "'").split())
    if cue.endswith("*"):
        return re.escape(cue[:-1]) + r"[\w'-]*"
    return re.escape(cue)


@dataclass(frozen=True, slots=True)
class Hit:
    """One category found in a reply, with the text that matched."""

    name: str
    cue: str


class CueMatcher:
    """Matches named lists of cues (one regex per name) against a tokenized reply."""

    def __init__(
        self,
        cues: dict[str, Iterable[str]],
        negators: Iterable[str] = (),
        negatable: Iterable[str] = (),
    ) -> None:
        """Compile one alternation per name; cues ending in * match any word ending.

        Names in ``negatable`` are dropped after a negator ("no damage"); others are not
        ("no refund yet" is still about a refund).
        """
        self._patterns: list[tuple[str, re.Pattern[str]]] = []
        bodies = []
        for name, items in cues.items():
            parts = sorted({_cue_pattern(c) for c in items or () if str(c).strip()}, key=len)
            if parts:
                body = "|".join(reversed(parts))
                bodies.append(body)
                self._patterns.append((name, re.compile(rf"(?<![\w'])(?:{body})(?![\w'])")))
        # one pass over the reply tells whether any cue occurs at all (most replies: none)
        self._any = re.compile(rf"(?<![\w'])(?:{'|'.join(bodies)})(?![\w'])") if bodies else None
        self._negators = frozenset(negators)
        self._negatable = frozenset(negatable)

    def find(self, joined: str, first_only: bool = True) -> list[Hit]:
        """Return the categories whose cues occur in ``joined`` (space-separated tokens).

        A cue directly preceded (within two words) by a negator does not count, unless the
        negator is part of the cue itself.
        """
        hits: list[Hit] = []
        if self._any is None or self._any.search(joined) is None:
            return hits
        for name, pattern in self._patterns:
            for m in pattern.finditer(joined):
                if name not in self._negatable:
                    hits.append(Hit(name, m.group(0).strip()))
                    break
                before = joined[max(0, m.start() - 30) : m.start()].split()[-2:]
                if any(w in self._negators or w.endswith("n't") for w in before):
                    continue
                hits.append(Hit(name, m.group(0).strip()))
                if first_only:
                    break
        return hits
