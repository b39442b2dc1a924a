//! The metrics of the compiler's registry ([`clic_compiler::schema::metrics::METRICS`]),
//! read from a computed [`Metrics`] record by their row. The facts, the subgroup records,
//! `clic bench`'s report and the dossier's tables read a metric through here, so a
//! registry row and its arm in [`read`] are the whole of a metric outside its computation.
//! (The figures plot sensitivity and specificity by name: they are drawings of those two.)

use super::subgroup::Difference;
use super::{proportion_value, Estimate, Metrics};
use clic_compiler::plan::Value;
use clic_compiler::schema::metrics::{Kind, MetricDef, METRICS};
use std::collections::BTreeMap;

/// The value of one metric of a metrics record.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Reading<'a> {
    /// A [`Kind::Proportion`] metric: its estimate, none where it is undefined (the AUC of
    /// a set with one class).
    Estimate(Option<&'a Estimate>),
    /// A [`Kind::Number`] metric: its point value.
    Number(f64),
}

/// The value of the metric `name` in `m`; none for a name that is no metric.
pub fn read<'a>(m: &'a Metrics, name: &str) -> Option<Reading<'a>> {
    use Reading::{Estimate as E, Number as N};
    Some(match name {
        "sensitivity" => E(Some(&m.sensitivity)),
        "specificity" => E(Some(&m.specificity)),
        "ppv" => E(Some(&m.ppv)),
        "npv" => E(Some(&m.npv)),
        "accuracy" => E(Some(&m.accuracy)),
        "balanced_accuracy" => E(m.balanced_accuracy.as_ref()),
        "f1" => E(Some(&m.f1)),
        "auc" => E(m.auc.as_ref()),
        "brier" => N(m.brier),
        "ece" => E(Some(&m.ece)),
        _ => return None,
    })
}

/// The value of a registry row in `m`.
pub fn reading<'a>(m: &'a Metrics, def: &MetricDef) -> Reading<'a> {
    read(m, def.name).unwrap_or(Reading::Estimate(None))
}

/// A metric as a clic value: a `Proportion` record, a number, or `Null` where undefined.
pub fn value(m: &Metrics, def: &MetricDef) -> Value {
    match reading(m, def) {
        Reading::Estimate(e) => e.map_or(Value::Null, proportion_value),
        Reading::Number(x) => Value::Number(x),
    }
}

/// The counts every metrics record carries, by their `benchmark.*` fact name.
pub fn counts(m: &Metrics) -> [(&'static str, f64); 8] {
    [
        ("n", m.n as f64),
        ("positives", m.positives as f64),
        ("negatives", m.negatives as f64),
        ("threshold", m.threshold),
        ("tp", m.tp as f64),
        ("fp", m.fp as f64),
        ("tn", m.tn as f64),
        ("fn", m.fn_ as f64),
    ]
}

/// The `benchmark.<name>` value of a metrics record (a count, the threshold or a metric);
/// none for a name that is neither.
pub fn fact(m: &Metrics, name: &str) -> Option<Value> {
    if let Some((_, x)) = counts(m).into_iter().find(|(k, _)| *k == name) {
        return Some(Value::Number(x));
    }
    METRICS.iter().find(|d| d.name == name).map(|d| value(m, d))
}

/// A `Subgroup` record: the attribute and its value, the counts, every metric the
/// registry computes per subgroup, and `vs_rest`, its differences from the rest of the
/// units ([`super::subgroup`]), one `RestDifference` per metric compared.
pub fn subgroup(attribute: &str, group: &str, m: &Metrics, vs_rest: &[Difference]) -> Value {
    let mut fields: BTreeMap<String, Value> = BTreeMap::new();
    fields.insert("attribute".into(), Value::String(attribute.to_string()));
    fields.insert("value".into(), Value::String(group.to_string()));
    for (k, x) in [
        ("n", m.n),
        ("positives", m.positives),
        ("negatives", m.negatives),
    ] {
        fields.insert(k.into(), Value::Number(x as f64));
    }
    for def in METRICS.iter().filter(|d| d.subgroup.is_some()) {
        fields.insert(def.name.into(), value(m, def));
    }
    let compared: BTreeMap<String, Value> = vs_rest
        .iter()
        .map(|d| (d.metric.name().to_string(), difference_value(d)))
        .collect();
    fields.insert("vs_rest".into(), Value::Record(compared));
    Value::Record(fields)
}

/// A `RestDifference` record: the difference, its interval (none where undefined), the
/// rest's estimate, whether it is assessable, the p values and the family's size.
pub fn difference_value(d: &Difference) -> Value {
    let opt = |x: Option<f64>| x.map_or(Value::Null, Value::Number);
    let mut r: BTreeMap<String, Value> = BTreeMap::new();
    r.insert("value".into(), opt(d.value));
    let ci = d.value.map_or(Value::Null, |_| {
        let mut ci = BTreeMap::new();
        ci.insert("low".to_string(), Value::Number(d.low));
        ci.insert("high".to_string(), Value::Number(d.high));
        ci.insert("method".to_string(), Value::String(d.method.clone()));
        Value::Record(ci)
    });
    r.insert("ci95".into(), ci);
    r.insert("rest".into(), opt(d.rest));
    r.insert("rest_n".into(), Value::Number(d.rest_n as f64));
    r.insert("assessable".into(), Value::Bool(d.assessable));
    r.insert("p_noninferior".into(), opt(d.p_noninferior));
    r.insert("p_holm".into(), opt(d.p_holm));
    r.insert("family".into(), Value::Number(d.family as f64));
    r.insert("margin".into(), Value::Number(super::subgroup::MARGIN));
    Value::Record(r)
}

/// Whether a reading meets a claim of `bound` on its metric, as the standard claim
/// controls judge it: a floor is met when the lower end of the 95% interval clears it, a
/// ceiling when the point estimate stays within it. An undefined metric meets nothing.
pub fn meets(def: &MetricDef, r: Reading<'_>, bound: f64) -> bool {
    use clic_compiler::schema::metrics::Bound;
    match (def.bound, r) {
        (Bound::Lower, Reading::Estimate(Some(e))) => e.low >= bound,
        (Bound::Lower, Reading::Number(x)) => x >= bound,
        (Bound::Upper, Reading::Estimate(Some(e))) => e.value <= bound,
        (Bound::Upper, Reading::Number(x)) => x <= bound,
        (_, Reading::Estimate(None)) => false,
    }
}

/// Whether a reading has the shape its row declares.
pub fn fits(def: &MetricDef, r: Reading<'_>) -> bool {
    matches!(
        (def.kind, r),
        (Kind::Proportion, Reading::Estimate(_)) | (Kind::Number, Reading::Number(_))
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::{compute, Scored};

    fn sample() -> Metrics {
        let cases: Vec<Scored> = (0..40u32)
            .map(|i| Scored {
                label: i % 3 == 0,
                score: f64::from((i * 17) % 41) / 40.0,
            })
            .collect();
        compute(&cases, 0.5, true)
    }

    /// Every row of the registry is computed, with the kind and interval it declares.
    #[test]
    fn every_row_is_computed_as_declared() {
        let m = sample();
        for def in METRICS {
            let r = read(&m, def.name).unwrap_or_else(|| panic!("{}: not computed", def.name));
            assert!(fits(def, r), "{}: {r:?}", def.name);
            if let Reading::Estimate(Some(e)) = r {
                assert_eq!(Some(e.method.as_str()), def.interval, "{}", def.name);
            }
        }
        assert!(read(&m, "tp").is_none());
    }

    #[test]
    fn facts_and_subgroups_follow_the_registry() {
        let m = sample();
        let Value::Record(all) = m.fact_value() else {
            panic!("not a record")
        };
        for (k, v) in &all {
            assert_eq!(fact(&m, k).as_ref(), Some(v), "{k}");
        }
        assert!(fact(&m, "by").is_none());
        let Value::Record(g) = subgroup("Modality", "CR", &m, &[]) else {
            panic!("not a record")
        };
        let declared: Vec<&str> = clic_compiler::schema::metrics::SUBGROUP_FIELDS
            .iter()
            .map(|f| f.0)
            .collect();
        let mut keys: Vec<&str> = g.keys().map(String::as_str).collect();
        let mut want = declared.clone();
        keys.sort_unstable();
        want.sort_unstable();
        assert_eq!(keys, want);
    }
}
