//! Calibration: the Brier score, and the expected calibration error over 10 equal-width
//! bins of the score on 0..1 (bin `min(floor(10 * score), 9)`, so 1.0 falls in the last
//! bin; scores below 0 fall in the first), each bin weighted by its share of the cases.

use super::{CalibrationBin, Scored};

/// Number of equal-width bins.
const BINS: usize = 10;

/// Mean of (score - label)²; 0 with no cases.
pub(super) fn brier(sorted: &[Scored]) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let sum: f64 = sorted
        .iter()
        .map(|c| {
            let d = c.score - f64::from(u8::from(c.label));
            d * d
        })
        .sum();
    sum / sorted.len() as f64
}

/// The bin a score falls in.
fn bin_of(score: f64) -> usize {
    // `as` saturates: negative scores and NaN go to bin 0.
    ((score * BINS as f64).floor() as usize).min(BINS - 1)
}

/// The non-empty bins, lowest first, and the ECE: Σ (n_b / n) · |observed_b - mean_b|.
/// The ECE is 0 with no cases.
pub(super) fn bins(sorted: &[Scored]) -> (Vec<CalibrationBin>, f64) {
    let mut count = [0u64; BINS];
    let mut score_sum = [0.0f64; BINS];
    let mut pos = [0u64; BINS];
    for c in sorted {
        let b = bin_of(c.score);
        count[b] += 1;
        score_sum[b] += c.score;
        pos[b] += u64::from(c.label);
    }
    let total = sorted.len() as f64;
    let mut out = Vec::new();
    let mut ece = 0.0;
    for b in 0..BINS {
        if count[b] == 0 {
            continue;
        }
        let n = count[b] as f64;
        let mean_score = score_sum[b] / n;
        let observed_rate = pos[b] as f64 / n;
        ece += n / total * (observed_rate - mean_score).abs();
        out.push(CalibrationBin {
            lower: b as f64 / BINS as f64,
            upper: (b + 1) as f64 / BINS as f64,
            n: count[b],
            mean_score,
            observed_rate,
        });
    }
    (out, ece)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bin_edges() {
        assert_eq!(bin_of(0.0), 0);
        assert_eq!(bin_of(0.0999), 0);
        assert_eq!(bin_of(0.1), 1);
        assert_eq!(bin_of(0.3), 3);
        assert_eq!(bin_of(0.9), 9);
        assert_eq!(bin_of(1.0), 9);
        assert_eq!(bin_of(-0.2), 0);
        assert_eq!(bin_of(f64::NAN), 0);
    }

    #[test]
    fn one_bin_then_a_calibrated_one() {
        let c: Vec<Scored> = [(true, 0.25), (false, 0.25), (true, 0.25), (false, 0.25)]
            .iter()
            .map(|&(label, score)| Scored { label, score })
            .collect();
        let (b, ece) = bins(&c);
        assert_eq!(b.len(), 1);
        assert_eq!((b[0].lower, b[0].upper, b[0].n), (0.2, 0.3, 4));
        assert!((ece - 0.25).abs() < 1e-15, "{ece}");
        assert!((brier(&c) - 0.3125).abs() < 1e-15);
        let c = [
            Scored {
                label: true,
                score: 0.5,
            },
            Scored {
                label: false,
                score: 0.5,
            },
        ];
        assert_eq!(bins(&c).1, 0.0);
        assert_eq!(brier(&c), 0.25);
    }
}
