//! The robustness study (issue 17, AI Act Art. 15): the benchmark re-scored under each
//! perturbation the manifest declares (`robustness { jpeg quality 75 jpeg2000 ratio 10
//! noise 2% rotate 5 degrees }`), applied to every decoded image before the preprocessing
//! ([`crate::dicom::perturb`]), with each metric's change against the unperturbed run.
//! Perturbed tensors and rows are cached per scan like the others (their tensor key
//! holds the perturbation), so a re-run is warm.

use crate::metrics::Metrics;
use serde::{Deserialize, Serialize};

/// The study's result.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Robustness {
    /// The largest drop the manifest claims (`drop at most 3%`, 0.05 by default).
    pub max_drop: f64,
    /// One row per perturbation, in the manifest's order.
    pub rows: Vec<Perturbed>,
    /// The largest drop of AUC, sensitivity or specificity under any perturbation (0
    /// when none drops); none when no metric could be compared.
    pub largest_drop: Option<f64>,
}

/// The metrics under one perturbation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Perturbed {
    /// As the manifest writes it (`jpeg quality 75`).
    pub perturbation: String,
    /// Units scored under it.
    pub units: u64,
    /// Scans that could not be scored under it.
    pub unreadable: u64,
    /// AUC under it.
    pub auc: Option<f64>,
    /// Sensitivity at the operating point.
    pub sensitivity: Option<f64>,
    /// Specificity at the operating point.
    pub specificity: Option<f64>,
    /// AUC under it minus unperturbed.
    pub delta_auc: Option<f64>,
    /// Sensitivity under it minus unperturbed.
    pub delta_sensitivity: Option<f64>,
    /// Specificity under it minus unperturbed.
    pub delta_specificity: Option<f64>,
}

/// The row of `label` from the perturbed run's metrics, against the unperturbed.
pub fn row(
    label: String,
    perturbed: Option<&Metrics>,
    unperturbed: Option<&Metrics>,
    unreadable: u64,
) -> Perturbed {
    let auc = |m: &Metrics| m.auc.as_ref().map(|e| e.value);
    let sens = |m: &Metrics| Some(m.sensitivity.value);
    let spec = |m: &Metrics| Some(m.specificity.value);
    let delta = |f: &dyn Fn(&Metrics) -> Option<f64>| Some(f(perturbed?)? - f(unperturbed?)?);
    Perturbed {
        perturbation: label,
        units: perturbed.map_or(0, |m| m.n),
        unreadable,
        auc: perturbed.and_then(auc),
        sensitivity: perturbed.and_then(sens),
        specificity: perturbed.and_then(spec),
        delta_auc: delta(&auc),
        delta_sensitivity: delta(&sens),
        delta_specificity: delta(&spec),
    }
}

/// The study from its rows: the largest drop over every metric of every row.
pub fn study(max_drop: f64, rows: Vec<Perturbed>) -> Robustness {
    let deltas: Vec<f64> = rows
        .iter()
        .flat_map(|r| [r.delta_auc, r.delta_sensitivity, r.delta_specificity])
        .flatten()
        .collect();
    let largest_drop = (!deltas.is_empty()).then(|| deltas.iter().fold(0.0f64, |m, d| m.max(-d)));
    Robustness {
        max_drop,
        rows,
        largest_drop,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(delta_auc: Option<f64>, delta_sensitivity: Option<f64>) -> Perturbed {
        Perturbed {
            perturbation: "noise 2%".to_string(),
            units: 10,
            unreadable: 0,
            auc: None,
            sensitivity: None,
            specificity: None,
            delta_auc,
            delta_sensitivity,
            delta_specificity: None,
        }
    }

    #[test]
    fn the_largest_drop_is_the_most_negative_change_and_a_gain_is_no_drop() {
        let s = study(
            0.05,
            vec![p(Some(-0.01), Some(0.02)), p(Some(0.0), Some(-0.04))],
        );
        assert_eq!(s.largest_drop, Some(0.04));
        let s = study(0.05, vec![p(Some(0.01), Some(0.02))]);
        assert_eq!(s.largest_drop, Some(0.0));
        assert_eq!(study(0.05, vec![p(None, None)]).largest_drop, None);
    }
}
