"""Train the learned backend's heads; writes ``sentiment/data/learned_head.json``.

Run: ``python -m sentiment.train_learned``.

Rows: the train part of the check-in replies (:func:`sentiment.dataset.train_rows`; the frozen
test part is never opened here). Only two parts see review prose (the train halves of the UCI
and VADER sets, and the project's own review-style rows in ``tests/data/reviews``): the general
head, fitted on them (:mod:`sentiment.train_general`; ``--no-general`` leaves it out), and the
domain gate, fitted on them against the check-in replies (:mod:`sentiment.train_gate`;
``--no-gate``). No held-out half and no bol.com row is read. Every choice is made by 5-fold
cross-validation on the check-in rows, scored on the rows written under the label guide
(``checkin/*_train.csv`` and the blind writers' training replies, the kind of reply the test
parts hold; :func:`sentiment.dataset.written_under_guide`):

- sentiment: the regularisation and how much the rules' features and the score may weigh
  against the embedding (a per-group scale), by mean macro-F1 over the two languages; the
  temperature; then the weight of a text-only head (embedding alone) blended in, by the
  one-standard-error rule (:mod:`sentiment.train_choices`), so the model leans on the words
  wherever that costs nothing measurable; last the general head's weight, by the same rule,
  once for replies with a score and once for replies without
  (:func:`sentiment.train_general.choose_blend`), and then how far the domain gate may raise
  the weight for replies without a score that read like review prose
  (:mod:`sentiment.train_gate`; ``--no-gate`` leaves the gate out);
- escalation: regularisation and rule scale by precision at a cross-validated recall of 0.97,
  Platt scaling, and the cut-off whose per-language recall stays >= 0.95 with 95 % confidence;
- themes: regularisation, cut-off and "model or rules" per theme, by F1.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import numpy as np

from sentiment.dataset import LANGS, THEMES, Row, train_rows, written_under_guide
from sentiment.embeddings import STYLES, Encoder, encode_cached
from sentiment.fitting import EMB, balanced, fit_softmax, folds, scales, temperature
from sentiment.learned import HEAD_FILE
from sentiment.learned_features import ENCODER_STYLE, cut, names, rules_view
from sentiment.learned_general import blend, general_inputs, has_score, probabilities
from sentiment.metrics import macro_f1
from sentiment.operating_point import OperatingPoint
from sentiment.result import LABELS
from sentiment.rules import RulesAnalyzer
from sentiment.train_choices import f1_by_fold, one_se_weight
from sentiment.train_escalation import escalation_head
from sentiment.train_gate import choose_gate_weight, train_gate
from sentiment.train_general import choose_blend, review_prose_rows, train_general
from sentiment.train_themes import theme_heads

ROOT = Path(__file__).resolve().parent.parent
SENT_LAMBDAS = (0.05, 0.1, 0.2)
SENT_SCALES = ((1.0, 1.0), (2.0, 2.0), (2.0, 3.0), (3.0, 3.0))
"""(rules' features, score features): scaling a standardised column by c divides its L2
penalty by c squared, so the grid asks how much the rules and the score may weigh."""
BLEND = (0.0, 0.1, 0.2, 0.3, 0.4, 0.5)


def featurize(rows: list[Row], rules: RulesAnalyzer, style: str = ENCODER_STYLE) -> Any:
    """Embedding (cached on disk) and rule features of every row."""
    vecs = [rules_view(rules, r.item())[2] for r in rows]
    emb = encode_cached(Encoder(style), [cut(r.text) for r in rows])
    return np.hstack([np.asarray(emb, dtype=np.float64), np.asarray(vecs, dtype=np.float64)])


def _oof_softmax(z: Any, y: Any, fold: Any, lam: float) -> Any:
    logits = np.zeros((len(y), len(LABELS)))
    for k in range(fold.max() + 1):
        fit, test = fold != k, fold == k
        w, b = fit_softmax(z[fit], y[fit], balanced(y[fit], np.ones(fit.sum())), lam)
        logits[test] = z[test] @ w + b
    return logits


def _softmax(logits: Any) -> Any:
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def _per_lang(y: Any, pred: Any, langs: Any, guide: Any) -> dict[str, float]:
    return {
        g: round(macro_f1(list(y[guide & (langs == g)]), list(pred[guide & (langs == g)])), 4)
        for g in LANGS
    }


def sentiment_head(
    z: Any,
    y: Any,
    fold: Any,
    langs: Any,
    guide: Any,
    general: tuple[Any, Any] | None = None,
    likeness: Any = None,
) -> dict[str, Any]:
    """Choose lambda and the feature scales, then the text-only blend; fit; calibrate.

    ``general``: the general head's probabilities on these rows and which rows have a score;
    its blend weights are chosen last, on the blended out-of-fold probabilities, and after
    them the domain gate's weight from its out-of-fold P(review-like) (``likeness``).
    """
    scores, oofs = {}, {}
    for lam in SENT_LAMBDAS:
        for rs, ss in SENT_SCALES:
            logits = _oof_softmax(z * scales(rs, ss), y, fold, lam)
            scores[(lam, rs, ss)] = float(
                np.mean(f1_by_fold(y, logits.argmax(1), fold, langs, guide))
            )
            oofs[(lam, rs, ss)] = logits
    lam, rs, ss = max(scores, key=lambda key: scores[key])
    main = oofs[(lam, rs, ss)]
    temp = temperature(main, y)
    text_scores = {}
    text_oofs = {}
    for t_lam in (0.1, 0.3):
        text_oofs[t_lam] = _oof_softmax(z[:, :EMB], y, fold, t_lam)
        text_scores[t_lam] = float(
            np.mean(f1_by_fold(y, text_oofs[t_lam].argmax(1), fold, langs, guide))
        )
    t_lam = max(text_scores, key=lambda k: text_scores[k])
    t_temp = temperature(text_oofs[t_lam], y)
    p_main, p_text = _softmax(main / temp), _softmax(text_oofs[t_lam] / t_temp)
    per_fold = {
        a: f1_by_fold(y, ((1 - a) * p_main + a * p_text).argmax(1), fold, langs, guide)
        for a in BLEND
    }
    alpha, blend_info = one_se_weight(per_fold)
    col = scales(rs, ss)
    w, b = fit_softmax(z * col, y, balanced(y, np.ones(len(y))), lam)
    tw, tb = fit_softmax(z[:, :EMB], y, balanced(y, np.ones(len(y))), t_lam)
    p_both = (1 - alpha) * p_main + alpha * p_text
    final = p_both.argmax(1)
    mixed: dict[str, Any] = {}
    if general is not None:
        names_y = np.asarray(LABELS)[y]
        choice = choose_blend(p_both, general[0], names_y, fold, langs, guide, general[1])
        weights = (choice["scored"]["weight"], choice["unscored"]["weight"])
        mixed = {
            "general_blend": {"scored": weights[0], "unscored": weights[1], "cv": choice},
            "cv_macro_f1_per_language_before_general": _per_lang(y, final, langs, guide),
        }
        final = blend(p_both, general[0], general[1], weights).argmax(1)
        if likeness is not None:
            gate = choose_gate_weight(
                p_both, general[0], names_y, fold, langs, guide, general[1], weights, likeness
            )
            mixed["general_blend"]["gate"] = gate["weight"]
            mixed["gate_choice"] = gate
            mixed["cv_macro_f1_per_language_before_gate"] = _per_lang(y, final, langs, guide)
            final = blend(p_both, general[0], general[1], weights, likeness, gate["weight"]).argmax(
                1
            )
    return {
        "weights": np.round(w * col[:, None], 6).tolist(),
        "bias": np.round(b, 6).tolist(),
        "temperature": round(temp, 4),
        "lambda": lam,
        "rule_scale": rs,
        "score_scale": ss,
        "text_only": {
            "weights": np.round(tw, 6).tolist(),
            "bias": np.round(tb, 6).tolist(),
            "temperature": round(t_temp, 4),
            "lambda": t_lam,
            "alpha": alpha,
            "cv_alpha": blend_info,
        },
        "cv_macro_f1_per_language": _per_lang(y, final, langs, guide),
        **mixed,
        "cv_macro_f1_per_language_unblended": _per_lang(y, main.argmax(1), langs, guide),
        "cv_macro_f1_text_only": _per_lang(y, text_oofs[t_lam].argmax(1), langs, guide),
        "cv_grid": {f"{k[0]}/{k[1]}/{k[2]}": round(v, 4) for k, v in scores.items()},
    }


def main(argv: list[str] | None = None) -> int:
    """Featurize the train rows, fit and choose every head, write the head file."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "data" / HEAD_FILE)
    parser.add_argument(
        "--style",
        default=ENCODER_STYLE,
        choices=sorted(STYLES),
        help="how replies are given to the encoder (a head for another style is refused by the"
        " backend: for comparing styles by cross-validation)",
    )
    parser.add_argument(
        "--shared",
        type=Path,
        default=ROOT.parent / "shared/data/sentiment",
        help="the public sets whose train halves the general head is fitted on",
    )
    parser.add_argument("--no-general", action="store_true", help="no general head")
    parser.add_argument(
        "--no-gate", action="store_true", help="no domain gate (one blend weight per group)"
    )
    args = parser.parse_args(argv)
    rows = [r for lang in LANGS for r in train_rows(lang)]
    rules = RulesAnalyzer()
    x = featurize(rows, rules, args.style)
    gen_head = None if args.no_general else train_general(args.shared, rules, args.style)
    general = None
    if gen_head is not None:
        general = (
            probabilities(gen_head, general_inputs(x[:, :EMB], x[:, EMB:])),
            has_score(x[:, EMB:]),
        )
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-6
    z = (x - mean) / scale
    y = np.asarray([LABELS.index(r.sentiment) for r in rows])
    fold = folds(len(rows))
    langs = np.asarray([r.lang for r in rows])
    guide = np.asarray([written_under_guide(r) for r in rows])
    gate, likeness = None, None
    if general is not None and not args.no_gate:
        prose = review_prose_rows(args.shared)
        review = encode_cached(Encoder(args.style), [cut(r[0]) for r in prose])
        prose_langs = np.asarray([r[1] for r in prose])
        gate, likeness = train_gate(x[:, :EMB], langs, fold, review, prose_langs)
    head: dict[str, Any] = {
        "version": 2,
        "encoder_style": args.style,
        "features": ["e5-small query embedding"] * EMB + names(),
        "train_rows": {"checkin": len(rows), "label_guide": int(guide.sum())},
        "mean": np.round(mean, 6).tolist(),
        "scale": np.round(scale, 6).tolist(),
        "sentiment": sentiment_head(z, y, fold, langs, guide, general, likeness),
    }
    if gen_head is not None:
        head["general"] = gen_head
    if gate is not None:
        head["domain_gate"] = gate
    esc = np.asarray([float(r.escalate) for r in rows])
    always = [EMB + names().index(f"intent_{i}") for i in OperatingPoint().always]
    forced = (x[:, always] > 0).any(axis=1)
    head["escalation"] = escalation_head(z, esc, forced, fold, langs, guide)
    first_theme = EMB + names().index(f"theme_{THEMES[0]}")
    rule_hits = x[:, first_theme : first_theme + len(THEMES)]
    head["themes"] = theme_heads(z, rule_hits, rows, fold)
    args.out.write_text(json.dumps(head, separators=(",", ":")), encoding="utf-8")
    skip = ("weights", "bias", "curve")
    summary = {
        "encoder_style": args.style,
        "train_rows": head["train_rows"],
        "sentiment": {
            k: ({kk: vv for kk, vv in v.items() if kk not in skip} if isinstance(v, dict) else v)
            for k, v in head["sentiment"].items()
            if k not in skip
        },
        "escalation": {k: v for k, v in head["escalation"].items() if k not in skip},
        "general": {
            k: v
            for k, v in (head.get("general") or {}).items()
            if k not in ("mean", "scale", "polar", "direction")
        },
        "domain_gate": {
            k: v
            for k, v in (head.get("domain_gate") or {}).items()
            if k not in ("mean", "scale", "weights", "centres")
        },
        "themes": {
            t: {k: h[k] for k in ("cv_f1", "rules_f1", "mode", "train_rows")}
            for t, h in head["themes"].items()
        },
    }
    print(json.dumps(summary, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
