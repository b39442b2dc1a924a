"""Per-study metrics with 95% intervals, in plain numpy (no statistics package).

Used by tools/make_models.py and examples/failing/tools/build_findings.py to print
what the models reach on a reference set.  The methods are the ones the claims are
judged by:

- sensitivity and specificity at a threshold: the Wilson score interval;
- ROC AUC: DeLong's variance (structural components), AUC +/- z*sd clipped to 0..1;
- the macro AUC (mean over findings): the DeLong covariance of the findings' AUCs
  (the same studies score every finding);
- new minus released AUC: the paired DeLong variance of the difference;
- new minus released sensitivity: Newcombe's hybrid score interval for paired
  proportions (method 10 of R. G. Newcombe, Statistics in Medicine 17:2635, 1998);
- for comparison, a percentile bootstrap that resamples patients (2000 draws).
"""

from __future__ import annotations

import math

import numpy as np

Z95 = 1.959963984540054


def wilson(k: int, n: int) -> tuple[float, float]:
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    z2 = Z95 * Z95
    denom = 1.0 + z2 / n
    center = (p + z2 / (2 * n)) / denom
    half = Z95 * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denom
    return (max(0.0, center - half), min(1.0, center + half))


def _midranks(x: np.ndarray) -> np.ndarray:
    order = np.argsort(x, kind="mergesort")
    xs = x[order]
    ranks = np.empty(len(x))
    i = 0
    while i < len(xs):
        j = i
        while j + 1 < len(xs) and xs[j + 1] == xs[i]:
            j += 1
        ranks[order[i:j + 1]] = 0.5 * (i + j) + 1.0
        i = j + 1
    return ranks


def placements(y: np.ndarray, s: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """AUC and DeLong's structural components V10 (positives) and V01 (negatives)."""
    y = np.asarray(y).astype(bool)
    s = np.asarray(s, np.float64)
    x, z = s[y], s[~y]
    m, n = len(x), len(z)
    tx, tz, ta = _midranks(x), _midranks(z), _midranks(np.concatenate([x, z]))
    v10 = (ta[:m] - tx) / n
    v01 = 1.0 - (ta[m:] - tz) / m
    return float(v10.mean()), v10, v01


def auc_delong(y, s) -> tuple[float, float, float]:
    """AUC and its DeLong 95% interval; (0, 1) when a class has fewer than 2 cases."""
    auc, v10, v01 = placements(y, s)
    if len(v10) < 2 or len(v01) < 2:
        return auc, 0.0, 1.0
    var = v10.var(ddof=1) / len(v10) + v01.var(ddof=1) / len(v01)
    half = Z95 * math.sqrt(max(var, 0.0))
    return auc, max(0.0, auc - half), min(1.0, auc + half)


def _cov_components(pairs) -> np.ndarray:
    """Covariance matrix of several AUCs from their structural components.

    pairs: list of (v10, v01) over the SAME positives and negatives (paired design).
    """
    k = len(pairs)
    s10 = np.cov(np.stack([p[0] for p in pairs]), ddof=1).reshape(k, k)
    s01 = np.cov(np.stack([p[1] for p in pairs]), ddof=1).reshape(k, k)
    return s10 / len(pairs[0][0]) + s01 / len(pairs[0][1])


def auc_difference(y, s_new, s_old) -> tuple[float, float, float]:
    """new - old AUC on the same cases, with the paired DeLong 95% interval."""
    a1, v10a, v01a = placements(y, s_new)
    a0, v10b, v01b = placements(y, s_old)
    c = _cov_components([(v10a, v01a), (v10b, v01b)])
    var = c[0, 0] + c[1, 1] - 2 * c[0, 1]
    half = Z95 * math.sqrt(max(var, 0.0))
    d = a1 - a0
    return d, d - half, d + half


def macro_auc(Y: np.ndarray, S: np.ndarray) -> tuple[float, float, float]:
    """Mean AUC over findings; its variance from the DeLong covariance across findings.

    The findings have different positives, so the covariance is taken through the
    per-study influence of each AUC (placement value minus AUC, scaled by the class
    size), which reduces to DeLong's variance for one finding.
    """
    n = Y.shape[0]
    aucs, infl = [], []
    for j in range(Y.shape[1]):
        y = Y[:, j].astype(bool)
        auc, v10, v01 = placements(y, S[:, j])
        m, q = y.sum(), (~y).sum()
        phi = np.zeros(n)
        phi[y] = (v10 - auc) / m
        phi[~y] = (v01 - auc) / q
        aucs.append(auc)
        infl.append((phi, m, q))
    # var(A_j) = sum over positives of (v10-A)^2/(m(m-1)) + negatives likewise; the
    # cross terms of two findings use the same form on the studies they share.
    k = len(aucs)
    cov = np.zeros((k, k))
    for a in range(k):
        for b in range(k):
            pa, ma, qa = infl[a]
            pb, mb, qb = infl[b]
            ya, yb = Y[:, a].astype(bool), Y[:, b].astype(bool)
            # correction m/(m-1) as in DeLong's sample variances
            fa = np.where(ya, ma / (ma - 1), qa / (qa - 1))
            fb = np.where(yb, mb / (mb - 1), qb / (qb - 1))
            cov[a, b] = float(np.sum(pa * pb * np.sqrt(fa * fb)))
    mean = float(np.mean(aucs))
    var = float(cov.sum()) / k**2
    half = Z95 * math.sqrt(max(var, 0.0))
    return mean, max(0.0, mean - half), min(1.0, mean + half)


def sensitivity_difference(y, pred_new, pred_old) -> tuple[float, float, float]:
    """new - old sensitivity on the same positives: Newcombe's method 10 interval."""
    y = np.asarray(y).astype(bool)
    a = np.asarray(pred_new)[y].astype(bool)
    b = np.asarray(pred_old)[y].astype(bool)
    n = int(y.sum())
    n11, n10 = int((a & b).sum()), int((a & ~b).sum())
    n01 = int((~a & b).sum())
    p1, p2 = (n11 + n10) / n, (n11 + n01) / n
    l1, u1 = wilson(n11 + n10, n)
    l2, u2 = wilson(n11 + n01, n)
    d = p1 - p2
    # phi: correlation of the paired outcomes (0 when undefined)
    n00 = n - n11 - n10 - n01
    den = (n11 + n10) * (n01 + n00) * (n11 + n01) * (n10 + n00)
    num = n11 * n00 - n10 * n01
    phi = num / math.sqrt(den) if den > 0 else 0.0
    dl = math.sqrt(max(0.0, (p1 - l1) ** 2 - 2 * phi * (p1 - l1) * (u2 - p2) + (u2 - p2) ** 2))
    du = math.sqrt(max(0.0, (u1 - p1) ** 2 - 2 * phi * (u1 - p1) * (p2 - l2) + (p2 - l2) ** 2))
    return d, max(-1.0, d - dl), min(1.0, d + du)


def rate(y, pred, positive: bool) -> tuple[float, int, int, float, float]:
    y = np.asarray(y).astype(bool)
    pred = np.asarray(pred).astype(bool)
    sel = y if positive else ~y
    k = int((pred[sel] == positive).sum())
    n = int(sel.sum())
    lo, hi = wilson(k, n)
    return k / n, k, n, lo, hi


def bootstrap(patients, fn, draws: int = 2000, seed: int = 7) -> tuple[float, float]:
    """Percentile 95% interval of fn(index array), resampling patients with their studies."""
    patients = np.asarray(patients)
    ids = sorted(set(patients.tolist()))
    rows = {p: np.flatnonzero(patients == p) for p in ids}
    rng = np.random.default_rng(seed)
    vals = []
    for _ in range(draws):
        pick = rng.integers(0, len(ids), len(ids))
        idx = np.concatenate([rows[ids[i]] for i in pick])
        try:
            v = fn(idx)
        except (ZeroDivisionError, ValueError, IndexError):
            continue
        if v == v:
            vals.append(v)
    return float(np.percentile(vals, 2.5)), float(np.percentile(vals, 97.5))
