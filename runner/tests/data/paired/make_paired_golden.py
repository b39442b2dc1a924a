"""Golden reference values for the paired tests (runner/src/metrics/paired.rs) and the
patient-clustered bootstrap (runner/src/metrics/cluster.rs).

Writes mcnemar.json, delong.json, cluster.json and cluster_sanity.json next to this
script; runner/tests/paired_golden.rs loads them (no Python at test time). Regenerate
from the repository root:
    python runner/tests/data/paired/make_paired_golden.py

Reference tools (versions used to produce the committed JSON, also written in each file):
    python 3.11.7, numpy 2.4.6, scipy 1.17.1, scikit-learn 1.9.1, statsmodels 0.14.4,
    mpmath 1.3.0
    pip install numpy==2.4.6 scipy==1.17.1 scikit-learn==1.9.1 statsmodels==0.14.4 mpmath==1.3.0

What comes from where:
  - McNemar: statsmodels.stats.contingency_tables.mcnemar(table, exact=True) for the
    exact p value, mcnemar(table, exact=False, correction=True) for the chi-square
    statistic and its p value; and the exact p value again from mpmath at 40 digits
    (log-gamma pmf, then the tail summed term by term), which is more accurate than
    scipy's binom.cdf for b + c in the hundreds of thousands.
  - Paired DeLong: a numpy implementation below written from DeLong, DeLong,
    Clarke-Pearson (Biometrics 44(3):837-845, 1988): the O(m*n) kernel psi, the
    structural components V10, V01 as its row and column means, S10 and S01 their
    sample covariance matrices (np.cov), S = S10/m + S01/n, var(delta) = S11 + S22 -
    2 S12; the p value from scipy.stats.norm.sf. The single AUCs from scikit-learn
    roc_auc_score.
  - Clustered bootstrap: an independent implementation of the same procedure. The
    generator stream (SplitMix64 seeding, xoshiro256**, Lemire's bounded draw) is
    written again in Python integers; each resample is built physically (the studies of
    every drawn patient, in draw order, a patient drawn twice appearing twice) and its
    sensitivity and specificity counted with numpy, its AUC by scikit-learn
    roc_auc_score; the bounds are numpy.percentile (linear). The Rust weighs
    pre-sorted units instead; the two must agree to 1e-12.
  - Sanity references: a plain (unclustered) numpy percentile bootstrap with 20000
    resamples of a data set with one study per patient.
"""
import json
import math
import pathlib
import platform

import mpmath
import numpy as np
import scipy
import scipy.stats
import sklearn
import statsmodels
from sklearn.metrics import roc_auc_score
from statsmodels.stats.contingency_tables import mcnemar

HERE = pathlib.Path(__file__).resolve().parent
Z = 1.959963984540054
VERSIONS = (
    f"python {platform.python_version()}, numpy {np.__version__}, scipy {scipy.__version__}, "
    f"scikit-learn {sklearn.__version__}, statsmodels {statsmodels.__version__}, "
    f"mpmath {mpmath.__version__}"
)
MASK = (1 << 64) - 1


# --- McNemar -------------------------------------------------------------------------

TABLES = [  # (b, c): the discordant counts
    (0, 0), (0, 1), (1, 2), (3, 5), (5, 5), (10, 2), (25, 40), (0, 30), (1, 100),
    (7, 30), (15, 16), (100, 130), (200, 260), (1000, 1100), (4990, 5100),
    (100000, 100800), (499000, 501000), (490000, 510000), (499500, 500500),
    (499999, 500001), (500000, 500000), (1, 999999), (20, 999980),
]


def exact_p_mpmath(b, c):
    n, m = b + c, min(b, c)
    if 2 * m >= n:
        return mpmath.mpf(1)
    with mpmath.workdps(40):
        lt = (mpmath.loggamma(n + 1) - mpmath.loggamma(m + 1) - mpmath.loggamma(n - m + 1)
              - n * mpmath.log(2))
        s, r, j = mpmath.mpf(1), mpmath.mpf(1), 0
        while j < m:
            r *= mpmath.mpf(m - j) / (n - m + j + 1)
            s += r
            j += 1
            if r < mpmath.mpf(10) ** -35 * s:
                break
        return min(mpmath.mpf(1), 2 * mpmath.exp(lt) * s)


def mcnemar_doc():
    rows = []
    for b, c in TABLES:
        table = np.array([[0, b], [c, 0]])
        ex = mcnemar(table, exact=True)
        with np.errstate(divide="ignore", invalid="ignore"):
            ch = mcnemar(table, exact=False, correction=True)
        chi2, chi2_p = float(ch.statistic), float(ch.pvalue)
        rows.append({
            "b": b, "c": c,
            "exact_statistic": float(ex.statistic),
            "exact_p_value": float(ex.pvalue),
            "exact_p_value_mpmath": float(exact_p_mpmath(b, c)),
            # statsmodels divides by b + c = 0 (inf and p 0); clic reports no statistic.
            "chi2": chi2 if b + c > 0 else None,
            "chi2_p_value": chi2_p if b + c > 0 else None,
            "statsmodels_chi2_when_empty": repr(chi2) if b + c == 0 else None,
        })
    return {
        "source": f"{VERSIONS}; statsmodels mcnemar(exact=True) and "
                  "mcnemar(exact=False, correction=True); mpmath 40-digit exact tail",
        "tables": rows,
    }


# --- paired DeLong -------------------------------------------------------------------

def delong_paired(y, a, b):
    """DeLong et al. 1988 from the O(m*n) kernel, for two models' scores a and b."""
    y = np.asarray(y, dtype=bool)
    m, n = int(y.sum()), int((~y).sum())
    v10, v01 = [], []
    for s in (np.asarray(a), np.asarray(b)):
        x, w = s[y], s[~y]
        psi = (x[:, None] > w[None, :]) + 0.5 * (x[:, None] == w[None, :])
        v10.append(psi.mean(axis=1))
        v01.append(psi.mean(axis=0))
    aucs = [float(v.mean()) for v in v10]
    s = np.cov(np.array(v10)) / m + np.cov(np.array(v01)) / n
    var = s[0, 0] + s[1, 1] - 2 * s[0, 1]
    se = math.sqrt(var)
    delta = aucs[0] - aucs[1]
    z = delta / se
    return {
        "positives": m, "negatives": n,
        "auc_candidate": aucs[0], "auc_reference": aucs[1],
        "auc_candidate_sklearn": float(roc_auc_score(y, a)),
        "auc_reference_sklearn": float(roc_auc_score(y, b)),
        "delta": delta, "covariance": s.tolist(), "se": se,
        "low": delta - Z * se, "high": delta + Z * se,
        "z": z, "p_value": float(2 * scipy.stats.norm.sf(abs(z))),
    }


def delong_doc(clustered):
    rng = np.random.default_rng(20260915)
    cases = []
    # Ties: scores on a 0.1 grid, ties within and across classes and models.
    y = rng.random(60) < 0.4
    a = np.clip(np.round(0.3 + 0.3 * y + rng.normal(0, 0.2, 60), 1), 0, 1)
    b = np.clip(np.round(0.35 + 0.15 * y + 0.5 * (a - 0.45) + rng.normal(0, 0.2, 60), 1), 0, 1)
    cases.append(("ties_60", y, a, b))
    # Correlated continuous models, 400 cases.
    y = rng.random(400) < 0.3
    common = rng.normal(0, 1, 400)
    a = 1 / (1 + np.exp(-(1.4 * y + 0.7 * common + rng.normal(0, 0.7, 400))))
    b = 1 / (1 + np.exp(-(1.0 * y + 0.7 * common + rng.normal(0, 0.7, 400))))
    cases.append(("correlated_400", y, np.round(a, 4), np.round(b, 4)))
    # The clustered fixture's first finding (several studies per patient).
    f = clustered["findings"][0]["units"]
    cases.append(("clustered_finding_0", np.array(f["label"], dtype=bool),
                  np.array(f["candidate"]), np.array(f["reference"])))
    out = []
    for name, y, a, b in cases:
        doc = delong_paired(y, a, b)
        doc.update({"name": name, "labels": [int(v) for v in y],
                    "candidate": [float(v) for v in a], "reference": [float(v) for v in b]})
        out.append(doc)
    return {"source": f"{VERSIONS}; numpy DeLong 1988 (O(m*n) kernel) in "
                      "make_paired_golden.py; single AUCs scikit-learn roc_auc_score",
            "cases": out}


# --- the clustered bootstrap ---------------------------------------------------------

def splitmix64(state):
    state = (state + 0x9E3779B97F4A7C15) & MASK
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return state, z ^ (z >> 31)


def rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & MASK


class Xoshiro256ss:
    def __init__(self, s):
        self.s = list(s)

    @classmethod
    def for_resample(cls, seed, b):
        sm = seed ^ ((b * 0xD1B54A32D192ED03) & MASK)
        s = []
        for _ in range(4):
            sm, v = splitmix64(sm)
            s.append(v)
        return cls(s)

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
        """Lemire's multiply-and-reject: uniform in 0..n."""
        threshold = ((1 << 64) - n) % n
        while True:
            m = self.next() * n
            if (m & MASK) >= threshold:
                return m >> 64


def self_check():
    r = Xoshiro256ss([1, 2, 3, 4])
    assert [r.next() for _ in range(3)] == [11520, 0, 1509978240]
    assert splitmix64(0)[1] == 0xE220A8397B1DCDAF


def draws(seed, b, k):
    r = Xoshiro256ss.for_resample(seed, b)
    return [r.below(k) for _ in range(k)]


def stats(y, s, threshold, inclusive):
    """Sensitivity, specificity, AUC of one (resampled) finding; None when undefined."""
    called = s >= threshold if inclusive else s > threshold
    p, n = int(y.sum()), int((~y).sum())
    sens = float((called & y).sum()) / p if p else None
    spec = float((~called & ~y).sum()) / n if n else None
    auc = float(roc_auc_score(y, s)) if p and n else None
    return [sens, spec, auc]


def mean_or_none(v):
    return None if any(x is None for x in v) else float(np.mean(v))


def delta(a, b):
    return None if a is None or b is None else a - b


def rows_for(findings, mult_units):
    """One resample's row for the findings (each a dict with numpy arrays), given the
    index of every unit of the resample per finding."""
    row = {"candidate": [], "reference": [], "delta": []}
    for f, idx in zip(findings, mult_units):
        y = f["y"][idx]
        c = stats(y, f["a"][idx], f["ta"], f["ia"])
        r = stats(y, f["b"][idx], f["tb"], f["ib"])
        row["candidate"].append(c)
        row["reference"].append(r)
        row["delta"].append([delta(x, z) for x, z in zip(c, r)])
    mc = [mean_or_none([row["candidate"][f][s] for f in range(len(findings))]) for s in range(3)]
    mr = [mean_or_none([row["reference"][f][s] for f in range(len(findings))]) for s in range(3)]
    row["macro"] = {"candidate": mc, "reference": mr,
                    "delta": [delta(x, z) for x, z in zip(mc, mr)]}
    return row


def interval(value, samples, resamples):
    v = [x for x in samples if x is not None]
    if value is None or not v:
        return None
    low, high = np.percentile(np.array(v), [2.5, 97.5])
    return {"value": value, "low": float(low), "high": float(high),
            "resamples": resamples, "used": len(v)}


def clustered_bootstrap(findings, k, seed, resamples):
    by_cluster = []
    for f in findings:
        units = [[] for _ in range(k)]
        for i, c in enumerate(f["cluster"]):
            units[c].append(i)
        by_cluster.append(units)
    observed = rows_for(findings, [np.arange(len(f["y"])) for f in findings])
    rows = []
    for b in range(resamples):
        d = draws(seed, b, k)
        idx = [np.array([i for c in d for i in units[c]], dtype=int) for units in by_cluster]
        rows.append(rows_for(findings, idx))
    names = ["sensitivity", "specificity", "auc"]

    def block(get):
        return {names[s]: interval(get(observed)[s], [get(r)[s] for r in rows], resamples)
                for s in range(3)}

    out = {"findings": [], "macro_average": {}}
    for f in range(len(findings)):
        out["findings"].append({
            "candidate": block(lambda r, f=f: r["candidate"][f]),
            "reference": block(lambda r, f=f: r["reference"][f]),
            "delta": block(lambda r, f=f: r["delta"][f]),
        })
    out["macro_average"] = {m: block(lambda r, m=m: r["macro"][m])
                            for m in ("candidate", "reference", "delta")}
    return out


def finding_json(f):
    return {
        "candidate_operating": {"threshold": f["ta"], "inclusive": f["ia"]},
        "reference_operating": {"threshold": f["tb"], "inclusive": f["ib"]},
        "units": {"cluster": [int(c) for c in f["cluster"]], "label": [int(v) for v in f["y"]],
                  "candidate": [float(v) for v in f["a"]],
                  "reference": [float(v) for v in f["b"]]},
    }


def make_clustered(rng, k, studies):
    """k patients, `studies` studies (every patient at least one), 3 findings."""
    patient = np.concatenate([np.arange(k), rng.integers(0, k, studies - k)])
    rng.shuffle(patient)
    u = rng.normal(0, 1, k)  # the patient's effect, shared by their studies
    findings = []
    specs = [  # (sick patients, decimals, threshold, inclusive, read fraction, label noise)
        (14, 2, 0.5, True, 1.0, 0.1),
        (18, 1, 0.4, False, 1.0, 0.1),  # ties at the threshold, called only when > 0.4
        (2, 2, 0.6, True, 0.8, 0.0),    # rare: about 1 resample in 8 draws no positive
    ]
    for n_sick, dec, thr, inc, read, noise in specs:
        sick = np.zeros(k, dtype=bool)
        sick[rng.choice(k, n_sick, replace=False)] = True
        keep = rng.random(studies) < read
        cl = patient[keep]
        y = np.where(rng.random(len(cl)) < 1 - noise, sick[cl], ~sick[cl])
        a = 1 / (1 + np.exp(-(2.0 * y - 1.0 + 0.8 * u[cl] + rng.normal(0, 0.8, len(cl)))))
        b = 1 / (1 + np.exp(-(1.2 * y - 0.6 + 0.8 * u[cl] + rng.normal(0, 0.9, len(cl)))))
        findings.append({"cluster": cl, "y": y.astype(bool), "a": np.round(a, dec),
                         "b": np.round(b, dec), "ta": thr, "ia": inc,
                         "tb": thr + 0.1 if dec == 2 else thr, "ib": inc})
    return findings


def cluster_doc():
    rng = np.random.default_rng(15)
    k, seed, resamples = 40, 12345, 200
    findings = make_clustered(rng, k, 100)
    return {
        "source": f"{VERSIONS}; Python re-implementation of the clustered bootstrap in "
                  "make_paired_golden.py (SplitMix64, xoshiro256**, Lemire bounded draw; "
                  "physical resamples; scikit-learn roc_auc_score; numpy.percentile)",
        "clusters": k, "seed": seed, "resamples": resamples,
        "multiplicities": {str(b): np.bincount(draws(seed, b, k), minlength=k).tolist()
                           for b in (0, 1, 199)},
        "findings": [finding_json(f) for f in findings],
        "expected": clustered_bootstrap(findings, k, seed, resamples),
    }


def sanity_doc():
    rng = np.random.default_rng(4)
    # One study per patient: the clustered bootstrap is the plain one.
    n = 400
    y = rng.random(n) < 0.4
    s = np.round(1 / (1 + np.exp(-(1.6 * y - 0.8 + rng.normal(0, 1, n)))), 3)
    plain = {"sensitivity": [], "specificity": [], "auc": []}
    boot = np.random.default_rng(5)
    for _ in range(20000):
        i = boot.integers(0, n, n)
        sens, spec, auc = stats(y[i], s[i], 0.5, True)
        plain["sensitivity"].append(sens)
        plain["specificity"].append(spec)
        plain["auc"].append(auc)
    bounds = {}
    for key, v in plain.items():
        lo, hi = np.percentile(np.array(v), [2.5, 97.5])
        bounds[key] = {"low": float(lo), "high": float(hi)}
    # Strongly clustered: 60 patients with 5 studies each, the label and most of the
    # score shared by the patient's studies.
    k, per = 60, 5
    sick = rng.random(k) < 0.4
    eff = rng.normal(0, 1, k)
    cl = np.repeat(np.arange(k), per)
    yc = sick[cl]
    sc = 1 / (1 + np.exp(-(1.0 * yc - 0.5 + 1.2 * eff[cl] + rng.normal(0, 0.2, k * per))))
    return {
        "source": f"{VERSIONS}; plain numpy percentile bootstrap, 20000 resamples",
        "one_per_cluster": {"labels": [int(v) for v in y], "scores": [float(v) for v in s],
                            "threshold": 0.5, "inclusive": True, "plain_bootstrap": bounds},
        "strongly_clustered": {"cluster": [int(c) for c in cl], "labels": [int(v) for v in yc],
                               "scores": [float(round(v, 4)) for v in sc],
                               "threshold": 0.5, "inclusive": True},
    }


def main():
    self_check()
    clustered = cluster_doc()
    docs = {
        "mcnemar": mcnemar_doc(),
        "delong": delong_doc(clustered),
        "cluster": clustered,
        "cluster_sanity": sanity_doc(),
    }
    for name, doc in docs.items():
        (HERE / f"{name}.json").write_text(json.dumps(doc, indent=1) + "\n")


if __name__ == "__main__":
    main()
