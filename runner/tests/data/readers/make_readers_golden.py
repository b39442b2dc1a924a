"""Golden reference values for the comparison with readers
(runner/src/task/findings/readers.rs).

Writes readers.json next to this script; runner/tests/readers_golden.rs loads it (no
Python at test time). Regenerate from the repository root:
    python runner/tests/data/readers/make_readers_golden.py

The fixture: 40 studies of 24 patients (several studies per patient, so the intervals
are patient-clustered), two findings: `effusion`, read by the readers as calls, and
`nodule`, read as scores on a 0.05 grid (ties); three readers, R3 reading about half of
the studies and R2 not reading `nodule` on some; the model's scores and its operating
points. It is given as the readers' CSV text and the units (file, patient, labels,
model scores), the way clic reads them.

What comes from where (versions in the JSON's `source`):
  - McNemar per reader and finding read with calls: statsmodels
    `mcnemar([[0, b], [c, 0]], exact=True)` on the discordant counts of whether the
    model and the reader call a positive study positive (sensitivity) or a negative one
    negative (specificity); the mid-p value as 2 * binom.cdf(m, n, 1/2) - binom.pmf(m,
    n, 1/2) (scipy), m = min(b, c), n = b + c.
  - DeLong per reader of `nodule`: the numpy DeLong of make_paired_golden.py (O(m*n)
    kernel), model as the candidate and the reader as the reference; its p value.
  - The paired patient-clustered bootstrap per reader and of the readers pooled: the
    independent Python bootstrap of make_paired_golden.py (same generator stream,
    physical resamples, scikit-learn roc_auc_score, numpy.percentile) with one
    "finding" per reader, whose macro average is the readers' mean; a call is scored 1
    or 0 and called at 0.5.
"""
import json
import pathlib
import sys

import numpy as np
import scipy.stats
from statsmodels.stats.contingency_tables import mcnemar

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "paired"))
import make_paired_golden as P  # noqa: E402

SEED, RESAMPLES = 424242, 200
FINDINGS = ["effusion", "nodule"]
THRESHOLDS = {"effusion": 0.5, "nodule": 0.4}


def fixture():
    rng = np.random.default_rng(20261202)
    k, studies = 24, 40
    patient = np.concatenate([np.arange(k), rng.integers(0, k, studies - k)])
    rng.shuffle(patient)
    effect = rng.normal(0, 0.8, k)
    units = []
    for i in range(studies):
        p = int(patient[i])
        labels, scores = [], []
        for f, prev in (("effusion", 0.4), ("nodule", 0.35)):
            y = bool(rng.random() < prev)
            s = 1 / (1 + np.exp(-(2.2 * y - 1.1 + effect[p] + rng.normal(0, 0.9))))
            labels.append(y)
            scores.append(round(float(s), 4))
        units.append({"file": f"st-{i:02d}.dcm", "patient": f"P{p:02d}", "cluster_patient": p,
                      "labels": labels, "scores": scores})
    # Readers: calls for effusion, scores for nodule (0.05 grid).
    lines = ["reader,file," + ",".join(FINDINGS)]
    panel = [("R1", 1.0, 0.75, 0.9, 1.5, 1.0), ("R2", 1.0, 0.9, 0.7, 1.0, 0.7),
             ("R3", 0.5, 0.7, 0.95, 2.0, 1.0)]
    for name, share, sens, spec, sep, nodule_share in panel:
        for u in units:
            if rng.random() >= share:
                continue
            y_e, y_n = u["labels"]
            call = rng.random() < (sens if y_e else 1 - spec)
            z = sep * (2 * y_n - 1) / 2 + rng.standard_normal()
            nodule = f"{round(20 / (1 + np.exp(-z))) / 20:.2f}" if rng.random() < nodule_share else ""
            lines.append(f"{name},{u['file']},{'positive' if call else 'negative'},{nodule}")
    # A comment and a blank line, which clic skips.
    text = lines[0] + "\n# synthetic reads\n" + "\n".join(lines[1:]) + "\n\n"
    return units, text


def clusters_of(units):
    """Patients numbered in the units' order (as clic numbers them)."""
    ids = {}
    for u in units:
        ids.setdefault(u["patient"], len(ids))
    return [ids[u["patient"]] for u in units], len(ids)


def main():
    P.self_check()
    units, text = fixture()
    cluster_of, k = clusters_of(units)
    index = {u["file"]: i for i, u in enumerate(units)}
    reads = []  # (reader, unit, values)
    readers = []
    for line in text.splitlines()[1:]:
        if not line or line.startswith("#"):
            continue
        r, file, eff, nod = line.split(",")
        if r not in readers:
            readers.append(r)
        reads.append((r, index[file], [None if eff == "" else (1.0 if eff == "positive" else 0.0),
                                       None if nod == "" else float(nod)]))
    expected = {}
    for f, name in enumerate(FINDINGS):
        per_reader = []
        for r in readers:
            mine = sorted((u, v[f]) for rr, u, v in reads if rr == r and v[f] is not None)
            if not mine:
                continue
            idx = [u for u, _ in mine]
            per_reader.append({
                "reader": r,
                "cluster": np.array([cluster_of[u] for u in idx]),
                "y": np.array([units[u]["labels"][f] for u in idx], dtype=bool),
                "a": np.array([units[u]["scores"][f] for u in idx]),
                "b": np.array([v for _, v in mine]),
                "ta": THRESHOLDS[name], "ia": True, "tb": 0.5, "ib": True,
            })
        boot = P.clustered_bootstrap(per_reader, k, SEED, RESAMPLES)
        rows = []
        for i, d in enumerate(per_reader):
            row = {"reader": d["reader"], "n": int(len(d["y"])), "bootstrap": boot["findings"][i]}
            if name == "effusion":
                called_a = d["a"] >= d["ta"]
                called_b = d["b"] >= 0.5
                for stat, mask, right_a, right_b in (
                    ("sensitivity", d["y"], called_a, called_b),
                    ("specificity", ~d["y"], ~called_a, ~called_b),
                ):
                    b = int((right_a & ~right_b & mask).sum())
                    c = int((~right_a & right_b & mask).sum())
                    m, n = min(b, c), b + c
                    exact = float(mcnemar(np.array([[0, b], [c, 0]]), exact=True).pvalue)
                    mid = 1.0 if 2 * m >= n else float(
                        2 * scipy.stats.binom.cdf(m, n, 0.5) - scipy.stats.binom.pmf(m, n, 0.5))
                    row[f"mcnemar_{stat}"] = {"b": b, "c": c, "exact_p_value": exact, "mid_p_value": mid}
            else:
                row["delong"] = P.delong_paired(d["y"], d["a"], d["b"])
            rows.append(row)
        expected[name] = {"readers": rows, "pooled": boot["macro_average"]}
    doc = {
        "source": f"{P.VERSIONS}; statsmodels mcnemar(exact=True); scipy binom mid-p; numpy "
                  "DeLong and the Python clustered bootstrap of make_paired_golden.py",
        "seed": SEED, "resamples": RESAMPLES, "findings": FINDINGS, "thresholds": THRESHOLDS,
        "csv": text,
        "units": [{"file": u["file"], "patient": u["patient"], "labels": u["labels"],
                   "scores": u["scores"]} for u in units],
        "clusters": k,
        "expected": expected,
    }
    (HERE / "readers.json").write_text(json.dumps(doc, indent=1) + "\n")


if __name__ == "__main__":
    main()
