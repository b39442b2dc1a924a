//! The segmentation section of the clinical performance report and its figures: the SVG
//! parses as XML, every mark lies where its number says (read back through the axis
//! the figure labels, as a reader would), the same input gives the same bytes, a hostile
//! structure name stays text, and values that are not finite read "not computed".
//!
//! After an intended change to the figures or the partial, regenerate the snapshots and
//! review their diff: `UPDATE_SNAPSHOTS=1 cargo test --workspace --test segmentation`.
#![expect(
    clippy::panic,
    reason = "a test that cannot set up its fixture should fail loudly"
)]

use clic_dossier::page::{to_html, Anchors};
use clic_dossier::segmentation::{
    figures, markdown, view, AgreementReport, Bound, ClaimReport, MetricReport, SegmentationReport,
    StructureReport, Unit,
};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

// ---------------------------------------------------------------------------------
// A small XML reader: enough of XML 1.0 for SVG without a DTD, strict about what it
// accepts (balanced tags, one root, quoted and unique attributes, known entities).

#[derive(Debug, Clone)]
struct Element {
    name: String,
    attrs: Vec<(String, String)>,
    children: Vec<Node>,
}

#[derive(Debug, Clone)]
enum Node {
    Element(Element),
    Text(String),
}

impl Element {
    fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    fn num(&self, name: &str) -> f64 {
        self.attr(name)
            .and_then(|v| v.parse().ok())
            .unwrap_or_else(|| panic!("<{}> has no number {name}: {:?}", self.name, self.attrs))
    }

    fn text(&self) -> String {
        self.children
            .iter()
            .map(|c| match c {
                Node::Text(t) => t.clone(),
                Node::Element(e) => e.text(),
            })
            .collect()
    }

    /// Every element below (and including) this one, in document order.
    fn all(&self) -> Vec<&Element> {
        let mut out = vec![self];
        for c in &self.children {
            if let Node::Element(e) = c {
                out.extend(e.all());
            }
        }
        out
    }

    fn with_class(&self, class: &str) -> Vec<&Element> {
        self.all()
            .into_iter()
            .filter(|e| e.attr("class") == Some(class))
            .collect()
    }
}

fn decode(s: &str) -> Result<String, String> {
    let mut out = String::new();
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let end = rest[i..]
            .find(';')
            .ok_or(format!("unterminated entity in {s:?}"))?;
        let entity = &rest[i + 1..i + end];
        out.push(match entity {
            "amp" => '&',
            "lt" => '<',
            "gt" => '>',
            "quot" => '"',
            "apos" => '\'',
            e if e.starts_with('#') => {
                let code = if let Some(hex) = e.strip_prefix("#x") {
                    u32::from_str_radix(hex, 16)
                } else {
                    e[1..].parse()
                }
                .map_err(|_| format!("bad character reference &{e};"))?;
                char::from_u32(code).ok_or(format!("bad character &{e};"))?
            }
            e => return Err(format!("unknown entity &{e};")),
        });
        rest = &rest[i + end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

fn valid_name(n: &str) -> bool {
    n.starts_with(|c: char| c.is_ascii_alphabetic())
        && n.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':' | '.'))
}

fn parse_tag(tag: &str) -> Result<(String, Vec<(String, String)>), String> {
    let name_end = tag.find(|c: char| c.is_whitespace()).unwrap_or(tag.len());
    let name = &tag[..name_end];
    if !valid_name(name) {
        return Err(format!("bad element name {name:?}"));
    }
    let mut attrs: Vec<(String, String)> = Vec::new();
    let mut rest = tag[name_end..].trim_start();
    while !rest.is_empty() {
        let eq = rest
            .find('=')
            .ok_or(format!("attribute without value in <{tag}>"))?;
        let key = rest[..eq].trim();
        if !valid_name(key) {
            return Err(format!("bad attribute name {key:?} in <{tag}>"));
        }
        let after = rest[eq + 1..].trim_start();
        let quote = after.chars().next().ok_or("missing value")?;
        if quote != '"' && quote != '\'' {
            return Err(format!("unquoted attribute {key} in <{tag}>"));
        }
        let close = after[1..]
            .find(quote)
            .ok_or(format!("unclosed attribute {key}"))?;
        let raw = &after[1..1 + close];
        if raw.contains('<') {
            return Err(format!("`<` in attribute {key}"));
        }
        if attrs.iter().any(|(k, _)| k == key) {
            return Err(format!("attribute {key} twice in <{tag}>"));
        }
        attrs.push((key.to_string(), decode(raw)?));
        rest = after[close + 2..].trim_start();
    }
    Ok((name.to_string(), attrs))
}

/// The document's root element, or what makes it not well-formed.
fn parse_xml(doc: &str) -> Result<Element, String> {
    let mut stack: Vec<Element> = vec![Element {
        name: String::new(),
        attrs: Vec::new(),
        children: Vec::new(),
    }];
    let mut rest = doc;
    while !rest.is_empty() {
        let lt = rest.find('<').unwrap_or(rest.len());
        let text = &rest[..lt];
        if text.contains('>') {
            return Err(format!("raw `>` in text {text:?}"));
        }
        if !text.is_empty() {
            let decoded = decode(text)?;
            let top = stack.last_mut().ok_or("no open element")?;
            if top.name.is_empty() && !decoded.trim().is_empty() {
                return Err(format!("text outside the root: {decoded:?}"));
            }
            top.children.push(Node::Text(decoded));
        }
        if lt == rest.len() {
            break;
        }
        let gt = rest[lt..].find('>').ok_or("unclosed tag")? + lt;
        let tag = &rest[lt + 1..gt];
        rest = &rest[gt + 1..];
        if tag.contains('<') {
            return Err(format!("`<` inside <{tag}>"));
        }
        if let Some(name) = tag.strip_prefix('/') {
            let done = stack.pop().ok_or("close without open")?;
            if done.name != name.trim() || stack.is_empty() {
                return Err(format!("</{name}> closes <{}>", done.name));
            }
            stack
                .last_mut()
                .ok_or("no parent")?
                .children
                .push(Node::Element(done));
            continue;
        }
        let (body, empty) = match tag.strip_suffix('/') {
            Some(b) => (b, true),
            None => (tag, false),
        };
        let (name, attrs) = parse_tag(body.trim_end())?;
        let e = Element {
            name,
            attrs,
            children: Vec::new(),
        };
        if empty {
            stack
                .last_mut()
                .ok_or("no parent")?
                .children
                .push(Node::Element(e));
        } else {
            stack.push(e);
        }
    }
    if stack.len() != 1 {
        return Err(format!(
            "unclosed <{}>",
            stack.last().map_or("", |e| &e.name)
        ));
    }
    let roots: Vec<Element> = stack
        .pop()
        .into_iter()
        .flat_map(|d| d.children)
        .filter_map(|c| match c {
            Node::Element(e) => Some(e),
            Node::Text(_) => None,
        })
        .collect();
    match roots.as_slice() {
        [root] => Ok(root.clone()),
        _ => Err(format!("{} root elements", roots.len())),
    }
}

#[test]
fn the_xml_reader_rejects_what_is_not_well_formed() {
    for bad in [
        "<svg><g></svg>",
        "<svg a=1/>",
        "<svg a=\"1\" a=\"2\"/>",
        "<svg>&nbsp;</svg>",
        "<svg/><svg/>",
        "<svg>a > b</svg>",
        "<svg><text>x</tex></svg>",
    ] {
        assert!(parse_xml(bad).is_err(), "{bad}");
    }
    let ok = parse_xml("<svg a=\"&lt;x&gt;\"><text>&amp;&#39;</text><g/></svg>\n")
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ok.attr("a"), Some("<x>"));
    assert_eq!(ok.text(), "&'");
}

// ---------------------------------------------------------------------------------
// Fixtures.

fn metric(name: &str, label: &str, unit: Unit, per_case: &[f64]) -> MetricReport {
    // The summaries computed here, independently of the figures: sorted values, the
    // median and quartiles by linear interpolation (numpy's default).
    let mut v: Vec<f64> = per_case.iter().copied().filter(|x| x.is_finite()).collect();
    v.sort_by(f64::total_cmp);
    let q = |p: f64| {
        if v.is_empty() {
            return f64::NAN;
        }
        let h = (v.len() - 1) as f64 * p;
        let (lo, hi) = (h.floor() as usize, h.ceil() as usize);
        v[lo] + (h - h.floor()) * (v[hi] - v[lo])
    };
    let mean = v.iter().sum::<f64>() / v.len() as f64;
    MetricReport {
        name: name.to_string(),
        label: label.to_string(),
        unit,
        per_case: per_case.to_vec(),
        mean,
        ci_low: mean - 0.02,
        ci_high: mean + 0.02,
        median: q(0.5),
        q1: q(0.25),
        q3: q(0.75),
        min: v.first().copied().unwrap_or(f64::NAN),
        max: v.last().copied().unwrap_or(f64::NAN),
        n: v.len() as u64,
    }
}

fn claim(
    metric: &str,
    label: &str,
    bound: f64,
    direction: Bound,
    unit: Unit,
    met: bool,
) -> ClaimReport {
    ClaimReport {
        metric: metric.to_string(),
        label: label.to_string(),
        bound,
        direction,
        unit,
        estimate: bound + 0.01,
        ci_low: bound - 0.02,
        ci_high: bound + 0.03,
        met,
    }
}

const DICE: [f64; 10] = [0.91, 0.88, 0.95, 0.72, 0.93, 0.9, 0.86, 0.97, 0.89, 0.92];
const HD95: [f64; 8] = [3.2, 4.5, 2.8, 12.4, 5.1, 3.9, 4.0, 6.6];
const RVD: [f64; 10] = [0.05, 0.12, 0.02, 0.31, 0.08, 0.04, 0.1, 0.01, 0.07, 0.06];
const PAIRS: [(f64, f64); 8] = [
    (1450.0, 1502.0),
    (1620.0, 1588.0),
    (1310.0, 1365.0),
    (1780.0, 1801.0),
    (1205.0, 1190.0),
    (1540.0, 1611.0),
    (1690.0, 1702.0),
    (1400.0, 1389.0),
];

fn agreement() -> AgreementReport {
    // Bias and limits of agreement computed here from PAIRS (sample SD, n - 1).
    let d: Vec<f64> = PAIRS.iter().map(|(r, p)| p - r).collect();
    let n = d.len() as f64;
    let bias = d.iter().sum::<f64>() / n;
    let sd = (d.iter().map(|x| (x - bias).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
    AgreementReport {
        pairs: PAIRS.to_vec(),
        bias,
        bias_ci: (bias - 20.0, bias + 20.0),
        loa_low: bias - 1.96 * sd,
        loa_high: bias + 1.96 * sd,
        loa_low_ci: (bias - 1.96 * sd - 25.0, bias - 1.96 * sd + 25.0),
        loa_high_ci: (bias + 1.96 * sd - 25.0, bias + 1.96 * sd + 25.0),
        icc: 0.953,
        icc_ci: (0.81, 0.99),
        rmse: 38.2,
        rmse_ci: (24.0, 51.5),
        interval_method: "cluster-bootstrap-percentile".to_string(),
    }
}

fn liver(name: &str) -> StructureReport {
    StructureReport {
        name: name.to_string(),
        cases: 12,
        empty_both: 2,
        empty_reference: 0,
        empty_prediction: 0,
        metrics: vec![
            metric("dice", "Dice", Unit::Fraction, &DICE),
            metric("hd95", "HD95", Unit::Mm, &HD95),
            metric("rvd", "Relative volume difference", Unit::Percent, &RVD),
        ],
        claims: vec![
            claim("dice", "Dice", 0.9, Bound::AtLeast, Unit::Fraction, false),
            claim("hd95", "HD95", 6.0, Bound::AtMost, Unit::Mm, true),
            claim(
                "rvd",
                "Relative volume difference",
                0.15,
                Bound::AtMost,
                Unit::Percent,
                true,
            ),
            claim(
                "volume_loa",
                "Volume limits of agreement",
                150.0,
                Bound::AtMost,
                Unit::Ml,
                true,
            ),
            claim(
                "volume_icc",
                "Volume ICC(A,1)",
                0.9,
                Bound::AtLeast,
                Unit::Fraction,
                true,
            ),
        ],
        agreement: Some(agreement()),
    }
}

/// A structure with every kind of value that cannot be shown as a number.
fn broken(name: &str) -> StructureReport {
    let mut dice = metric(
        "dice",
        "Dice",
        Unit::Fraction,
        &[0.8, f64::NAN, 0.7, f64::INFINITY],
    );
    dice.ci_low = f64::NAN;
    let mut iou = metric("iou", "IoU", Unit::Fraction, &[0.6]);
    iou.mean = f64::NAN;
    let hd95 = metric("hd95", "HD95", Unit::Mm, &[]);
    let mut nan_claim = claim("hd95", "HD95", 5.0, Bound::AtMost, Unit::Mm, false);
    nan_claim.estimate = f64::NAN;
    nan_claim.ci_high = f64::INFINITY;
    StructureReport {
        name: name.to_string(),
        cases: 4,
        empty_both: 0,
        empty_reference: 1,
        empty_prediction: 1,
        metrics: vec![dice, iou, hd95],
        claims: vec![nan_claim],
        agreement: Some(AgreementReport {
            pairs: vec![(100.0, f64::NAN), (f64::INFINITY, 3.0), (200.0, 210.0)],
            bias: 10.0,
            bias_ci: (f64::NAN, f64::NAN),
            loa_low: f64::NAN,
            loa_high: f64::NEG_INFINITY,
            loa_low_ci: (f64::NAN, 1.0),
            loa_high_ci: (f64::NAN, f64::NAN),
            icc: f64::NAN,
            icc_ci: (f64::NAN, f64::NAN),
            rmse: f64::INFINITY,
            rmse_ci: (0.0, f64::NAN),
            interval_method: String::new(),
        }),
    }
}

fn report(structures: Vec<StructureReport>) -> SegmentationReport {
    SegmentationReport {
        structures,
        interval_method: "cluster-bootstrap-percentile".to_string(),
        resamples: 2000,
    }
}

/// Degenerate inputs the figures must draw without a panic.
fn degenerate() -> SegmentationReport {
    let mut one = liver("one case");
    one.metrics = vec![metric("dice", "Dice", Unit::Fraction, &[0.5])];
    one.agreement = Some(AgreementReport {
        pairs: vec![(10.0, 10.0)],
        ..AgreementReport::default()
    });
    let mut same = liver("all equal");
    same.metrics = vec![metric("hd95", "HD95", Unit::Mm, &[2.0, 2.0, 2.0])];
    same.agreement = Some(AgreementReport::default());
    let mut huge = liver("huge");
    huge.metrics = vec![metric("hd95", "HD95", Unit::Mm, &[1e300, -1e300, f64::MAX])];
    huge.agreement = Some(AgreementReport {
        pairs: vec![(f64::MAX, -f64::MAX), (1e308, 1e308)],
        ..AgreementReport::default()
    });
    let mut nothing = liver("no metric");
    nothing.metrics.clear();
    nothing.claims.clear();
    nothing.agreement = None;
    report(vec![one, same, huge, nothing, broken("broken")])
}

/// The section as the page shows it: the partial rendered, then converted to HTML with
/// its figures inlined.
fn page(r: &SegmentationReport) -> (String, String) {
    let md = markdown(&view(r)).unwrap_or_else(|e| panic!("{}: {}", e.template, e.message));
    let figs: BTreeMap<String, String> = figures(r)
        .into_iter()
        .map(|(name, svg)| (format!("figures/{name}.svg"), svg))
        .collect();
    let html = to_html("clinical-performance", &md, &figs, &mut Anchors::default()).html;
    (md, html)
}

/// The page's text a reader sees outside code, preformatted text and figures (what the
/// browser test's `raw_backticks` reads), entities decoded.
fn prose(html: &str) -> String {
    let mut s = html.to_string();
    for (open, close) in [("<svg", "</svg>"), ("<code", "</code>"), ("<pre", "</pre>")] {
        while let Some(a) = s.find(open) {
            let b = s[a..].find(close).map_or(s.len(), |b| a + b + close.len());
            s.replace_range(a..b, " ");
        }
    }
    let mut out = String::new();
    let mut in_tag = false;
    for c in s.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    decode(&out).unwrap_or(out)
}

/// The words of `s` that spell a number that is not finite, as Rust or JSON write it.
fn non_finite_words(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| matches!(w.to_ascii_lowercase().as_str(), "nan" | "inf" | "infinity"))
        .map(str::to_string)
        .collect()
}

/// A straight map from pixels back to values, from an axis's tick marks and their
/// labels (the i-th label belongs to the i-th tick), read at the ends of the axis.
fn axis_map(ticks: &[&Element], labels: &[&Element], coord: &str) -> impl Fn(f64) -> f64 {
    assert!(
        ticks.len() >= 2 && ticks.len() == labels.len(),
        "{} ticks, {} labels",
        ticks.len(),
        labels.len()
    );
    let at = |i: usize| {
        let v: f64 = labels[i]
            .text()
            .parse()
            .unwrap_or_else(|_| panic!("tick label {:?}", labels[i].text()));
        (ticks[i].num(coord), v)
    };
    let (p0, v0) = at(0);
    let (p1, v1) = at(ticks.len() - 1);
    move |p| v0 + (p - p0) * (v1 - v0) / (p1 - p0)
}

fn close_to(got: f64, want: f64, tol: f64, what: &str) {
    assert!(
        (got - want).abs() <= tol,
        "{what}: drawn at {got}, the number is {want} (± {tol})"
    );
}

// ---------------------------------------------------------------------------------
// Tests.

#[test]
fn every_figure_is_well_formed_self_contained_and_uniquely_identified() {
    let mut all = figures(&report(vec![liver("liver"), liver("spleen")]));
    all.extend(figures(&degenerate()));
    assert!(all.len() >= 10, "{} figures", all.len());
    let mut ids = Vec::new();
    for (name, svg) in &figures(&report(vec![liver("liver"), liver("spleen")])) {
        let root = parse_xml(svg).unwrap_or_else(|e| panic!("{name}: {e}\n{svg}"));
        ids.extend(
            root.all()
                .iter()
                .filter_map(|e| e.attr("id").map(str::to_string)),
        );
    }
    let mut unique = ids.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "ids given twice: {ids:?}");
    for (name, svg) in &all {
        let root = parse_xml(svg).unwrap_or_else(|e| panic!("{name}: {e}\n{svg}"));
        assert_eq!(root.name, "svg");
        assert_eq!(root.attr("role"), Some("img"));
        let width = root.num("width");
        assert!(width <= 680.0, "{name} is {width} px wide");
        for banned in [
            "<script",
            "<style",
            "href",
            "url(",
            "<image",
            "<foreignObject",
        ] {
            assert!(!svg.contains(banned), "{banned} in {name}");
        }
        assert!(
            non_finite_words(svg).is_empty(),
            "{name}: {:?}",
            non_finite_words(svg)
        );
        for e in root.all() {
            if e.name == "text" && e.attr("transform").is_none() {
                let x = e.num("x");
                assert!((0.0..=width).contains(&x), "{name}: text outside: {e:?}");
            }
            if let Some(size) = e.attr("font-size") {
                let size: f64 = size.parse().unwrap_or(0.0);
                assert!(size >= 10.0, "{name}: text under 10 px");
            }
        }
    }
}

#[test]
fn the_bland_altman_lines_and_points_lie_where_their_numbers_say() {
    let r = report(vec![liver("liver")]);
    let (_, svg) = figures(&r)
        .into_iter()
        .find(|(n, _)| n == "bland-altman-1")
        .expect("a Bland-Altman figure");
    let root = parse_xml(&svg).unwrap_or_else(|e| panic!("{e}"));
    let a = agreement();
    let y = axis_map(
        &root.with_class("clic-ytick"),
        &root.with_class("clic-ytick-label"),
        "y1",
    );
    let x = axis_map(
        &root.with_class("clic-xtick"),
        &root.with_class("clic-xtick-label"),
        "x1",
    );
    // Coordinates have two decimals: a value reads back to within 0.05 px's worth.
    let tol = (y(0.05) - y(0.0)).abs().max((x(0.05) - x(0.0)).abs());
    let bias = root.with_class("clic-bias");
    assert_eq!(bias.len(), 1);
    close_to(y(bias[0].num("y1")), a.bias, tol, "bias");
    close_to(y(bias[0].num("y2")), a.bias, tol, "bias");
    let mut loa: Vec<f64> = root
        .with_class("clic-loa")
        .iter()
        .map(|l| y(l.num("y1")))
        .collect();
    loa.sort_by(f64::total_cmp);
    assert_eq!(loa.len(), 2);
    close_to(loa[0], a.loa_low, tol, "lower limit");
    close_to(loa[1], a.loa_high, tol, "upper limit");
    let bands = root.with_class("clic-loa-ci");
    assert_eq!(bands.len(), 2);
    let mut band: Vec<(f64, f64)> = bands
        .iter()
        .map(|b| (y(b.num("y") + b.num("height")), y(b.num("y"))))
        .collect();
    band.sort_by(|p, q| p.0.total_cmp(&q.0));
    close_to(band[0].0, a.loa_low_ci.0, tol, "lower limit's CI low");
    close_to(band[0].1, a.loa_low_ci.1, tol, "lower limit's CI high");
    close_to(band[1].1, a.loa_high_ci.1, tol, "upper limit's CI high");
    let bias_band = root.with_class("clic-bias-ci");
    close_to(y(bias_band[0].num("y")), a.bias_ci.1, tol, "bias CI high");
    // The claim at ±150 mL.
    let mut claims: Vec<f64> = root
        .with_class("clic-claim")
        .iter()
        .map(|l| y(l.num("y1")))
        .collect();
    claims.sort_by(f64::total_cmp);
    assert_eq!(claims.len(), 2);
    close_to(claims[0], -150.0, tol, "claim");
    close_to(claims[1], 150.0, tol, "claim");
    // Each case at (mean of the two volumes, prediction - reference).
    let mut drawn: Vec<(f64, f64)> = root
        .with_class("clic-pair")
        .iter()
        .map(|c| (x(c.num("cx")), y(c.num("cy"))))
        .collect();
    let mut want: Vec<(f64, f64)> = PAIRS.iter().map(|(r, p)| ((r + p) / 2.0, p - r)).collect();
    drawn.sort_by(|p, q| p.0.total_cmp(&q.0));
    want.sort_by(|p, q| p.0.total_cmp(&q.0));
    assert_eq!(drawn.len(), want.len());
    for (d, w) in drawn.iter().zip(&want) {
        close_to(d.0, w.0, tol, "a case's mean volume");
        close_to(d.1, w.1, tol, "a case's difference");
    }
    // The labels of the lines say the numbers, in mL.
    let labels: Vec<String> = root
        .with_class("clic-line-label")
        .iter()
        .map(|l| l.text())
        .collect();
    assert!(
        labels.contains(&format!("bias {:.1} mL", a.bias)),
        "{labels:?}"
    );
    assert!(
        labels.contains(&format!("upper LoA {:.1} mL", a.loa_high)),
        "{labels:?}"
    );
    assert!(
        labels.contains(&format!("lower LoA {:.1} mL", a.loa_low)),
        "{labels:?}"
    );
    let axis_titles = root
        .all()
        .iter()
        .filter(|e| e.name == "text")
        .map(|e| e.text())
        .collect::<Vec<_>>()
        .join("|");
    assert!(axis_titles.contains("(mL)"), "{axis_titles}");
}

#[test]
fn the_distribution_marks_lie_at_the_cases_quartiles_and_claims() {
    let s = liver("liver");
    let r = report(vec![s.clone()]);
    let (_, svg) = figures(&r)
        .into_iter()
        .find(|(n, _)| n == "segmentation-1")
        .expect("a distribution figure");
    let root = parse_xml(&svg).unwrap_or_else(|e| panic!("{e}"));
    let rows = root.with_class("clic-metric");
    assert_eq!(rows.len(), 3);
    for (row, m) in rows.iter().zip(&s.metrics) {
        assert_eq!(row.attr("data-metric"), Some(m.name.as_str()));
        let scale = if m.unit == Unit::Percent { 100.0 } else { 1.0 };
        let x = axis_map(
            &row.with_class("clic-xtick"),
            &row.with_class("clic-xtick-label"),
            "x1",
        );
        let v = |p: f64| x(p) / scale;
        // Coordinates have two decimals: a value reads back to within 0.05 px's worth.
        let tol = (v(0.05) - v(0.0)).abs();
        let mut cases: Vec<f64> = row
            .with_class("clic-case")
            .iter()
            .map(|c| v(c.num("cx")))
            .collect();
        cases.sort_by(f64::total_cmp);
        let mut want = m.per_case.clone();
        want.sort_by(f64::total_cmp);
        assert_eq!(cases.len(), want.len(), "{}", m.name);
        for (c, w) in cases.iter().zip(&want) {
            close_to(*c, *w, tol, &format!("a case of {}", m.name));
        }
        let median = row.with_class("clic-median");
        close_to(v(median[0].num("x1")), m.median, tol, "median");
        let b = &row.with_class("clic-box")[0];
        close_to(v(b.num("x")), m.q1, tol, "first quartile");
        close_to(v(b.num("x") + b.num("width")), m.q3, tol, "third quartile");
        let mut caps: Vec<f64> = row
            .with_class("clic-cap")
            .iter()
            .map(|c| v(c.num("x1")))
            .collect();
        caps.sort_by(f64::total_cmp);
        close_to(caps[0], m.min, tol, "minimum");
        close_to(caps[1], m.max, tol, "maximum");
        let bound = s
            .claims
            .iter()
            .find(|c| c.metric == m.name)
            .map(|c| c.bound);
        let claims = row.with_class("clic-claim");
        assert_eq!(claims.len(), 1, "{}", m.name);
        close_to(
            v(claims[0].num("x1")),
            bound.unwrap_or(f64::NAN),
            tol,
            "claim",
        );
        // The jitter stays inside the row, and differs from case to case.
        let ys: Vec<f64> = row
            .with_class("clic-case")
            .iter()
            .map(|c| c.num("cy"))
            .collect();
        let spread = ys.iter().copied().fold(f64::NEG_INFINITY, f64::max)
            - ys.iter().copied().fold(f64::INFINITY, f64::min);
        assert!(
            spread > 10.0 && spread <= 26.0,
            "{}: jitter spread {spread}",
            m.name
        );
    }
}

fn snapshots() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots/segmentation")
}

#[test]
fn the_same_input_gives_the_same_bytes() {
    let r = report(vec![liver("liver"), broken("spleen")]);
    let first = figures(&r);
    let (md, _) = page(&r);
    // A copy built again from scratch, not a clone of the same memory.
    let again = figures(&report(vec![liver("liver"), broken("spleen")]));
    assert_eq!(first, again);
    assert_eq!(md, page(&report(vec![liver("liver"), broken("spleen")])).0);
    let mut files: Vec<(String, String)> = first
        .into_iter()
        .map(|(n, svg)| (format!("{n}.svg"), svg))
        .collect();
    files.push(("section.md".to_string(), md));
    let dir = snapshots();
    if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
        std::fs::create_dir_all(&dir).expect("snapshot folder");
        for (name, text) in &files {
            std::fs::write(dir.join(name), text).expect("snapshot written");
        }
        return;
    }
    for (name, text) in &files {
        let want = std::fs::read_to_string(dir.join(name)).unwrap_or_else(|_| {
            panic!("no snapshot {name}: run with UPDATE_SNAPSHOTS=1 and review it")
        });
        assert!(
            &want == text,
            "{name} differs from its snapshot; if intended, UPDATE_SNAPSHOTS=1 and review the diff"
        );
    }
}

#[test]
fn a_hostile_structure_name_stays_text() {
    let name = "<script>alert(\"x\")</script> & 'liver' [a](https://evil.example) **b**";
    let r = report(vec![liver(name)]);
    for (n, svg) in figures(&r) {
        assert!(!svg.contains("<script"), "{n}");
        let root = parse_xml(&svg).unwrap_or_else(|e| panic!("{n}: {e}"));
        let title = root
            .all()
            .into_iter()
            .find(|e| e.name == "title")
            .map(|e| e.text());
        assert!(
            title.is_some_and(|t| t.contains(name)),
            "{n}: the title names it as written"
        );
    }
    let (md, html) = page(&r);
    // In the Markdown the name's `<` is backslash-escaped, so it opens no HTML.
    assert!(!md.replace("\\<", "").contains("<script"), "{md}");
    assert!(!html.contains("<script"), "{html}");
    assert!(!html.contains("evil.example\""), "a link was made: {html}");
    assert!(html.contains("&lt;script&gt;"), "{html}");
    assert!(prose(&html).contains(name), "the name reads as written");
}

#[test]
fn values_that_are_not_finite_read_not_computed() {
    let r = report(vec![broken("kidney")]);
    let (md, html) = page(&r);
    let text = prose(&html);
    assert!(
        non_finite_words(&text).is_empty(),
        "{:?}\n{text}",
        non_finite_words(&text)
    );
    assert!(non_finite_words(&md).is_empty(), "{md}");
    for (name, svg) in figures(&r) {
        assert!(non_finite_words(&svg).is_empty(), "{name}");
    }
    // The IoU mean, the Dice interval, the HD95 without any case, the claim's estimate,
    // the ICC and the limits of agreement.
    assert!(text.matches("not computed").count() >= 6, "{text}");
    assert!(
        text.contains("not computed (not a finite number)"),
        "{text}"
    );
    assert!(
        text.contains("not computed (no case defines it)")
            || text.contains("not computed (every case has an empty"),
        "{text}"
    );
    // Only the finite cases are drawn: 0.8 and 0.7 of Dice, one pair of volumes.
    let figs = figures(&r);
    let dist = parse_xml(&figs[0].1).unwrap_or_else(|e| panic!("{e}"));
    let dice = dist.with_class("clic-metric")[0]
        .with_class("clic-case")
        .len();
    assert_eq!(dice, 2);
    assert!(figs[0].1.contains("2 case(s) not finite, not drawn"));
    let ba = parse_xml(&figs[1].1).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(ba.with_class("clic-pair").len(), 1);
    assert!(
        ba.with_class("clic-loa").is_empty(),
        "a limit that is not finite is not drawn"
    );
}

#[test]
fn the_section_states_its_tables_claims_and_empty_cases() {
    let (md, html) = page(&report(vec![liver("liver")]));
    let text = prose(&html);
    let dice = metric("dice", "Dice", Unit::Fraction, &DICE);
    assert!(
        text.contains(&format!(
            "{:.3} [{:.3} to {:.3}]",
            dice.mean, dice.ci_low, dice.ci_high
        )),
        "{text}"
    );
    assert!(text.contains(&format!(
        "{:.3} [{:.3} to {:.3}]",
        dice.median, dice.q1, dice.q3
    )));
    assert!(text.contains("0.720 to 0.970"), "the range: {text}");
    // rvd as a percentage, HD95 in mm.
    assert!(text.contains("at most 15.0%"), "{text}");
    assert!(text.contains("at most 6.00 mm"), "{text}");
    assert!(text.contains("at most 150.0 mL"), "{text}");
    assert!(
        html.contains("status-fail\">NOT MET<"),
        "Dice's claim is not met"
    );
    assert!(html.contains("status-pass\">met<"));
    assert!(text.contains("Metrics Reloaded"), "{text}");
    assert!(
        text.contains(
            "Both masks empty (true negatives, left out of the overlap and boundary summaries): 2."
        ),
        "{text}"
    );
    assert!(text.contains("ICC(A,1)") && text.contains("0.953") && text.contains("0.810 to 0.990"));
    assert!(text.contains("patient-clustered percentile bootstrap (seeded) with 2000 resamples"));
    // Both figures inlined.
    assert_eq!(
        html.matches("<figure class=\"figure\"><svg").count(),
        2,
        "{html}"
    );
    assert!(md.contains("](figures/segmentation-1.svg)"));
    assert!(md.contains("](figures/bland-altman-1.svg)"));
}

#[test]
fn the_page_text_has_no_raw_markdown() {
    for r in [report(vec![liver("liver"), broken("spleen")]), degenerate()] {
        let (_, html) = page(&r);
        let text = prose(&html);
        assert!(!text.contains('`'), "a raw backtick: {text}");
        assert!(!text.contains("**"), "raw bold: {text}");
        assert!(!text.contains("{{"), "a template expression: {text}");
        // Every table row has the header's number of cells.
        assert!(!html.contains("<td>|"), "{html}");
    }
}

#[test]
fn the_summary_gives_each_claim_with_its_verdict() {
    let v = view(&report(vec![liver("liver"), broken("kidney")]));
    let s = v.summary();
    assert!(
        s.contains("liver (12 cases): Dice claimed at least 0.900, measured 0.910 (95% CI 0.880 to 0.930), NOT MET"),
        "{s}"
    );
    assert!(
        s.contains("HD95 claimed at most 6.00 mm, measured 6.01 mm"),
        "{s}"
    );
    assert!(
        s.contains("kidney (4 cases): HD95 claimed at most 5.00 mm, measured not computed"),
        "{s}"
    );
    assert!(non_finite_words(&s).is_empty(), "{s}");
}
