"""Labelled check-in replies: the train part (for fitting and choosing), the frozen test part.

Files (``tests/data``; columns in ``tests/data/checkin/LABEL_GUIDE.md``):

- train: ``checkin/{lang}_train.csv`` and the older ``checkin_replies_{lang}.csv`` (seen while the
  rules were written, so they can only ever be training rows);
- test: ``checkin/{lang}_test.csv``, frozen. Only :func:`test_rows` reads it, and only
  ``benchmarks/sentiment_eval.py`` calls that, to print aggregate figures;
- review-style text (``reviews/{lang}_reviews_train.csv``): not check-in replies but what people
  post on review sites, written for this project; training rows only, for the learned backend's
  general head and its domain gate (:func:`review_rows`);
- blind replies (``blind/{lang}_{writer}.csv``, see ``tests/data/blind/README.md``): written by
  writers who saw only the label guide, never the rules or any other row. The A, C and D
  writers' rows are training rows (:data:`BLIND_TRAINED`); the B writers' are read only by
  ``benchmarks/sentiment_eval.py --split blind-b``, for aggregate figures (:func:`blind_rows`).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
LANGS = ("en", "nl")
THEMES = (
    "delivery",
    "damage",
    "installation",
    "product_quality",
    "price",
    "support",
    "returns_refunds",
    "website_app",
)


@dataclass(frozen=True, slots=True)
class Row:
    """One labelled reply; ``themes`` is None where the file has no theme labels."""

    text: str
    lang: str
    score: int | None
    question: str | None
    sentiment: str
    escalate: bool
    themes: tuple[str, ...] | None
    case: str
    source: str
    ident: str = ""

    def item(self) -> dict[str, object]:
        """The reply as an ``analyze_many`` item."""
        return {
            "text": self.text,
            "lang": self.lang,
            "score": self.score,
            "question": self.question,
        }


def read(path: Path) -> list[Row]:
    """Read one labelled CSV file (old or new columns)."""
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        has_themes = "themes" in (reader.fieldnames or ())
        out = []
        for r in reader:
            score = (r.get("score") or "").strip()
            themes = None
            if has_themes:
                themes = tuple(t.strip() for t in (r.get("themes") or "").split(";") if t.strip())
            out.append(
                Row(
                    text=r.get("text") or "",
                    lang=(r.get("lang") or "").strip(),
                    score=int(float(score)) if score else None,
                    question=(r.get("question") or "").strip() or None,
                    sentiment=(r.get("sentiment") or "").strip(),
                    escalate=(r.get("escalate") or "").strip().lower() == "yes",
                    themes=themes,
                    case=(r.get("case") or "").strip(),
                    source=path.name,
                    ident=(r.get("id") or "").strip(),
                )
            )
    return out


BLIND_TRAINED = ("A", "C", "D")
"""The blind writers whose replies are training rows; the others' are read for figures only
(``tests/data/blind/README.md``: the plan, committed before any blind row existed)."""


def train_files(lang: str, data: Path = DATA) -> list[Path]:
    """The train-side files of one language that exist: the guide-written train part, the
    older set, and the replies of the blind writers in :data:`BLIND_TRAINED`."""
    files = [data / "checkin" / f"{lang}_train.csv", data / f"checkin_replies_{lang}.csv"]
    files += [data / "blind" / f"{lang}_{w}.csv" for w in BLIND_TRAINED]
    return [f for f in files if f.exists()]


def written_under_guide(row: Row) -> bool:
    """True for rows written under the label guide (the kind the test parts hold): the train
    part and the blind writers' rows; the older set was written before the guide."""
    blind = {f"{row.lang}_{w}.csv" for w in BLIND_TRAINED}
    return row.source.endswith("_train.csv") or row.source in blind


def train_rows(lang: str, data: Path = DATA) -> list[Row]:
    """Every train-side row of one language."""
    return [r for f in train_files(lang, data) for r in read(f)]


def test_file(lang: str, data: Path = DATA) -> Path:
    """The frozen test part of one language (never read by training code)."""
    return data / "checkin" / f"{lang}_test.csv"


def test_rows(lang: str, data: Path = DATA) -> list[Row]:
    """The frozen test rows (for aggregate figures only: never print them)."""
    return read(test_file(lang, data))


def review_rows(data: Path = DATA) -> list[tuple[str, str, str, str]]:
    """(text, lang, sentiment, "reviews") of the project's own review-style rows, both languages."""
    out = []
    for lang in LANGS:
        path = data / "reviews" / f"{lang}_reviews_train.csv"
        if not path.exists():
            continue
        with path.open(encoding="utf-8", newline="") as fh:
            out += [(r["text"], r["lang"], r["sentiment"], "reviews") for r in csv.DictReader(fh)]
    return out


BLIND_WRITERS = ("A", "B")


def blind_rows(lang: str, writers: tuple[str, ...] = BLIND_WRITERS, data: Path = DATA) -> list[Row]:
    """The replies of these blind writers in one language, with the writers' own labels. Only
    the B writers' are out of sample for the learned backend (the default adds the A writers',
    which it trains on since its eighth version, as the other backends never did)."""
    files = [data / "blind" / f"{lang}_{w}.csv" for w in writers]
    return [r for f in files if f.exists() for r in read(f)]


def blind_relabels(lang: str, data: Path = DATA) -> dict[str, tuple[str, bool]]:
    """The second labeller's (sentiment, escalate) per row id of one language's blind replies."""
    path = data / "blind" / f"{lang}_relabel.csv"
    if not path.exists():
        return {}
    with path.open(encoding="utf-8", newline="") as fh:
        return {
            r["id"]: (r["sentiment"].strip(), r["escalate"].strip().lower() == "yes")
            for r in csv.DictReader(fh)
        }


def blind_reviews(data: Path = DATA) -> list[tuple[str, str, str]]:
    """(text, lang, label) of the blind writer's review prose (an out-of-domain check only)."""
    path = data / "blind" / "reviews_blind.csv"
    if not path.exists():
        return []
    with path.open(encoding="utf-8", newline="") as fh:
        return [(r["text"], r["lang"], r["label"].strip()) for r in csv.DictReader(fh)]
