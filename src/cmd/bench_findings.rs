//! `clic bench`'s report of several findings per unit of analysis: the unit and its
//! aggregation, each finding's metrics, the macro averages, the comparison with the
//! released version and what the labels file left out.

use clic_runner::metrics::Estimate;
use clic_runner::task::findings::compare::Delta;
use clic_runner::task::findings::FindingsEvidence;

fn interval(e: &Estimate) -> String {
    format!(
        "{:.4}  [{:.4}–{:.4}]  n={} {}",
        e.value, e.low, e.high, e.n, e.method
    )
}

fn delta(name: &str, d: Option<&Delta>, points: bool) -> String {
    let Some(d) = d else {
        return format!("    {name:<14} undefined\n");
    };
    let (scale, unit) = if points {
        (100.0, " points")
    } else {
        (1.0, "")
    };
    let p = d
        .p_value
        .map_or_else(|| "p undefined".to_string(), |p| format!("p={p:.4}"));
    format!(
        "    {name:<14} {:+.3}{unit}  [{:+.3}–{:+.3}]  {}  {p} ({})\n",
        d.value * scale,
        d.low * scale,
        d.high * scale,
        d.method,
        d.test
    )
}

/// The report.
pub fn human(f: &FindingsEvidence) -> String {
    let mut out = format!(
        "unit: {} ({} units of {} patients; aggregate {}); labels keyed by {}\n",
        f.unit,
        f.units.len(),
        f.patients,
        f.aggregate,
        f.label_key
    );
    out.push_str(&if f.clustered {
        format!(
            "intervals of sensitivity, specificity and AUC: patient-clustered bootstrap ({} resamples, seed {:#x}), since patients have several units\n",
            f.resampling.resamples, f.resampling.seed
        )
    } else {
        "intervals: Wilson and DeLong (every patient has one unit)\n".to_string()
    });
    for r in &f.findings {
        out.push_str(&format!(
            "\n{}: {} ({} unlabelled)\n",
            r.name, r.positive, r.unlabelled
        ));
        match &r.metrics {
            Some(m) => out.push_str(&super::bench::metric_lines(m)),
            None => out.push_str("  no unit is labelled for it\n"),
        }
        if !r.claims_unmet.is_empty() {
            out.push_str(&format!(
                "  claims not met: {}\n",
                r.claims_unmet.join(", ")
            ));
        }
    }
    for (title, avg) in [
        ("macro average over the findings", &f.macro_average),
        (
            "micro average (every unit and finding pooled)",
            &f.micro_average,
        ),
    ] {
        out.push_str(&format!("\n{title}\n"));
        for (name, e) in [
            ("sensitivity", &avg.sensitivity),
            ("specificity", &avg.specificity),
            ("auc", &avg.auc),
        ] {
            match e {
                Some(e) => out.push_str(&format!("  {name:<12} {}\n", interval(e))),
                None => out.push_str(&format!("  {name:<12} undefined\n")),
            }
        }
    }
    if let Some(c) = &f.compare {
        out.push_str(&format!(
            "\ncompared with {} ({}) on the same units\n",
            c.path,
            c.version.as_deref().unwrap_or("no version given")
        ));
        for fc in &c.findings {
            out.push_str(&format!(
                "  {} (n={}): positive rate {:.1}% at {} (released {:.1}% at {}); score shift (KS) {:.3}\n",
                fc.name,
                fc.n,
                fc.positive_rate.0 * 100.0,
                fc.threshold,
                fc.positive_rate.1 * 100.0,
                fc.released_threshold,
                fc.score_shift
            ));
            out.push_str(&delta("ΔAUC", fc.delta_auc.as_ref(), false));
            out.push_str(&delta("Δsensitivity", fc.delta_sensitivity.as_ref(), true));
            out.push_str(&delta("Δspecificity", fc.delta_specificity.as_ref(), true));
            for m in &fc.margins {
                let margin = if m.metric == "auc" {
                    format!("{}", m.margin)
                } else {
                    format!("{} points", (m.margin * 1000.0).round() / 10.0)
                };
                out.push_str(&format!(
                    "    non-inferior in {} by {margin}: {}\n",
                    m.metric,
                    if m.met { "yes" } else { "NO" }
                ));
            }
        }
    }
    for (what, list) in [
        ("label columns naming no finding", &f.unknown_findings),
        ("findings without a label column", &f.missing_findings),
    ] {
        if !list.is_empty() {
            out.push_str(&format!("\n{what}: {}\n", list.join(", ")));
        }
    }
    if f.labels_without_unit > 0 {
        out.push_str(&format!(
            "\n{} label row(s) match no scan of the reference set\n",
            f.labels_without_unit
        ));
    }
    out
}
