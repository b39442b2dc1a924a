"""Reference values for the ECE and its bootstrap interval (runner/src/metrics/calibration.rs).

Reads the cases of the fixtures make_golden.py wrote and writes ece_bootstrap.json next to
this script; runner/tests/ece_bootstrap_golden.rs loads it (no Python at test time).
Regenerate from the repository root (numpy only):
    python runner/tests/data/metrics/make_ece_bootstrap.py

Versions used to produce the committed JSON: python 3.11.7, numpy 2.4.6.

Per fixture it records:
  - "ece": the point estimate by numpy (10 equal-width bins on [0, 1], bin index
    min(floor(10 * score), 9), each bin weighted by its share of the cases), computed
    independently of the Rust code.
  - "same_algorithm": the basic bootstrap interval (2 ECE - q97.5, 2 ECE - q2.5), cut to
    0..1 (Davison & Hinkley 1997, eq. 5.6), q the 2.5th and 97.5th percentiles of the ECE
    over 2000 resamples drawn exactly as the Rust code draws them, re-implemented here from the published
    algorithms: xoshiro256** 1.0 (Blackman & Vigna 2018) seeded by four SplitMix64 outputs
    from seed ^ (b * 0xd1b54a32d192ed03) for resample b, draws below n by Lemire's
    multiply-and-reject (2019), over the cases sorted by (score, label); bounds by linear
    interpolation (numpy's default percentile). The Rust bounds must equal these.
  - "numpy_reference": a seed-independent check, the same basic interval from numpy's
    own generator (default_rng(20241202), 20000 resamples): a different stream of draws,
    so the Rust bounds must only be near it (the Monte Carlo error of 2000 resamples).
And, once, "coverage": how often the basic and the percentile intervals (numpy, 1000
resamples) hold the
population ECE of a known score model (scores uniform, P(positive | score) = score ** power,
power 1.6 and 1.15), over 300 samples of 300 cases each, for the record: the plug-in ECE
is biased upward, so the percentile interval misses a small population ECE (calibration.rs
quotes these numbers).
"""
import json
import pathlib

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
FIXTURES = ["small_ties", "synthetic_500", "all_negative", "threshold_ties", "perfect_separation"]
MASK = (1 << 64) - 1
SEED = 0x636C_6963_4543_4562  # "clicECEb"
RESAMPLES = 2000


def splitmix64(state):
    state = (state + 0x9E3779B97F4A7C15) & MASK
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
    return state, z ^ (z >> 31)


def rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & MASK


class Xoshiro:
    def __init__(self, seed, b):
        sm = seed ^ ((b * 0xD1B54A32D192ED03) & MASK)
        s = []
        for _ in range(4):
            sm, z = splitmix64(sm)
            s.append(z)
        self.s = s

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
        threshold = ((-n) & MASK) % n
        while True:
            m = self.next() * n
            if (m & MASK) >= threshold:
                return m >> 64


def bin_of(score):
    return min(int(np.floor(score * 10.0)), 9) if score > 0 else 0


def ece_numpy(y, s):
    idx = np.minimum(np.floor(s * 10.0), 9).astype(int)
    ece = 0.0
    for b in range(10):
        sel = idx == b
        nb = int(sel.sum())
        if nb:
            ece += nb / len(s) * abs(float(y[sel].mean()) - float(s[sel].mean()))
    return float(ece)


def ece_as_rust(count, score_sum, pos, total):
    """The resample's ECE with the Rust code's operations, in its order."""
    ece = 0.0
    for b in range(10):
        if count[b] == 0:
            continue
        n = float(count[b])
        ece += n / total * abs(pos[b] / n - score_sum[b] / n)
    return ece


def percentile(v, q):
    pos = q * (len(v) - 1)
    lo = int(np.floor(pos))
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (pos - lo)


def same_algorithm(labels, scores):
    cases = sorted(zip(scores, labels))  # by score, then label (False < True)
    n = len(cases)
    bins = [bin_of(s) for s, _ in cases]
    eces = []
    for b in range(RESAMPLES):
        rng = Xoshiro(SEED, b)
        count, score_sum, pos = [0] * 10, [0.0] * 10, [0] * 10
        for _ in range(n):
            i = rng.below(n)
            k = bins[i]
            count[k] += 1
            score_sum[k] += cases[i][0]
            pos[k] += int(cases[i][1])
        eces.append(ece_as_rust(count, score_sum, pos, float(n)))
    eces.sort()
    q_low, q_high = percentile(eces, 0.025), percentile(eces, 0.975)
    # The point estimate as the Rust code sums it (over the sorted cases), then the basic
    # interval (2 * ECE - q97.5, 2 * ECE - q2.5), cut to 0..1.
    count, score_sum, pos = [0] * 10, [0.0] * 10, [0] * 10
    for (score, label), k in zip(cases, bins):
        count[k] += 1
        score_sum[k] += score
        pos[k] += int(label)
    ece = ece_as_rust(count, score_sum, pos, float(n))
    cut = lambda x: min(max(x, 0.0), 1.0)  # noqa: E731
    return {"low": cut(2 * ece - q_high), "high": cut(2 * ece - q_low),
            "percentile_low": q_low, "percentile_high": q_high, "resamples": RESAMPLES}


def numpy_bootstrap(y, s, rng, resamples):
    n = len(s)
    idx = rng.integers(0, n, size=(resamples, n))
    ys, ss = y[idx], s[idx]
    bins = np.minimum(np.floor(ss * 10.0), 9).astype(int)
    ece = np.zeros(resamples)
    for b in range(10):
        sel = bins == b
        nb = sel.sum(axis=1)
        pos = (ys * sel).sum(axis=1)
        tot = (ss * sel).sum(axis=1)
        ece += np.abs(pos - tot) / n
    return ece


def basic(point, resampled):
    """The basic bootstrap interval, cut to 0..1, and the percentile interval."""
    low, high = np.percentile(resampled, [2.5, 97.5])
    return (float(np.clip(2 * point - high, 0, 1)), float(np.clip(2 * point - low, 0, 1)),
            float(low), float(high))


def coverage(power):
    """Population: score ~ U(0, 1), P(positive | score) = score ** power (1: calibrated)."""
    g = lambda s: s ** power  # noqa: E731
    # Population ECE over the 10 bins, by fine quadrature of each bin.
    true = 0.0
    for b in range(10):
        x = np.linspace(b / 10, (b + 1) / 10, 200001)
        true += 0.1 * abs(float(np.mean(g(x))) - float(np.mean(x)))
    rng = np.random.default_rng(7)
    reps, n, hits, below = 300, 300, 0, 0
    for _ in range(reps):
        s = rng.random(n)
        y = (rng.random(n) < g(s)).astype(float)
        low, high, p_low, p_high = basic(ece_numpy(y, s), numpy_bootstrap(y, s, rng, 1000))
        hits += low <= true <= high
        below += p_low <= true <= p_high
    return {"power": power, "population_ece": true, "samples": reps, "n": n, "resamples": 1000,
            "basic_covered": hits / reps, "percentile_covered": below / reps}


def main():
    out = {"source": f"numpy {np.__version__}; xoshiro256**/SplitMix64/Lemire re-implemented in make_ece_bootstrap.py",
           "seed": SEED, "fixtures": {}}
    rng = np.random.default_rng(20241202)
    for name in FIXTURES:
        doc = json.loads((HERE / f"{name}.json").read_text())
        labels = [bool(v) for v in doc["cases"]["labels"]]
        scores = [float(v) for v in doc["cases"]["scores"]]
        y, s = np.array(labels, dtype=float), np.array(scores)
        low, high, _, _ = basic(ece_numpy(y, s), numpy_bootstrap(y, s, rng, 20000))
        out["fixtures"][name] = {
            "ece": ece_numpy(y, s),
            "same_algorithm": same_algorithm(labels, scores),
            "numpy_reference": {"low": low, "high": high, "resamples": 20000},
        }
        f = out["fixtures"][name]
        print(name, round(f["ece"], 6), f["same_algorithm"], f["numpy_reference"])
    out["coverage"] = [coverage(1.6), coverage(1.15)]
    print("coverage", out["coverage"])
    (HERE / "ece_bootstrap.json").write_text(json.dumps(out, indent=1) + "\n")


if __name__ == "__main__":
    main()
