//! The figures: well-formed, byte-stable, escaped, and drawn for degenerate inputs too.

use super::forest::{F_LABEL, F_PANELS, F_PANEL_W};
use super::svg::{coord, fixed, fixed2, fixed3, split_at_space};
use super::*;
use clic_runner::dicom::{DeidAudit, ScanInfo};
use clic_runner::metrics::{compute, Scored};

/// A minimal XML check: tags balance, one root `svg`, attribute values quoted, and
/// text and attributes hold no raw `<`, `>` or `&` outside an entity.
fn well_formed(svg: &str) -> Result<(), String> {
    fn entities_ok(s: &str) -> Result<(), String> {
        for (i, _) in s.match_indices('&') {
            let rest = &s[i..];
            if !["&amp;", "&lt;", "&gt;", "&quot;", "&#39;"]
                .iter()
                .any(|e| rest.starts_with(e))
            {
                return Err(format!("raw `&` in {s:?}"));
            }
        }
        Ok(())
    }
    if !svg.starts_with("<svg ") {
        return Err("does not start with <svg".into());
    }
    let mut stack: Vec<String> = Vec::new();
    let mut roots = 0;
    let mut rest = svg;
    while let Some(open) = rest.find('<') {
        let text = &rest[..open];
        if text.contains('>') {
            return Err(format!("raw `>` in text {text:?}"));
        }
        entities_ok(text)?;
        let after = &rest[open + 1..];
        let close = after.find('>').ok_or("unclosed tag")?;
        let tag = &after[..close];
        rest = &after[close + 1..];
        if tag.contains('<') || !tag.matches('"').count().is_multiple_of(2) {
            return Err(format!("malformed tag <{tag}>"));
        }
        entities_ok(tag)?;
        if let Some(name) = tag.strip_prefix('/') {
            match stack.pop() {
                Some(open) if open == name => {}
                other => return Err(format!("</{name}> closes {other:?}")),
            }
            continue;
        }
        let name = tag
            .trim_end_matches('/')
            .split_whitespace()
            .next()
            .ok_or("empty tag")?;
        if !name.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(format!("bad element name {name:?}"));
        }
        if stack.is_empty() {
            roots += 1;
        }
        if !tag.ends_with('/') {
            stack.push(name.to_string());
        }
    }
    if !rest.trim().is_empty() {
        return Err(format!("text after the root: {rest:?}"));
    }
    match (stack.is_empty(), roots) {
        (true, 1) => Ok(()),
        _ => Err(format!("unclosed {stack:?} or {roots} roots")),
    }
}

/// The value of `attr` in every tag with `class="class"`.
fn attrs(svg: &str, class: &str, attr: &str) -> Vec<String> {
    let marker = format!("class=\"{class}\"");
    svg.split('<')
        .filter(|tag| tag.contains(&marker))
        .filter_map(|tag| {
            let at = tag.find(&format!(" {attr}=\""))? + attr.len() + 3;
            tag[at..].split('"').next().map(str::to_string)
        })
        .collect()
}

fn num(s: &str) -> f64 {
    s.parse().unwrap_or(f64::NAN)
}

fn inside_plot(x: f64, y: f64) -> bool {
    (X0..=X0 + SIDE).contains(&x) && (Y0..=Y0 + SIDE).contains(&y)
}

fn cases(pos: &[f64], neg: &[f64]) -> Vec<Scored> {
    let p = pos.iter().map(|&score| Scored { label: true, score });
    let n = neg.iter().map(|&score| Scored {
        label: false,
        score,
    });
    p.chain(n).collect()
}

/// 4 positives and 4 negatives: at >= 0.5, tp 3 and fp 1.
fn sample() -> Metrics {
    compute(
        &cases(&[0.9, 0.8, 0.6, 0.3], &[0.7, 0.4, 0.2, 0.1]),
        0.5,
        true,
    )
}

/// 60 cases spread over the score range.
fn spread() -> Metrics {
    let c: Vec<Scored> = (0..60)
        .map(|i| {
            let score = (f64::from(i) + 0.5) / 60.0;
            Scored {
                label: i % 3 != 0 && score > 0.3,
                score,
            }
        })
        .collect();
    compute(&c, 0.5, true)
}

fn group(attribute: &str, value: &str, m: Option<Metrics>) -> Subgroup {
    Subgroup {
        attribute: attribute.to_string(),
        value: value.to_string(),
        metrics: m,
    }
}

#[test]
fn figures_are_well_formed_self_contained_and_accessible() {
    let m = spread();
    let groups = vec![
        group("Manufacturer", "ACME", Some(sample())),
        group("PatientSex", "F", Some(m.clone())),
    ];
    for svg in [roc(&m), calibration(&m), forest(&m, &groups)] {
        well_formed(&svg).unwrap_or_else(|e| panic!("{e}\n{svg}"));
        assert!(svg.contains("role=\"img\""), "{svg}");
        assert!(
            svg.contains("<title id=") && svg.contains("<desc id="),
            "{svg}"
        );
        for banned in [
            "<script",
            "<style",
            "href",
            "url(",
            "@import",
            "<image",
            "<foreignObject",
        ] {
            assert!(!svg.contains(banned), "{banned} in {svg}");
        }
    }
}

#[test]
fn roc_marks_the_operating_point_at_its_coordinates() {
    let svg = roc(&sample());
    // fpr 1/4, tpr 3/4.
    assert_eq!(attrs(&svg, "clic-op", "cx"), ["170.00"]);
    assert_eq!(attrs(&svg, "clic-op", "cy"), ["134.00"]);
    assert_eq!(
        (px(0.25), py(0.75)),
        (X0 + 0.25 * SIDE, Y0 + 0.25 * SIDE),
        "the plot's scale"
    );
    assert!(svg.contains(">threshold ≥ 0.5<"), "{svg}");
    assert!(svg.contains(">sensitivity 0.750<"), "{svg}");
    assert!(svg.contains(">1 − specificity 0.250<"), "{svg}");
    let auc = sample().auc.map(|a| a.value).unwrap_or(f64::NAN);
    assert!(svg.contains(&format!("AUC {}", fixed3(auc))), "{svg}");
    assert!(svg.contains("95% CI") && svg.contains("delong"), "{svg}");
    // The chance diagonal from (0, 0) to (1, 1).
    assert!(
        svg.contains("x1=\"80.00\" y1=\"404.00\" x2=\"440.00\" y2=\"44.00\""),
        "{svg}"
    );
    let op_label_x = attrs(&svg, "clic-op-label", "x");
    assert_eq!(op_label_x.len(), 3);
    assert!(op_label_x.iter().all(|x| num(x) > X0 && num(x) < X0 + SIDE));
}

#[test]
fn curves_and_points_stay_inside_the_plot_area() {
    for m in [sample(), spread()] {
        for svg in [roc(&m), calibration(&m)] {
            let mut n = 0;
            for points in attrs(&svg, "clic-curve", "points") {
                for p in points.split(' ') {
                    let (x, y) = p.split_once(',').unwrap_or(("", ""));
                    assert!(inside_plot(num(x), num(y)), "{p}");
                    n += 1;
                }
            }
            for class in ["clic-op", "clic-bin"] {
                let xs = attrs(&svg, class, "cx");
                let ys = attrs(&svg, class, "cy");
                assert_eq!(xs.len(), ys.len());
                for (x, y) in xs.iter().zip(&ys) {
                    assert!(inside_plot(num(x), num(y)), "{x},{y}");
                    n += 1;
                }
            }
            assert!(n >= 2, "nothing drawn in {svg}");
        }
    }
    // The ROC polyline has every point of the curve.
    let m = spread();
    let svg = roc(&m);
    let drawn = attrs(&svg, "clic-curve", "points");
    assert_eq!(drawn.len(), 1);
    assert_eq!(drawn[0].split(' ').count(), m.roc.len());
}

#[test]
fn calibration_shows_each_bin_with_its_n_and_the_ece() {
    let m = spread();
    let svg = calibration(&m);
    assert_eq!(attrs(&svg, "clic-bin", "cx").len(), m.calibration.len());
    let first = &m.calibration[0];
    assert_eq!(
        attrs(&svg, "clic-bin", "cx")[0],
        coord(X0 + first.mean_score * SIDE)
    );
    assert_eq!(
        attrs(&svg, "clic-bin", "cy")[0],
        coord(Y0 + (1.0 - first.observed_rate) * SIDE)
    );
    let ns: Vec<String> = m.calibration.iter().map(|b| b.n.to_string()).collect();
    let shown: Vec<String> = svg
        .split("class=\"clic-n\"")
        .skip(1)
        .filter_map(|t| t.split('>').nth(1)?.split('<').next().map(str::to_string))
        .collect();
    assert_eq!(shown, ns);
    assert!(
        svg.contains(&format!("ECE {}", fixed3(m.ece.value))),
        "{svg}"
    );
    assert!(!svg.contains("clic-note"), "{svg}");
}

#[test]
fn forest_has_a_row_per_subgroup_and_na_for_a_missing_class() {
    let only_positive = compute(&cases(&[0.9, 0.2], &[]), 0.5, true);
    let groups = vec![
        group("Manufacturer", "ACME", Some(sample())),
        group("Manufacturer", "Other", Some(only_positive)),
        group("PatientSex", "unknown", None),
    ];
    let overall = sample();
    let svg = forest(&overall, &groups);
    well_formed(&svg).unwrap_or_else(|e| panic!("{e}\n{svg}"));
    // Overall plus three rows, none dropped.
    assert_eq!(svg.matches("class=\"clic-row\"").count(), 4);
    // Each row shows its value under its attribute's heading, its full name in its tooltip.
    for label in [
        "Manufacturer = ACME",
        "Manufacturer = Other",
        "PatientSex = unknown",
    ] {
        assert!(svg.contains(&format!("<title>{label}</title>")), "{label}");
        let (_, value) = label.split_once(" = ").unwrap_or_default();
        assert!(svg.contains(&format!(">{value}<")), "{label}");
    }
    assert_eq!(svg.matches("class=\"clic-attr\"").count(), 2, "{svg}");
    assert!(svg.contains(">Manufacturer<") && svg.contains(">PatientSex<"));
    assert!(svg.contains(">n/a (no negatives)<"), "{svg}");
    assert!(svg.contains(">n/a (no cases)<"), "{svg}");
    // Two estimates for ACME and overall, one (sensitivity) for Other.
    assert_eq!(attrs(&svg, "clic-est", "x").len(), 5);
    // The sensitivity of ACME with its Wilson interval (two decimals drawn, three in the
    // description), drawn on panel 1.
    let s = &sample().sensitivity;
    let ci = format!("{} ({}–{})", fixed2(s.value), fixed2(s.low), fixed2(s.high));
    assert!(svg.contains(&ci), "{ci}");
    assert!(svg.contains(&fixed3(s.low)), "{svg}");
    let x1 = attrs(&svg, "clic-ci", "x1");
    assert_eq!(x1[0], coord(F_PANELS[0] + s.low * F_PANEL_W));
    // The overall reference lines, one per panel.
    let refs = attrs(&svg, "clic-ref", "x1");
    assert_eq!(
        refs,
        [
            coord(F_PANELS[0] + overall.sensitivity.value * F_PANEL_W),
            coord(F_PANELS[1] + overall.specificity.value * F_PANEL_W)
        ]
    );
}

#[test]
fn hostile_labels_are_escaped() {
    let hostile = "<script>alert(\"x\")</script> & 'q'";
    let mut m = sample();
    if let Some(a) = m.auc.as_mut() {
        a.method = hostile.to_string();
    }
    let groups = vec![group(hostile, hostile, Some(sample()))];
    for svg in [roc(&m), forest(&m, &groups)] {
        well_formed(&svg).unwrap_or_else(|e| panic!("{e}\n{svg}"));
        assert!(!svg.contains("<script"), "{svg}");
        assert!(svg.contains("&lt;script&gt;"), "{svg}");
        assert!(
            svg.contains("&quot;x&quot;") && svg.contains("&amp; &#39;q&#39;"),
            "{svg}"
        );
    }
    // A long label is cut short in the row, whole in its tooltip.
    let long = "x".repeat(100);
    let svg = forest(&m, &[group("Manufacturer", &long, Some(sample()))]);
    assert!(svg.contains(&format!("<title>Manufacturer = {long}</title>")));
    let cut = format!("{}…", "x".repeat(F_LABEL - 1));
    assert_eq!(cut.chars().count(), F_LABEL);
    assert!(svg.contains(&format!(">{cut}<")), "{svg}");
}

#[test]
fn degenerate_inputs_give_a_figure_with_a_note() {
    let one_class = compute(&cases(&[0.9, 0.7, 0.2], &[]), 0.5, true);
    let empty = compute(&[], 0.5, true);
    let one_bin = compute(&cases(&[0.25, 0.21], &[0.22, 0.29]), 0.5, true);
    assert_eq!(one_bin.calibration.len(), 1);
    let svg = roc(&one_class);
    assert!(
        svg.contains("Only positive cases (3), no negative one"),
        "{svg}"
    );
    assert!(attrs(&svg, "clic-curve", "points").is_empty());
    assert!(attrs(&svg, "clic-op", "cx").is_empty());
    assert!(roc(&empty).contains("No labelled, scored case"));
    assert!(calibration(&empty).contains("No labelled, scored case"));
    let svg = calibration(&one_bin);
    assert!(svg.contains("one bin (0.2 to 0.3)"), "{svg}");
    assert_eq!(attrs(&svg, "clic-bin", "cx").len(), 1);
    let svg = forest(&empty, &[]);
    assert!(svg.contains("No subgroup"), "{svg}");
    assert!(svg.contains(">n/a (no positives)<") && svg.contains(">n/a (no negatives)<"));
    assert!(attrs(&svg, "clic-ref", "x1").is_empty());
    for svg in [
        roc(&one_class),
        roc(&empty),
        calibration(&one_class),
        calibration(&empty),
        calibration(&one_bin),
        forest(
            &one_class,
            &[group("Modality", "CR", Some(one_class.clone()))],
        ),
        forest(&empty, &[]),
    ] {
        well_formed(&svg).unwrap_or_else(|e| panic!("{e}\n{svg}"));
        assert!(!svg.contains("NaN") && !svg.contains("inf"), "{svg}");
    }
}

#[test]
fn output_is_deterministic() {
    let c = cases(&[0.9, 0.8, 0.6, 0.3], &[0.7, 0.4, 0.2, 0.1]);
    let mut reversed = c.clone();
    reversed.reverse();
    let (a, b) = (compute(&c, 0.5, true), compute(&reversed, 0.5, true));
    let groups = vec![group("Modality", "DX", Some(a.clone()))];
    assert_eq!(roc(&a), roc(&b));
    assert_eq!(calibration(&a), calibration(&b));
    assert_eq!(forest(&a, &groups), forest(&b, &groups));
    assert_eq!(roc(&a), roc(&a.clone()));
}

#[test]
fn numbers_have_fixed_decimals() {
    assert_eq!(fixed(-0.0, 2), "0.00");
    assert_eq!(fixed(-0.001, 2), "0.00");
    assert_eq!(fixed(-0.5, 1), "-0.5");
    assert_eq!(fixed(f64::NAN, 3), "0.000");
    assert_eq!(fixed(f64::INFINITY, 2), "0.00");
    assert_eq!(fixed(1.0 / 3.0, 3), "0.333");
    assert_eq!(split_at_space("aaa bbb ccc", 6), 3);
    assert_eq!(split_at_space("short", 50), 5);
}

fn row(file: &str, manufacturer: &str, label: Option<bool>, score: Option<f64>) -> ScanRow {
    ScanRow {
        info: ScanInfo {
            file: file.to_string(),
            sha256: String::new(),
            transfer_syntax: String::new(),
            transfer_syntax_name: "Explicit VR Little Endian".to_string(),
            part10: true,
            sop_class: String::new(),
            modality: "DX".to_string(),
            manufacturer: manufacturer.to_string(),
            model_name: String::new(),
            sex: "F".to_string(),
            age: String::new(),
            age_band: "40-59".to_string(),
            rows: 8,
            columns: 8,
            bits_allocated: 16,
            bits_stored: 12,
            pixel_representation: 0,
            photometric: "MONOCHROME2".to_string(),
            frames: 1,
            patient_hash: file.to_string(),
            study_hash: file.to_string(),
            deid: DeidAudit::default(),
        },
        label,
        score,
    }
}

#[test]
fn all_draws_the_three_figures_of_the_evidence() {
    let rows = vec![
        row("a.dcm", "ACME", Some(true), Some(0.9)),
        row("b.dcm", "ACME", Some(false), Some(0.2)),
        row("c.dcm", "Globex", Some(true), Some(0.7)),
        row("d.dcm", "Globex", Some(false), Some(0.6)),
        row("e.dcm", "Initech", None, Some(0.4)),
    ];
    let groups = subgroups(&rows, 0.5, true);
    let manufacturers: Vec<(&str, bool)> = groups
        .iter()
        .filter(|g| g.attribute == "Manufacturer")
        .map(|g| (g.value.as_str(), g.metrics.is_some()))
        .collect();
    // Initech has no labelled scan: kept, without metrics.
    assert_eq!(
        manufacturers,
        [("ACME", true), ("Globex", true), ("Initech", false)]
    );
    assert_eq!(
        groups.len(),
        3 + 1 + 1 + 1 + 1 + 1,
        "ModelName is `unknown`"
    );
    let mut ev = BenchEvidence {
        format: bench::EVIDENCE_FORMAT,
        key: String::new(),
        clic_version: String::new(),
        model_sha256: String::new(),
        labels_sha256: String::new(),
        backend: "tract".to_string(),
        overall: bench::score_metrics(&rows, 0.5, true),
        rows,
        unreadable: Vec::new(),
        labels_without_file: Vec::new(),
        leakage_patients: 0,
        leakage_studies: 0,
        findings: None,
        equivalence: None,
        robustness: None,
        segmentation: None,
    };
    let spec: ModelSpec = serde_json::from_value(serde_json::json!({
        "name": "m", "version": "1", "purpose": "p", "class": "IIa",
        "classification_rule": null,
        "artifact": { "path": "m.onnx", "sha256": null },
        "input": null,
        "output": { "tensor": "y", "threshold": 0.5, "inclusive": true, "positive": "finding" },
        "reference": null, "training_patients": null, "claims": {}, "documents": {},
        "policies": [],
        "source": { "file": "model.clic", "line": 1, "column": 1, "start": 0, "end": 0 }
    }))
    .unwrap_or_else(|e| panic!("{e}"));
    let figs = all(&spec, &ev);
    let names: Vec<&str> = figs.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names, ["roc", "calibration", "forest"]);
    for (_, svg) in &figs {
        well_formed(svg).unwrap_or_else(|e| panic!("{e}\n{svg}"));
    }
    assert!(figs[2].1.contains(">Manufacturer = Initech<"));
    ev.overall = None;
    assert!(all(&spec, &ev).is_empty());
}

#[test]
fn every_figure_fits_the_printed_column() {
    // A4 less the print margins of index.html (14 mm each side): 182 mm, 688 CSS px. A
    // figure no wider is drawn at the size its text is written with, on paper and on
    // screen; the browser test measures it in the page.
    let m = sample();
    let groups = vec![group("Manufacturer", &"x".repeat(80), Some(sample()))];
    for svg in [roc(&m), calibration(&m), forest(&m, &groups)] {
        let width: f64 = svg
            .split("width=\"")
            .nth(1)
            .and_then(|w| w.split('"').next())
            .and_then(|w| w.parse().ok())
            .unwrap_or(f64::MAX);
        assert!(width <= 688.0, "{width}: {svg}");
        assert!(
            svg.contains(&format!("viewBox=\"0 0 {}", coord(width))),
            "{svg}"
        );
    }
}
