"""Numpy-only fitting for the learned backend: L2 logistic regressions and their calibration.

Both fitters use Böhning's bound (a fixed matrix above the Hessian), so one matrix inverse per
fit serves every iteration, and several yes/no targets with the same row weights share it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sentiment.learned_features import names

FOLDS = 5
EMB = 384
"""Width of the e5 embedding at the front of every feature row."""
SCORE_FEATURES = ("has_score", "question_", "score_scaled", "segment_", "hard_low")


def _with_bias(x: Any) -> Any:
    return np.hstack([x, np.ones((len(x), 1))])


def _penalty(d: int, lam: float) -> Any:
    return np.r_[np.full(d, lam), 1e-6]


def fit_softmax(x: Any, labels: Any, sw: Any, lam: float, iters: int = 400) -> tuple[Any, Any]:
    """Weighted L2 multinomial logistic regression; returns (weights d x K, bias K).

    ``labels`` are class indices 0..K-1; ``sw`` are row weights (normalised here).
    """
    n, d = x.shape
    k = int(labels.max()) + 1
    xb = _with_bias(x)
    sw = sw / sw.sum()
    onehot = np.eye(k)[labels]
    bound = 0.5 * (np.eye(k - 1) - np.ones((k - 1, k - 1)) / k)
    pen = _penalty(d, lam)
    h = np.kron(bound, (xb * sw[:, None]).T @ xb) + np.kron(np.eye(k - 1), np.diag(pen))
    hinv = np.linalg.inv(h)
    beta = np.zeros((d + 1, k - 1))
    for _ in range(iters):
        logits = np.hstack([xb @ beta, np.zeros((n, 1))])
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(axis=1, keepdims=True)
        grad = xb.T @ (sw[:, None] * (p[:, : k - 1] - onehot[:, : k - 1])) + pen[:, None] * beta
        step = (hinv @ grad.T.reshape(-1)).reshape(k - 1, d + 1).T
        beta -= step
        if np.abs(step).max() < 1e-6:
            break
    full = np.hstack([beta, np.zeros((d + 1, 1))])
    return full[:-1], full[-1]


def fit_binary(x: Any, targets: Any, sw: Any, lam: float, iters: int = 400) -> tuple[Any, Any]:
    """Weighted L2 logistic regressions, one per column of ``targets`` (n x m, 0/1).

    Returns (weights d x m, bias m). All columns share the row weights ``sw``.
    """
    n, d = x.shape
    y = targets.reshape(n, -1).astype(float)
    xb = _with_bias(x)
    sw = sw / sw.sum()
    pen = _penalty(d, lam)
    hinv = np.linalg.inv(0.25 * (xb * sw[:, None]).T @ xb + np.diag(pen))
    beta = np.zeros((d + 1, y.shape[1]))
    for _ in range(iters):
        p = 1.0 / (1.0 + np.exp(-(xb @ beta)))
        step = hinv @ (xb.T @ (sw[:, None] * (p - y)) + pen[:, None] * beta)
        beta -= step
        if np.abs(step).max() < 1e-6:
            break
    return beta[:-1], beta[-1]


def balanced(classes: Any, base: Any) -> Any:
    """Row weights that give every class the same total weight."""
    w = base.astype(float).copy()
    values = np.unique(classes)
    for c in values:
        mask = classes == c
        w[mask] *= base.sum() / (len(values) * base[mask].sum())
    return w


def folds(n: int, seed: int = 0) -> Any:
    """A fixed fold number per row."""
    return np.random.default_rng(seed).permutation(n) % FOLDS


def temperature(logits: Any, labels: Any) -> float:
    """The softmax temperature that minimises the negative log-likelihood (grid search)."""
    best = (np.inf, 1.0)
    for t in np.exp(np.linspace(np.log(0.25), np.log(4.0), 61)):
        z = logits / t
        z = z - z.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        nll = -float(np.mean(logp[np.arange(len(labels)), labels]))
        best = min(best, (nll, float(t)))
    return best[1]


def platt(raw: Any, y: Any) -> tuple[float, float]:
    """Platt scaling: (a, b) so that sigmoid(a * raw + b) is calibrated on (raw, y)."""
    w, b = fit_binary(raw.reshape(-1, 1), y, np.ones(len(y)), 1e-6, iters=2000)
    return float(w[0, 0]), float(b[0])


def scales(rules: float, score: float) -> Any:
    """Per-column multipliers of the standardised features for one (rules, score) scale."""
    out = np.ones(EMB + len(names()))
    for j, name in enumerate(names()):
        out[EMB + j] = score if name.startswith(SCORE_FEATURES) else rules
    return out
