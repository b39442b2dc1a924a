//! `clic bench`'s report of a segmentation benchmark: per structure, each metric's mean
//! with its patient-clustered 95% interval, median, range and n, the empty cases, and the
//! volumes' agreement where the manifest quantifies them.

use clic_runner::metrics::segmentation::Summary;
use clic_runner::task::segmentation::SegmentationEvidence;

fn line(name: &str, unit: &str, s: Option<&Summary>, scale: f64) -> String {
    match s {
        None => format!("    {name:<6} not computed (no case defines it)\n"),
        Some(s) => format!(
            "    {name:<6} {:>8.3}{unit}  [{:.3}–{:.3}]  median {:.3}  range {:.3}–{:.3}  n={}\n",
            s.mean * scale,
            s.ci95.low * scale,
            s.ci95.high * scale,
            s.median * scale,
            s.min * scale,
            s.max * scale,
            s.n
        ),
    }
}

/// The human report.
pub(super) fn human(ev: &SegmentationEvidence) -> String {
    let mut out = format!(
        "{} case(s) (one series each), {} structure(s); means with patient-clustered bootstrap 95% intervals\n",
        ev.cases.len(),
        ev.structures.len()
    );
    if ev.series_without_mask > 0 {
        out.push_str(&format!(
            "{} series of the reference folder have no mask in the masks file and are not scored\n",
            ev.series_without_mask
        ));
    }
    for r in &ev.summaries {
        let s = &r.summary;
        out.push_str(&format!(
            "  {}: {} case(s); both masks empty {}, reference empty {}, prediction empty {}\n",
            r.name, s.cases, s.empty_both, s.empty_reference, s.empty_prediction
        ));
        out.push_str(&line("dice", "", s.dice.as_ref(), 1.0));
        out.push_str(&line("iou", "", s.iou.as_ref(), 1.0));
        out.push_str(&line(
            &format!("nsd@{}", s.nsd_tolerance_mm),
            "",
            s.nsd.as_ref(),
            1.0,
        ));
        out.push_str(&line("hd95", " mm", s.hd95.as_ref(), 1.0));
        out.push_str(&line("assd", " mm", s.assd.as_ref(), 1.0));
        out.push_str(&line("rvd", " %", s.rvd.as_ref(), 100.0));
        if let Some(a) = &r.volume {
            out.push_str(&format!(
                "    volume: bias {:.1} mL [{:.1}–{:.1}], limits of agreement {:.1} to {:.1} mL, RMSE {:.1} mL [{:.1}–{:.1}], {}\n",
                a.bias,
                a.bias_ci95.low,
                a.bias_ci95.high,
                a.loa_low,
                a.loa_high,
                a.rmse,
                a.rmse_ci95.low,
                a.rmse_ci95.high,
                match &a.icc {
                    Ok(i) => format!("ICC(A,1) {:.3} [{:.3}–{:.3}]", i.value, i.ci95.low, i.ci95.high),
                    Err(e) => format!("ICC(A,1) undefined: {e}"),
                }
            ));
        } else if let Some(why) = &r.volume_missing {
            out.push_str(&format!("    volume: no agreement: {why}\n"));
        }
    }
    out
}
