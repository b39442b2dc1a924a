"""Golden reference values for the balanced accuracy (runner/src/metrics/balanced.rs).

Reads the cases and operating points of the fixtures make_golden.py wrote (so both
tests score the same data) and writes balanced_accuracy.json next to this script;
runner/tests/balanced_accuracy_golden.rs loads it (no Python at test time). Regenerate
from the repository root:
    python runner/tests/data/metrics/make_balanced.py

Reference tools (versions used to produce the committed JSON):
    python 3.11.7, numpy 2.4.6, scikit-learn 1.9.1, statsmodels 0.15.0
    pip install numpy==2.4.6 scikit-learn==1.9.1 statsmodels==0.15.0

What comes from where:
  - the value: scikit-learn's balanced_accuracy_score (the mean of the per-class
    recalls, i.e. (sensitivity + specificity) / 2 for two classes).
  - the 95% interval: MOVER (G. Y. Zou and A. Donner, Statistics in Medicine
    27(10):1693-1702, 2008) over the Wilson intervals of sensitivity and specificity from
    statsmodels proportion_confint(method="wilson"), written out below.

Convention shared with the Rust code (not from the tools): with one class absent the
balanced accuracy is null (scikit-learn would average the one recall it can compute).
"""
import json
import math
import pathlib
import platform

import numpy as np
import sklearn
import statsmodels
from sklearn.metrics import balanced_accuracy_score
from statsmodels.stats.proportion import proportion_confint

HERE = pathlib.Path(__file__).resolve().parent
FIXTURES = ["small_ties", "synthetic_500", "all_negative", "threshold_ties", "perfect_separation"]
SOURCE = (
    f"scikit-learn {sklearn.__version__} (balanced_accuracy_score), statsmodels "
    f"{statsmodels.__version__} (Wilson), numpy {np.__version__}, python "
    f"{platform.python_version()}; MOVER (Zou & Donner 2008) in make_balanced.py"
)


def wilson(k, n):
    low, high = proportion_confint(k, n, alpha=0.05, method="wilson")
    return k / n, max(float(low), 0.0), min(float(high), 1.0)


def mover_mean(a, b):
    """The 95% interval of (p1 + p2) / 2 from the intervals of two independent proportions."""
    (p1, l1, u1), (p2, l2, u2) = a, b
    low = (p1 + p2 - math.sqrt((p1 - l1) ** 2 + (p2 - l2) ** 2)) / 2
    high = (p1 + p2 + math.sqrt((u1 - p1) ** 2 + (u2 - p2) ** 2)) / 2
    return max(low, 0.0), min(high, 1.0)


def run(labels, scores, threshold, inclusive):
    predicted = (scores >= threshold) if inclusive else (scores > threshold)
    positives, negatives = int(labels.sum()), int((1 - labels).sum())
    out = {"threshold": threshold, "inclusive": inclusive}
    if positives == 0 or negatives == 0:
        out["balanced_accuracy"] = None
        return out
    tp = int(((labels == 1) & predicted).sum())
    tn = int(((labels == 0) & ~predicted).sum())
    value = float(balanced_accuracy_score(labels, predicted.astype(int)))
    low, high = mover_mean(wilson(tp, positives), wilson(tn, negatives))
    out["balanced_accuracy"] = {
        "value": value, "n": positives + negatives, "low": low, "high": high,
        "method": "mover-wilson",
    }
    return out


def main():
    doc = {"source": SOURCE, "fixtures": {}}
    for name in FIXTURES:
        fixture = json.loads((HERE / f"{name}.json").read_text())
        labels = np.array(fixture["cases"]["labels"], dtype=int)
        scores = np.array(fixture["cases"]["scores"], dtype=float)
        doc["fixtures"][name] = [
            run(labels, scores, r["threshold"], r["inclusive"]) for r in fixture["runs"]
        ]
    (HERE / "balanced_accuracy.json").write_text(json.dumps(doc, indent=1) + "\n")


if __name__ == "__main__":
    main()
