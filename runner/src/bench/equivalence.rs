//! Equivalence of two inference backends on the reference set (issue 17): when the
//! manifest declares the runtime the device ships with and a tolerance
//! (`runtime onnxruntime "1.31.1" tolerance 0.0001`) and this process's backend is not
//! that runtime, the model is run on the declared runtime too (in an inference process of
//! its own, on the same preprocessed tensors, which the per-scan cache holds) and every
//! value of every scan's output row is compared. Evidence of the one backend then stands
//! for the other's only when no value differs by more than the tolerance and no
//! operating-point call flips.

use super::pipeline::{self, Layout, Reuse, Scorer, Unit, Units};
use super::BenchInputs;
use crate::engine::{self, Alternative};
use clic_compiler::plan::ModelSpec;
use serde::{Deserialize, Serialize};

/// What the comparison of the two backends found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Equivalence {
    /// The backend compared with the evidence's (the declared runtime).
    pub backend: String,
    /// Its version, as it reports itself; empty when it could not be run.
    pub version: String,
    /// The manifest's tolerance.
    pub tolerance: f64,
    /// Scans scored on both backends.
    pub units: u64,
    /// The largest absolute difference between the two backends' values of a scan's
    /// output row; none when no scan was compared or a value is not finite.
    pub max_abs_diff: Option<f64>,
    /// Scans whose positive/negative call at the manifest's operating point differs
    /// between the backends; none when the manifest has no single `output` threshold.
    pub flips: Option<u64>,
    /// Whether every value is within the tolerance (and every one finite).
    pub within_tolerance: bool,
    /// Why the comparison could not be made, when it could not.
    pub unavailable: Option<String>,
}

/// The tolerance, when the manifest asks for equivalence to be shown: it declares its
/// runtime with a tolerance and this process's backend is not that runtime (or not its
/// declared version).
pub fn wanted(spec: &ModelSpec) -> Option<f64> {
    let runtime = spec.runtime.as_ref()?;
    let tolerance = runtime.tolerance?;
    let here = engine::backend();
    let same =
        here.name() == runtime.name && runtime.version.as_ref().is_none_or(|v| *v == here.version);
    (!same).then_some(tolerance)
}

/// The backend the comparison runs on: the other backend, when it is the declared
/// runtime (and version); else why there is none.
pub fn counterpart(spec: &ModelSpec) -> Result<&'static Alternative, String> {
    let alt = engine::alternative()?;
    let Some(runtime) = spec.runtime.as_ref() else {
        return Err("the manifest declares no runtime".to_string());
    };
    if alt.name() != runtime.name {
        return Err(format!(
            "the other backend is {}, not the declared runtime {}",
            alt.name(),
            runtime.name
        ));
    }
    if let Some(v) = runtime.version.as_ref().filter(|v| **v != alt.version) {
        return Err(format!(
            "the {} found is version {}, not the declared {v}",
            alt.name(),
            alt.version
        ));
    }
    Ok(alt)
}

/// What the cache key records of the comparison: none when none is wanted.
pub fn key_line(spec: &ModelSpec) -> Option<String> {
    let tolerance = wanted(spec)?;
    Some(match counterpart(spec) {
        Ok(alt) => format!(
            "equivalence {} {} tolerance {tolerance}\n",
            alt.name(),
            alt.version
        ),
        Err(why) => format!("equivalence unavailable ({why}) tolerance {tolerance}\n"),
    })
}

/// The comparison of `units` (the first scorer's rows on this process's backend) with
/// the same model's rows on the declared runtime, scored reusing `reuse`'s cache.
/// `threshold` is the manifest's operating point `(index, threshold, inclusive)` when it
/// has one `output`.
pub fn measure(
    inputs: &BenchInputs,
    scorer: Scorer<'_>,
    layout: Layout<'_>,
    reuse: &Reuse<'_>,
    units: &Units,
    tolerance: f64,
) -> Equivalence {
    let runtime = inputs
        .spec
        .runtime
        .as_ref()
        .map_or_else(String::new, |r| r.name.clone());
    let unavailable = |why: String| Equivalence {
        backend: runtime.clone(),
        version: String::new(),
        tolerance,
        units: 0,
        max_abs_diff: None,
        flips: None,
        within_tolerance: false,
        unavailable: Some(why),
    };
    let alt = match counterpart(&inputs.spec) {
        Ok(a) => a,
        Err(why) => return unavailable(why),
    };
    let on = Reuse {
        on: Some(alt),
        ..*reuse
    };
    let (other, _) = match pipeline::score(inputs, &[scorer], layout, &|_, _| {}, &on) {
        Ok(u) => u,
        Err(e) => return unavailable(format!("the model does not run on {}: {e}", alt.name())),
    };
    let point = inputs
        .spec
        .output
        .as_ref()
        .map(|o| (o.index.unwrap_or(0) as usize, o.threshold, o.inclusive));
    let mut eq = compare(units, &other, point, tolerance);
    eq.backend = alt.name().to_string();
    eq.version.clone_from(&alt.version);
    eq
}

/// The first model's rows of `a` and `b`, scan by scan.
fn compare(a: &Units, b: &Units, point: Option<(usize, f64, bool)>, tolerance: f64) -> Equivalence {
    let rows = |u: &Units| {
        u.units
            .iter()
            .filter_map(|(i, unit)| match unit {
                Unit::Scan { rows, .. } => rows.first().map(|r| (*i, r.clone())),
                Unit::Unreadable(_) => None,
            })
            .collect::<std::collections::BTreeMap<usize, Vec<u32>>>()
    };
    let (ra, rb) = (rows(a), rows(b));
    let mut units = 0u64;
    let mut max = 0f64;
    let mut finite = true;
    let mut flips = 0u64;
    let mut mismatched = 0u64;
    for (i, x) in &ra {
        let Some(y) = rb.get(i) else {
            mismatched += 1;
            continue;
        };
        if x.len() != y.len() {
            mismatched += 1;
            continue;
        }
        units += 1;
        for (p, q) in x.iter().zip(y) {
            let d = (f64::from(f32::from_bits(*p)) - f64::from(f32::from_bits(*q))).abs();
            if d.is_finite() {
                max = max.max(d);
            } else {
                finite = false;
            }
        }
        if let Some((at, t, inclusive)) = point {
            let call = |r: &Vec<u32>| {
                r.get(at).map(|&s| {
                    let s = f64::from(f32::from_bits(s));
                    if inclusive {
                        s >= t
                    } else {
                        s > t
                    }
                })
            };
            if call(x) != call(y) {
                flips += 1;
            }
        }
    }
    mismatched += rb.keys().filter(|k| !ra.contains_key(k)).count() as u64;
    let max_abs_diff = (finite && units > 0).then_some(max);
    Equivalence {
        backend: String::new(),
        version: String::new(),
        tolerance,
        units,
        max_abs_diff,
        flips: point.map(|_| flips),
        within_tolerance: mismatched == 0 && max_abs_diff.is_some_and(|m| m <= tolerance),
        unavailable: (mismatched > 0)
            .then(|| format!("{mismatched} scan(s) were scored on one backend and not the other")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dicom::{Placement, ScanInfo};

    fn units(scores: &[&[f32]]) -> Units {
        Units {
            units: scores
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    (
                        i,
                        Unit::Scan {
                            info: Box::new(ScanInfo::default()),
                            placement: Placement::default(),
                            rows: vec![r.iter().map(|v| v.to_bits()).collect()],
                        },
                    )
                })
                .collect(),
            present: Vec::new(),
            models: vec!["m".to_string()],
        }
    }

    #[test]
    fn the_largest_difference_and_the_flipped_calls_are_counted() {
        let a = units(&[&[0.2], &[0.4999], &[0.9]]);
        let b = units(&[&[0.20003], &[0.50001], &[0.9]]);
        let eq = compare(&a, &b, Some((0, 0.5, true)), 1e-4);
        assert_eq!(eq.units, 3);
        let d = eq.max_abs_diff.expect("compared");
        assert!((d - 1.1e-4).abs() < 1e-6, "{d}");
        assert_eq!(eq.flips, Some(1));
        assert!(!eq.within_tolerance, "1.1e-4 is over 1e-4");
        let eq = compare(&a, &b, Some((0, 0.5, true)), 2e-4);
        assert!(eq.within_tolerance);
        assert_eq!(compare(&a, &a, None, 0.0).max_abs_diff, Some(0.0));
        assert_eq!(compare(&a, &a, None, 0.0).flips, None);
    }

    #[test]
    fn a_scan_missing_on_one_side_or_a_nan_is_never_equivalent() {
        let a = units(&[&[0.2], &[0.4]]);
        let b = units(&[&[0.2]]);
        let eq = compare(&a, &b, None, 1.0);
        assert!(!eq.within_tolerance);
        assert!(eq.unavailable.is_some());
        let nan = units(&[&[0.2], &[f32::NAN]]);
        let eq = compare(&a, &nan, None, 1.0);
        assert_eq!(eq.max_abs_diff, None);
        assert!(!eq.within_tolerance);
    }
}
