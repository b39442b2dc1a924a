"""Golden reference values for a subgroup against the rest (runner/src/metrics/subgroup.rs).

Writes subgroup_difference.json next to this script; runner/tests/subgroup_golden.rs loads
it (no Python at test time). Regenerate from the repository root:
    python runner/tests/data/metrics/make_subgroup_difference.py

Reference tools (versions used to produce the committed JSON):
    python 3.11.7, statsmodels 0.15.0 (scipy 1.17.1)
    pip install statsmodels==0.15.0

What comes from where:
  - the 95% interval of p1 - p2: statsmodels confint_proportions_2indep(method="newcomb",
    compare="diff"), Newcombe's hybrid score interval (Newcombe 1998, method 10).
  - the one-sided p value of H0: p1 - p2 <= -0.05: the alpha at which statsmodels' own
    Newcombe interval has its lower bound at exactly -0.05 (p = alpha / 2), found by
    bisection on alpha here, over statsmodels' function; for an estimate at or below -0.05,
    the upper bound is inverted (p = 1 - alpha / 2). The Rust code inverts its own interval;
    this inverts statsmodels', so the two agree only if both the interval and the inversion do.
  - the Holm adjustment of the p values of each family: statsmodels
    multipletests(method="holm").
  - the patient-clustered bootstrap of each subgroup against the rest
    (runner/src/metrics/cluster/subgroups.rs): an independent implementation of the same
    procedure, as make_paired_golden.py's. The generator stream (SplitMix64 seeding,
    xoshiro256**, Lemire's bounded draw) is written again in Python integers; each
    resample is built physically (the units of every drawn patient, a patient drawn twice
    appearing twice), split into the subgroup and the rest, and counted with numpy; the
    bounds are numpy.percentile (linear). The Rust weighs per-patient counts instead; the
    two must agree to 1e-12.
"""
import json
import pathlib
import platform

import numpy as np
import statsmodels
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import confint_proportions_2indep

HERE = pathlib.Path(__file__).resolve().parent
MARGIN = 0.05

# (x1, n1, x2, n2): a subgroup's successes and cases, then the rest's. Chosen to cover a
# group clearly non-inferior, one on the margin, one lagging, small and extreme counts.
CASES = [
    (45, 50, 180, 200),
    (40, 50, 185, 200),
    (88, 100, 270, 300),
    (2, 4, 90, 100),
    (30, 30, 50, 60),
    (0, 12, 5, 40),
    (12, 12, 40, 40),
    (140, 160, 150, 160),
    (9, 10, 91, 100),
    (57, 61, 212, 248),
]

# Families: indices into CASES whose p values are Holm-adjusted together.
FAMILIES = [[0, 1, 2], [4, 7, 8, 9], [3]]


def interval(x1, n1, x2, n2, alpha):
    low, high = confint_proportions_2indep(x1, n1, x2, n2, method="newcomb", compare="diff", alpha=alpha)
    return float(low), float(high)


def p_noninferior(x1, n1, x2, n2):
    d = x1 / n1 - x2 / n2
    target = -MARGIN
    if d > target:
        # lower bound at level alpha increases with alpha (narrower interval)
        lo, hi = 1e-300, 1.0
        if interval(x1, n1, x2, n2, lo)[0] > target:
            return 0.0
        for _ in range(200):
            mid = (lo * hi) ** 0.5 if hi / lo > 1e6 else 0.5 * (lo + hi)
            if interval(x1, n1, x2, n2, mid)[0] > target:
                hi = mid
            else:
                lo = mid
        return 0.5 * (lo + hi) / 2.0
    lo, hi = 1e-300, 1.0
    if interval(x1, n1, x2, n2, lo)[1] < target:
        return 1.0
    for _ in range(200):
        mid = (lo * hi) ** 0.5 if hi / lo > 1e6 else 0.5 * (lo + hi)
        if interval(x1, n1, x2, n2, mid)[1] < target:
            hi = mid
        else:
            lo = mid
    return 1.0 - 0.5 * (lo + hi) / 2.0


rows = []
for x1, n1, x2, n2 in CASES:
    low, high = interval(x1, n1, x2, n2, 0.05)
    rows.append(
        {
            "x1": x1,
            "n1": n1,
            "x2": x2,
            "n2": n2,
            "difference": x1 / n1 - x2 / n2,
            "low": low,
            "high": high,
            "p_noninferior": p_noninferior(x1, n1, x2, n2),
        }
    )
families = []
for f in FAMILIES:
    ps = [rows[i]["p_noninferior"] for i in f]
    adjusted = multipletests(ps, method="holm")[1]
    families.append({"cases": f, "p_holm": [float(p) for p in adjusted]})

# --- the clustered bootstrap of subgroups against the rest --------------------------
MASK = (1 << 64) - 1
SEED = 0x636C_6963_436C_7573  # clic's DEFAULT_SEED
RESAMPLES = 500


def splitmix64(state):
    state = (state + 0x9E3779B97F4A7C15) & MASK
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return state, z ^ (z >> 31)


def rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & MASK


class Xoshiro256ss:
    def __init__(self, seed, b):
        sm = seed ^ ((b * 0xD1B54A32D192ED03) & MASK)
        self.s = []
        for _ in range(4):
            sm, v = splitmix64(sm)
            self.s.append(v)

    def next(self):
        s = self.s
        result = (rotl((s[1] * 5) & MASK, 7) * 9) & MASK
        t = (s[1] << 17) & MASK
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
        return result

    def below(self, n):
        threshold = ((1 << 64) - n) % n
        while True:
            m = self.next() * n
            if (m & MASK) >= threshold:
                return m >> 64


def ratio(a, b):
    return a / b if b else None


def side(y, called):
    """Sensitivity, specificity, accuracy of a set of units; None where undefined."""
    p, n = int(y.sum()), int((~y).sum())
    tp, tn = int((called & y).sum()), int((~called & ~y).sum())
    return [ratio(tp, p), ratio(tn, n), ratio(tp + tn, p + n)]


def diff(a, b):
    return None if a is None or b is None else a - b


def group_rows(y, called, group, groups):
    row = []
    for g in range(groups):
        inside = group == g
        own = side(y[inside], called[inside])
        rest = side(y[~inside], called[~inside])
        row.append({"own": own[:2], "diff": [diff(a, b) for a, b in zip(own, rest)]})
    return row


def percentile_interval(value, samples):
    v = [x for x in samples if x is not None]
    if value is None or not v:
        return None
    low, high = np.percentile(np.array(v), [2.5, 97.5])
    return {"value": value, "low": float(low), "high": float(high), "used": len(v),
            "at_or_below_margin": sum(1 for x in v if x <= -MARGIN) / len(v)}


def clustered_design():
    rng = np.random.default_rng(20261202)
    k, groups = 40, 3
    cluster, group, label, score = [], [], [], []
    for c in range(k):
        for _ in range(int(rng.integers(1, 4))):
            cluster.append(c)
            # A patient's units mostly share a group, sometimes not (an age band or a
            # scanner changes between studies).
            group.append(int(c % groups) if rng.random() < 0.8 else int(rng.integers(0, groups)))
            y = bool(rng.random() < 0.45)
            label.append(y)
            score.append(float(np.clip(rng.normal(0.65 if y else 0.35, 0.2), 0.0, 1.0)))
    cluster, group = np.array(cluster), np.array(group)
    y, s = np.array(label), np.array(score)
    threshold = 0.5
    called = s >= threshold
    units = [[] for _ in range(k)]
    for i, c in enumerate(cluster):
        units[c].append(i)
    observed = group_rows(y, called, group, groups)
    rows = []
    for b in range(RESAMPLES):
        r = Xoshiro256ss(SEED, b)
        idx = np.array([i for _ in range(k) for i in units[r.below(k)]], dtype=int)
        rows.append(group_rows(y[idx], called[idx], group[idx], groups))
    out = []
    for g in range(groups):
        out.append({
            "own": [percentile_interval(observed[g]["own"][m], [r[g]["own"][m] for r in rows]) for m in range(2)],
            "differences": [percentile_interval(observed[g]["diff"][m], [r[g]["diff"][m] for r in rows]) for m in range(3)],
        })
    return {
        "clusters": k,
        "groups": groups,
        "threshold": threshold,
        "seed": SEED,
        "resamples": RESAMPLES,
        "cluster": cluster.tolist(),
        "group": group.tolist(),
        "labels": [int(v) for v in y],
        "scores": s.tolist(),
        "expected": out,
    }


doc = {
    "source": f"statsmodels {statsmodels.__version__} (confint_proportions_2indep newcomb, multipletests holm), python {platform.python_version()}; p values by bisection over statsmodels' interval in make_subgroup_difference.py",
    "margin": MARGIN,
    "cases": rows,
    "families": families,
    "clustered": clustered_design(),
    "clustered_source": f"numpy {np.__version__}: a Python twin of the clustered bootstrap in make_subgroup_difference.py",
}
(HERE / "subgroup_difference.json").write_text(json.dumps(doc, indent=1) + "\n")
