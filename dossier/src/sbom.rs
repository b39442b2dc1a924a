//! `sbom.cdx.json`: the software bill of materials of the release as CycloneDX 1.6 JSON,
//! made from what clic knows, not from what it is told.
//!
//! - The **device** (`metadata.component`): the manifest's name, version and purpose.
//! - The **model**, a `machine-learning-model` component: the artifact's sha256, its
//!   opsets and the operators of its graph (properties `clic:onnx:*`), and a model card
//!   whose `quantitativeAnalysis.performanceMetrics` are the benchmark's estimates with
//!   their 95% intervals, overall and per subgroup (`slice`: `PatientSex=F`).
//! - The **runtime** the manifest declares (`runtime onnxruntime "1.31.1"`), with the
//!   backend that produced the evidence, and the other **SOUP items** of the SOUP list
//!   as the team declares them (`clic:soup:status`: `identified` when clic knows the
//!   component itself, `unconfirmed` otherwise).
//! - The **tool** (`metadata.tools`): clic and the crates it was built from, embedded
//!   from the workspace's `Cargo.lock` at build time (`build.rs`).
//!
//! Deterministic: the timestamp is the release commit's date (none outside git), and
//! the serial number is a name-based UUID (version 5 layout, from the sha256 of the
//! document without it), so the same inputs give the same bytes.

use crate::performance::{Benchmark, SubgroupMetric};
use crate::Sources;
use clic_runner::documents::soup;
use serde_json::{json, Map, Value};

/// The file's name in the dossier.
pub const FILE: &str = "sbom.cdx.json";

/// The packages of `Cargo.lock`: `name\tversion\tsource\tchecksum` lines.
const CRATES: &str = include_str!(concat!(env!("OUT_DIR"), "/crates.tsv"));

/// A crate clic is built from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Crate<'a> {
    /// Its name.
    pub name: &'a str,
    /// Its version.
    pub version: &'a str,
    /// Where it comes from (`registry+https://...`); empty for the workspace's own.
    pub source: &'a str,
    /// The sha256 of its archive, for a registry crate.
    pub checksum: &'a str,
}

/// The crates of the build, in `Cargo.lock`'s order (by name, then version).
pub fn crates() -> Vec<Crate<'static>> {
    CRATES
        .lines()
        .filter_map(|l| {
            let mut f = l.split('\t');
            Some(Crate {
                name: f.next()?,
                version: f.next()?,
                source: f.next().unwrap_or(""),
                checksum: f.next().unwrap_or(""),
            })
        })
        .collect()
}

fn property(name: &str, value: impl Into<String>) -> Value {
    json!({ "name": name, "value": value.into() })
}

fn sha256(hex: &str) -> Option<Value> {
    (hex.len() == 64 && hex.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| json!([{ "alg": "SHA-256", "content": hex.to_ascii_lowercase() }]))
}

fn number(v: f64) -> String {
    format!("{v}")
}

/// One performance metric, with its interval when it has one.
fn metric(kind: &str, value: f64, interval: Option<(f64, f64)>, slice: Option<&str>) -> Value {
    let mut m = Map::new();
    m.insert("type".into(), json!(kind));
    m.insert("value".into(), json!(number(value)));
    if let Some(s) = slice {
        m.insert("slice".into(), json!(s));
    }
    if let Some((low, high)) = interval {
        m.insert(
            "confidenceInterval".into(),
            json!({ "lowerBound": number(low), "upperBound": number(high) }),
        );
    }
    Value::Object(m)
}

/// The benchmark's estimates, overall and per subgroup.
fn performance_metrics(benchmark: &Benchmark<'_>) -> Vec<Value> {
    let Some(measured) = &benchmark.measured else {
        return Vec::new();
    };
    let mut out: Vec<Value> = measured
        .metrics
        .iter()
        .map(|m| {
            let r = &m.estimate.raw;
            // The registry's name, as the subgroups' metrics are keyed (`sensitivity`).
            let kind = clic_compiler::schema::metrics::METRICS
                .iter()
                .find(|d| d.label == m.name)
                .map_or(m.name, |d| d.name);
            metric(kind, r.value, Some((r.low, r.high)), None)
        })
        .collect();
    for table in &measured.subgroups {
        for group in &table.groups {
            let slice = format!("{}={}", table.attribute, group.value);
            for (name, m) in &group.metrics {
                match m {
                    SubgroupMetric::Estimate(e) => out.push(metric(
                        name,
                        e.raw.value,
                        Some((e.raw.low, e.raw.high)),
                        Some(&slice),
                    )),
                    SubgroupMetric::Number(v) => out.push(metric(name, *v, None, Some(&slice))),
                    SubgroupMetric::Undefined { .. } => {}
                }
            }
        }
    }
    out
}

fn model_component(src: &Sources<'_>, benchmark: &Benchmark<'_>) -> Value {
    let spec = src.spec;
    let mut c = Map::new();
    c.insert("type".into(), json!("machine-learning-model"));
    c.insert("bom-ref".into(), json!("model"));
    c.insert("name".into(), json!(spec.artifact.path));
    c.insert("version".into(), json!(spec.version));
    let digest = src
        .inputs
        .iter()
        .find(|f| f.role == "model")
        .and_then(|f| sha256(&f.sha256));
    if let Some(h) = digest {
        c.insert("hashes".into(), h);
    }
    let mut props = vec![property("clic:onnx:format", "ONNX")];
    if let Some(g) = src.graph {
        props.push(property("clic:onnx:ir_version", g.ir_version.to_string()));
        for (domain, version) in &g.opsets {
            let d = if domain.is_empty() { "ai.onnx" } else { domain };
            props.push(property("clic:onnx:opset", format!("{d} {version}")));
        }
        for op in &g.operators {
            props.push(property("clic:onnx:operator", op.clone()));
        }
        if !g.producer_name.is_empty() {
            props.push(property(
                "clic:onnx:producer",
                format!("{} {}", g.producer_name, g.producer_version)
                    .trim()
                    .to_string(),
            ));
        }
    }
    c.insert("properties".into(), Value::Array(props));
    let outputs: Vec<Value> = if spec.analysis.findings.is_empty() {
        spec.output
            .iter()
            .map(|o| json!({ "format": format!("score of `{}`: {}", o.tensor, o.positive) }))
            .collect()
    } else {
        spec.analysis
            .findings
            .iter()
            .map(|f| json!({ "format": format!("score of {}: {}", f.name, f.positive) }))
            .collect()
    };
    let modalities = spec
        .input
        .as_ref()
        .map(|i| i.modalities.join(", "))
        .unwrap_or_default();
    c.insert(
        "modelCard".into(),
        json!({
            "modelParameters": {
                "task": "classification",
                "inputs": [{ "format": format!("DICOM ({modalities})") }],
                "outputs": outputs,
            },
            "quantitativeAnalysis": { "performanceMetrics": performance_metrics(benchmark) },
            "considerations": { "useCases": [spec.purpose.clone()] },
        }),
    );
    Value::Object(c)
}

fn key(s: &str) -> String {
    s.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// The runtime and the SOUP list's items.
fn soup_components(src: &Sources<'_>) -> Vec<Value> {
    let items = src
        .documents
        .iter()
        .find(|d| d.kind == "soup_list" && d.exists)
        .map(|d| soup::items(&d.body))
        .unwrap_or_default();
    let mut out = Vec::new();
    let runtime_key = src
        .spec
        .runtime
        .as_ref()
        .map(|r| key(soup::runtime_display(&r.name)));
    if let Some(r) = &src.spec.runtime {
        let mut c = Map::new();
        c.insert("type".into(), json!("library"));
        c.insert("bom-ref".into(), json!("runtime"));
        c.insert("name".into(), json!(r.name));
        if let Some(v) = &r.version {
            c.insert("version".into(), json!(v));
        }
        let listed = items.iter().find(|i| Some(key(&i.name)) == runtime_key);
        if let Some(s) = listed.and_then(|i| i.supplier.as_ref()) {
            c.insert("supplier".into(), json!({ "name": s }));
        }
        let mut props = vec![
            property("clic:declared-by", "manifest `runtime` statement"),
            property(
                "clic:soup:status",
                if listed.is_some() {
                    "identified"
                } else {
                    "missing from the SOUP list"
                },
            ),
        ];
        if let Some(i) = listed {
            props.push(property("clic:soup:version", i.version.clone()));
        }
        if let Ok(b) = &src.bench {
            props.push(property("clic:evidence:backend", b.backend.clone()));
        }
        c.insert("properties".into(), Value::Array(props));
        out.push(Value::Object(c));
    }
    for (n, i) in items.iter().enumerate() {
        if Some(key(&i.name)) == runtime_key {
            continue;
        }
        let mut c = Map::new();
        c.insert("type".into(), json!("library"));
        c.insert(
            "bom-ref".into(),
            json!(format!("soup:{n}:{}", key(&i.name))),
        );
        c.insert("name".into(), json!(i.name));
        c.insert("version".into(), json!(i.version));
        if let Some(s) = &i.supplier {
            c.insert("supplier".into(), json!({ "name": s }));
        }
        if let Some(u) = &i.used_for {
            c.insert("description".into(), json!(u));
        }
        c.insert(
            "properties".into(),
            json!([property("clic:soup:status", "unconfirmed")]),
        );
        out.push(Value::Object(c));
    }
    out
}

fn tool(clic_version: &str) -> Value {
    let crates: Vec<Value> = crates()
        .iter()
        .map(|k| {
            let mut c = Map::new();
            c.insert("type".into(), json!("library"));
            c.insert(
                "bom-ref".into(),
                json!(format!("crate:{}@{}", k.name, k.version)),
            );
            c.insert("name".into(), json!(k.name));
            c.insert("version".into(), json!(k.version));
            c.insert(
                "purl".into(),
                json!(format!("pkg:cargo/{}@{}", k.name, k.version)),
            );
            if let Some(h) = sha256(k.checksum) {
                c.insert("hashes".into(), h);
            }
            if k.source.is_empty() {
                c.insert("scope".into(), json!("required"));
                c.insert(
                    "properties".into(),
                    json!([property("clic:crate:source", "workspace")]),
                );
            }
            Value::Object(c)
        })
        .collect();
    json!({
        "type": "application",
        "bom-ref": "tool:clic",
        "name": "clic",
        "version": clic_version,
        "description": "The compliance gate that produced this dossier's evidence, with the crates it was built from (Cargo.lock).",
        "components": crates,
    })
}

/// A UUID (RFC 4122 layout, version 5, variant 1) from the first 16 bytes of a sha256.
fn uuid_of(digest: &[u8]) -> String {
    let mut b = [0u8; 16];
    for (to, from) in b.iter_mut().zip(digest) {
        *to = *from;
    }
    b[6] = (b[6] & 0x0f) | 0x50;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[0..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..32]
    )
}

/// The SBOM as a JSON value.
pub fn document(src: &Sources<'_>, benchmark: &Benchmark<'_>) -> Value {
    let spec = src.spec;
    let soup = soup_components(src);
    let mut depends: Vec<Value> = vec![json!("model")];
    depends.extend(soup.iter().filter_map(|c| c.get("bom-ref").cloned()));
    let mut metadata = Map::new();
    if let Some(date) = src
        .git
        .date
        .as_ref()
        .filter(|d| clic_compiler::is_calendar_date(d))
    {
        metadata.insert("timestamp".into(), json!(format!("{date}T00:00:00Z")));
    }
    metadata.insert(
        "tools".into(),
        json!({ "components": [tool(src.clic_version)] }),
    );
    metadata.insert(
        "component".into(),
        json!({
            "type": "application",
            "bom-ref": "device",
            "name": spec.name,
            "version": spec.version,
            "description": spec.purpose,
        }),
    );
    let mut components = vec![model_component(src, benchmark)];
    components.extend(soup);
    let mut dependencies = vec![json!({ "ref": "device", "dependsOn": depends })];
    if spec.runtime.is_some() {
        dependencies.push(json!({ "ref": "model", "dependsOn": ["runtime"] }));
    }
    let mut bom = Map::new();
    bom.insert("bomFormat".into(), json!("CycloneDX"));
    bom.insert("specVersion".into(), json!("1.6"));
    bom.insert("version".into(), json!(1));
    bom.insert("metadata".into(), Value::Object(metadata));
    bom.insert("components".into(), Value::Array(components));
    bom.insert("dependencies".into(), Value::Array(dependencies));
    let body = serde_json::to_vec(&bom).unwrap_or_default();
    let digest = <sha2::Sha256 as sha2::Digest>::digest(&body);
    let mut out = Map::new();
    out.insert("bomFormat".into(), json!("CycloneDX"));
    out.insert("specVersion".into(), json!("1.6"));
    out.insert(
        "serialNumber".into(),
        json!(format!("urn:uuid:{}", uuid_of(&digest))),
    );
    for (k, v) in bom {
        out.entry(k).or_insert(v);
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lock_file_is_embedded() {
        let all = crates();
        assert!(all.iter().any(|c| c.name == "serde_json"), "a dependency");
        assert!(
            all.iter()
                .any(|c| c.name == "clic-dossier" && c.source.is_empty()),
            "the workspace's own crates"
        );
    }

    #[test]
    fn the_serial_number_is_a_version_5_uuid() {
        let u = uuid_of(&[0xff; 32]);
        assert_eq!(u, "ffffffff-ffff-5fff-bfff-ffffffffffff");
    }
}
