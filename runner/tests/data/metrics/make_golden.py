"""Golden reference values for the clinical performance metrics (runner/src/metrics).

Writes one JSON file per fixture next to this script; runner/tests/metrics_golden.rs
loads them (no Python at test time). Regenerate from the repository root:
    python runner/tests/data/metrics/make_golden.py

Reference tools (versions used to produce the committed JSON):
    python 3.11.7, numpy 2.4.6, scipy 1.17.1, scikit-learn 1.9.1, statsmodels 0.14.4
    pip install numpy==2.4.6 scipy==1.17.1 scikit-learn==1.9.1 statsmodels==0.14.4

What comes from where:
  - confusion matrix, F1, ROC AUC, Brier, ROC curve: scikit-learn
    (confusion_matrix, f1_score, roc_auc_score, brier_score_loss,
    roc_curve(drop_intermediate=False)).
  - Wilson 95% intervals: statsmodels proportion_confint(method="wilson").
  - DeLong variance of the AUC: a numpy reference below, the fast midrank algorithm of
    X. Sun and W. Xu, "Fast Implementation of DeLong's Algorithm for Comparing the Areas
    Under Correlated Receiver Operating Characteristic Curves", IEEE Signal Processing
    Letters 21(11):1389-1393, 2014, checked against the O(m*n) structural components of
    E. R. DeLong, D. M. DeLong, D. L. Clarke-Pearson, Biometrics 44(3):837-845, 1988.
  - ECE and calibration bins: numpy below (10 equal-width bins on [0, 1], bin index
    min(floor(10 * score), 9), weighted by bin size).
  - PPV/NPV at a stated prevalence: numpy below, the logit intervals of N. D. Mercaldo,
    K. F. Lau, X. H. Zhou, "Confidence intervals for predictive values with an emphasis
    to case-control designs", Statistics in Medicine 26(10):2170-2183, 2007 (standard
    logit; the adjusted logit of their Table II when a cell of the 2x2 table is 0, as the
    R package bdpv does).
  - F1 percentile bootstrap: a numpy bootstrap with 20000 resamples, a sanity reference
    only (the Rust bootstrap uses its own seeded generator and 2000 resamples).

Conventions shared with the Rust code (not from the tools): a proportion with a zero
denominator is value 0, n 0, interval (0, 1), method "wilson (no cases)"; with one class
absent the AUC is null and the ROC curve is empty; the ROC curve's first threshold is
+inf, written as null.
"""
import json
import math
import pathlib
import platform
import warnings

import numpy as np
import scipy
import scipy.stats
import sklearn
import statsmodels
from sklearn.metrics import (
    brier_score_loss,
    confusion_matrix,
    f1_score,
    roc_auc_score,
    roc_curve,
)
from statsmodels.stats.proportion import proportion_confint

HERE = pathlib.Path(__file__).resolve().parent
Z = float(scipy.stats.norm.ppf(0.975))  # 1.959963984540054
SOURCE = (
    f"scikit-learn {sklearn.__version__}, statsmodels {statsmodels.__version__}, "
    f"numpy {np.__version__}, scipy {scipy.__version__}, python {platform.python_version()}; "
    "DeLong: numpy reference (Sun & Xu 2014) in make_golden.py; "
    "ECE, PPV/NPV at prevalence (Mercaldo et al. 2007): numpy in make_golden.py"
)


def wilson(k, n):
    if n == 0:
        return {"value": 0.0, "n": 0, "successes": 0, "low": 0.0, "high": 1.0,
                "method": "wilson (no cases)"}
    low, high = proportion_confint(k, n, alpha=0.05, method="wilson")
    return {"value": k / n, "n": int(n), "successes": int(k), "low": max(float(low), 0.0),
            "high": min(float(high), 1.0), "method": "wilson"}


def delong_fast(pos, neg):
    """AUC and its DeLong variance by the midrank algorithm of Sun & Xu (2014)."""
    m, n = len(pos), len(neg)
    tx = scipy.stats.rankdata(pos)  # midranks within positives
    ty = scipy.stats.rankdata(neg)  # midranks within negatives
    tz = scipy.stats.rankdata(np.concatenate([pos, neg]))  # midranks overall
    auc = (tz[:m].sum() - m * (m + 1) / 2) / (m * n)
    v10 = (tz[:m] - tx) / n
    v01 = 1.0 - (tz[m:] - ty) / m
    var = np.var(v10, ddof=1) / m + np.var(v01, ddof=1) / n
    return float(auc), float(var)


def delong_naive(pos, neg):
    """DeLong et al. (1988) structural components, O(m*n), to check delong_fast."""
    psi = (pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])
    v10, v01 = psi.mean(axis=1), psi.mean(axis=0)
    var = np.var(v10, ddof=1) / len(pos) + np.var(v01, ddof=1) / len(neg)
    return float(psi.mean()), float(var)


def calibration(y, s):
    idx = np.minimum(np.floor(s * 10.0), 9).astype(int)
    bins, ece = [], 0.0
    for b in range(10):
        sel = idx == b
        nb = int(sel.sum())
        if nb == 0:
            continue
        mean_score, rate = float(s[sel].mean()), float(y[sel].mean())
        ece += nb / len(s) * abs(rate - mean_score)
        bins.append({"lower": b / 10, "upper": (b + 1) / 10, "n": nb,
                     "mean_score": mean_score, "observed_rate": rate})
    return bins, float(ece)


def at_prevalence(tp, fn, fp, tn, prev):
    """PPV and NPV at a stated prevalence with Mercaldo et al. (2007) logit intervals."""
    n1, n0 = tp + fn, fp + tn
    if n1 == 0 or n0 == 0:
        return None
    se, sp = tp / n1, tn / n0
    ppv = se * prev / (se * prev + (1 - sp) * (1 - prev))
    npv = sp * (1 - prev) / (sp * (1 - prev) + (1 - se) * prev)
    if min(tp, fn, fp, tn) > 0:
        method, set_, spt, m1, m0 = "logit (Mercaldo 2007)", se, sp, n1, n0
    else:  # adjusted estimates, Table II: add z^2/2 successes of z^2 trials
        k2 = Z * Z
        set_, spt = (tp + k2 / 2) / (n1 + k2), (tn + k2 / 2) / (n0 + k2)
        m1, m0, method = n1 + k2, n0 + k2, "adjusted logit (Mercaldo 2007)"
    lppv = math.log(set_ * prev / ((1 - spt) * (1 - prev)))
    vppv = (1 - set_) / set_ / m1 + spt / (1 - spt) / m0
    lnpv = math.log(spt * (1 - prev) / ((1 - set_) * prev))
    vnpv = set_ / (1 - set_) / m1 + (1 - spt) / spt / m0
    expit = lambda x: 1 / (1 + math.exp(-x))  # noqa: E731
    est = lambda v, l, var: {  # noqa: E731
        "value": v, "n": n1 + n0, "low": expit(l - Z * math.sqrt(var)),
        "high": expit(l + Z * math.sqrt(var)), "method": method}
    return {"prevalence": prev, "ppv": est(ppv, lppv, vppv), "npv": est(npv, lnpv, vnpv)}


def f1_bootstrap(pred, y, seed, resamples=20000):
    rng = np.random.default_rng(seed)
    n = len(y)
    idx = rng.integers(0, n, size=(resamples, n))
    yp, yy = pred[idx], y[idx]
    tp = (yp & yy).sum(axis=1)
    fp = (yp & ~yy).sum(axis=1)
    fn = (~yp & yy).sum(axis=1)
    denom = 2 * tp + fp + fn
    f1 = np.where(denom > 0, 2 * tp / np.maximum(denom, 1), 0.0)
    low, high = np.percentile(f1, [2.5, 97.5])
    return {"low": float(low), "high": float(high), "resamples": resamples}


def run(y, s, threshold, inclusive, prevalence):
    yb = y.astype(bool)
    pred = s >= threshold if inclusive else s > threshold
    tn, fp, fn, tp = (int(v) for v in confusion_matrix(y, pred.astype(int), labels=[0, 1]).ravel())
    pos, neg = s[yb], s[~yb]
    out = {
        "threshold": threshold, "inclusive": inclusive,
        "n": len(y), "positives": int(yb.sum()), "negatives": int((~yb).sum()),
        "tp": tp, "fp": fp, "tn": tn, "fn": fn,
        "sensitivity": wilson(tp, tp + fn), "specificity": wilson(tn, tn + fp),
        "ppv": wilson(tp, tp + fp), "npv": wilson(tn, tn + fn),
        "accuracy": wilson(tp + tn, len(y)),
        "f1": float(f1_score(y, pred.astype(int), zero_division=0.0)),
        "f1_bootstrap_reference": f1_bootstrap(pred, yb, seed=12345),
        "brier": float(brier_score_loss(y, s, labels=[0, 1])),
    }
    out["calibration"], out["ece"] = calibration(y.astype(float), s)
    if len(pos) and len(neg):
        auc_fast, var_fast = delong_fast(pos, neg)
        auc_naive, var_naive = delong_naive(pos, neg)
        auc = float(roc_auc_score(y, s))
        assert abs(auc - auc_fast) < 1e-12 and abs(auc - auc_naive) < 1e-12, (auc, auc_fast)
        assert abs(var_fast - var_naive) < 1e-12, (var_fast, var_naive)
        half = Z * math.sqrt(var_fast)
        out["auc"] = {"value": auc, "var": var_fast, "low": max(auc - half, 0.0),
                      "high": min(auc + half, 1.0), "method": "delong"}
        fpr, tpr, thr = roc_curve(y, s, drop_intermediate=False)
        out["roc"] = [[float(f), float(t), None if math.isinf(h) else float(h)]
                      for f, t, h in zip(fpr, tpr, thr)]
        assert math.isinf(thr[0]) and thr[0] > 0
    else:
        out["auc"], out["roc"] = None, []
    out["at_prevalence"] = at_prevalence(tp, fn, fp, tn, prevalence)
    return out


def fixtures():
    # (a) 60 cases, scores to 2 decimals, with ties inside and across the classes.
    rng = np.random.default_rng(20240601)
    y = np.array([1] * 24 + [0] * 36)
    s = np.where(y == 1, rng.normal(0.62, 0.18, 60), rng.normal(0.40, 0.18, 60))
    s = np.clip(s, 0.01, 0.99)
    s[[0, 1, 30, 31]] = 0.5  # cross-class ties at the threshold
    s[[2, 40, 41]] = 0.7
    s = np.array([round(float(v), 2) for v in s])
    order = rng.permutation(60)  # shuffled, so nothing depends on input order
    yield ("small_ties", "60 cases, scores to 2 decimals, ties within and across classes",
           y[order], s[order], [(0.5, True), (0.5, False), (0.35, True)], 0.1)

    # (b) 500 seeded synthetic cases, prevalence about 0.3, imperfect separation.
    rng = np.random.default_rng(7)
    y = (rng.random(500) < 0.3).astype(int)
    logit = 1.4 * y - 0.8 + rng.normal(0.0, 1.1, 500)
    s = np.array([round(float(v), 5) for v in 1 / (1 + np.exp(-logit))])
    yield ("synthetic_500", "500 seeded synthetic cases (numpy default_rng(7)), logistic scores",
           y, s, [(0.5, True), (0.3, True), (0.7, False)], 0.05)

    # (c) degenerate: every label negative.
    rng = np.random.default_rng(3)
    y = np.zeros(25, dtype=int)
    s = np.array([round(float(v), 3) for v in rng.uniform(0.0, 0.8, 25)])
    yield ("all_negative", "25 cases, all labelled negative (AUC undefined)",
           y, s, [(0.5, True)], 0.1)

    # (d) many scores exactly at the threshold; bin edges 0.0, 0.3 and 1.0 present.
    y = np.array([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
                  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0])
    s = np.array([1.0, 0.8, 0.8, 0.6, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.4, 0.3, 0.9, 0.7, 0.5, 0.2,
                  0.0, 0.1, 0.2, 0.2, 0.3, 0.3, 0.4, 0.4, 0.5, 0.5, 0.5, 0.5, 0.5, 0.6,
                  0.6, 0.7, 0.1, 0.0, 0.3, 0.45, 0.55, 0.5, 0.35, 0.25])
    yield ("threshold_ties", "40 cases, 11 scored exactly 0.5; inclusive and exclusive differ",
           y, s, [(0.5, True), (0.5, False)], 0.2)

    # (e) perfect separation: DeLong variance 0, interval [1, 1].
    y = np.array([0] * 6 + [1] * 5)
    s = np.array([0.05, 0.1, 0.2, 0.2, 0.3, 0.4, 0.6, 0.7, 0.8, 0.9, 0.95])
    yield ("perfect_separation", "11 cases, every positive above every negative",
           y, s, [(0.5, True)], 0.3)


def main():
    for name, desc, y, s, runs, prevalence in fixtures():
        assert len(y) == len(s)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            doc = {
                "name": name,
                "description": desc,
                "source": SOURCE,
                "cases": {"labels": [int(v) for v in y], "scores": [float(v) for v in s]},
                "runs": [run(y, s, t, inc, prevalence) for t, inc in runs],
            }
        (HERE / f"{name}.json").write_text(json.dumps(doc, indent=1) + "\n")
        for r in doc["runs"]:
            auc = r["auc"]["value"] if r["auc"] else None
            print(f"{name} t={r['threshold']} incl={r['inclusive']}: tp={r['tp']} fp={r['fp']} "
                  f"tn={r['tn']} fn={r['fn']} auc={auc} ece={r['ece']:.6f}")


if __name__ == "__main__":
    main()
