"""Figures on the blind check-in replies (``tests/data/blind``): written by writers who saw only
the label guide, so they test what the frozen test part cannot, replies in someone else's words.

Reporting only, nothing is chosen from them (the plan is in ``tests/data/blind/README.md``):

- per language, every system's figures with the writers' labels (the primary figures);
- the same on the rows where a second labeller, who never saw the writers' labels, gave the
  same sentiment and escalation (the secondary figures), and the agreement itself as Cohen's
  kappa, which says how far two careful readers of one guide already differ;
- the same on the rows with words that no training row of the learned backend has verbatim
  (``unseen_rows``: independent writers still write "Love it!" and "👍"; this says how much such
  repeats flatter the figures; rows with a score and no words are left out too);
- the learned backend's macro-F1 minus the rules' and the embeddings backend's, with a 95 %
  paired bootstrap interval (:mod:`benchmarks._paired_bootstrap`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sentiment.dataset import Row, blind_relabels, train_rows
from sentiment.metrics import macro_f1


def words_of(text: str) -> str:
    """A reply's words as compared for repeats: lower case, white space collapsed."""
    return " ".join(text.lower().split())


def trained_words(lang: str) -> set[str]:
    """The words of every training row of the learned backend in one language."""
    return {words_of(r.text) for r in train_rows(lang)}


def cohen_kappa(first: Sequence[Any], second: Sequence[Any]) -> float:
    """Agreement of two labellers beyond chance (1 is full agreement, 0 is chance)."""
    n = len(first)
    if n == 0:
        return float("nan")
    classes = set(first) | set(second)
    seen = sum(a == b for a, b in zip(first, second, strict=True)) / n
    chance = sum((list(first).count(c) / n) * (list(second).count(c) / n) for c in classes)
    return 1.0 if chance == 1 else (seen - chance) / (1 - chance)


def agreement(
    rows: list[Row], relabels: dict[str, tuple[str, bool]]
) -> tuple[dict[str, Any], list[Row]]:
    """Kappa between writer and second labeller (``relabels``: (sentiment, escalate) per row
    id), and the rows on which the two agree on both."""
    both = [(r, relabels[r.ident]) for r in rows if r.ident in relabels]
    if not both:
        return {"relabelled": 0}, []
    figures = {
        "relabelled": len(both),
        "kappa_sentiment": cohen_kappa([r.sentiment for r, _ in both], [s for _, (s, _e) in both]),
        "kappa_escalate": cohen_kappa([r.escalate for r, _ in both], [e for _, (_s, e) in both]),
    }
    agreed = [r for r, (s, e) in both if s == r.sentiment and e == r.escalate]
    figures["agreed_rows"] = len(agreed)
    return figures, agreed


def blind_report(
    ours: dict[str, Any],
    baselines: dict[str, Callable[[Row], str]],
    by_lang: dict[str, list[Row]],
    scores_of: Callable[[list[Row], list[Any]], dict[str, Any]],
    relabels_of: Callable[[str], dict[str, tuple[str, bool]]] = blind_relabels,
    trained_of: Callable[[str], set[str]] = trained_words,
) -> dict[str, Any]:
    """Primary and secondary figures per language, agreement, and the learned backend's gaps.

    Every system reads each language's rows once; the subsets are scored from those analyses
    (``scores_of``: a backend's figures from its analyses of the rows, in order)."""
    from benchmarks._paired_bootstrap import paired_difference

    report: dict[str, Any] = {}
    for lang, rows in by_lang.items():
        agree, agreed = agreement(rows, relabels_of(lang))
        trained = trained_of(lang)
        unseen = [r for r in rows if words_of(r.text) and words_of(r.text) not in trained]
        part: dict[str, Any] = {"rows": len(rows), "agreement": agree, "unseen": len(unseen)}
        found = {name: a.analyze_many([r.item() for r in rows]) for name, a in ours.items()}
        found |= {name: [label_of(r) for r in rows] for name, label_of in baselines.items()}
        at = {id(r): i for i, r in enumerate(rows)}
        for label, subset in (("all_rows", rows), ("agreed_rows", agreed), ("unseen_rows", unseen)):
            if not subset:
                continue
            gold, picked = [r.sentiment for r in subset], [at[id(r)] for r in subset]
            part[label] = {
                name: scores_of(subset, [found[name][i] for i in picked])
                if name in ours
                else {"macro_f1": macro_f1(gold, [found[name][i] for i in picked])}
                for name in found
            }
        if "mentorbot_learned" in ours and rows:
            labels = {name: [x.label for x in found[name]] for name in ours}
            gold = [r.sentiment for r in rows]
            part["learned_minus"] = {
                other: paired_difference(gold, labels["mentorbot_learned"], labels[other])
                for other in labels
                if other != "mentorbot_learned"
            }
        report[lang] = part
    return report
