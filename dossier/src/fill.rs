//! What fills each item of MDR Annex II, Annex III and AI Act Annex IV: the manifest,
//! the benchmark, the check results, or a section of a document the manifest names (a
//! heading that carries the item's reference, e.g. `1.1(b)`, or its title). An item
//! nothing fills is a named gap.

use crate::context::Gaps;
use crate::sources::Sources;
use crate::views::{find_section, DocView};
use clic_runner::documents::sections::{
    ai_questionnaire, clinical_evaluation, ifu, intended_use, pms_plan, release_notes,
    risk_management, software_architecture, software_development_plan, SectionRef,
};
use serde_json::{json, Value};

/// A fact line of an item.
fn fact(label: &str, value: Value) -> Value {
    json!({ "label": label, "value": value })
}

/// The section of a document that carries this item: a heading with its reference
/// (`1.1(b)`) or its title's leading words.
pub fn from_documents(docs: &[DocView], reference: &str, title: &str) -> Option<String> {
    let key = title
        .split([',', ';', '(', ':'])
        .next()
        .unwrap_or(title)
        .trim()
        .to_lowercase();
    let r = reference.to_lowercase();
    let mut words: Vec<&str> = vec![r.as_str()];
    if key.len() >= 6 {
        words.push(key.as_str());
    }
    find_section(docs, &[], &words)
}

/// The sections of the documents that hold an item, joined: each names a heading of a
/// document template ([`clic_runner::documents::sections`]).
pub fn gather(docs: &[DocView], wanted: &[SectionRef]) -> Option<String> {
    let mut parts = Vec::new();
    for want in wanted {
        let Some(d) = docs.iter().find(|d| d.exists && d.kind == want.kind) else {
            continue;
        };
        if let Some((title, body)) = d.sections.iter().find(|(t, _)| want.matches(t)) {
            parts.push(format!("{title} ({}): {}", d.path, body.trim()));
        }
    }
    (!parts.is_empty()).then(|| parts.join("\n\n"))
}

/// Controls citing a clause of `framework` that `covers` the item.
pub fn controls_for(src: &Sources<'_>, framework: &str, clauses: &[&str]) -> Vec<Value> {
    src.plan
        .checks
        .iter()
        .filter(|c| {
            c.citations.iter().any(|x| {
                x.framework == framework
                    && clauses
                        .iter()
                        .any(|k| crate::catalogue::covers(&x.clause, k) || x.clause.starts_with(k))
            })
        })
        .map(|c| {
            let status =
                crate::context::control(c, src.evidence.results.iter().find(|r| r.id == c.id));
            json!({ "id": c.id, "title": c.title, "status": status["status"] })
        })
        .collect()
}

/// Controls of several frameworks' clauses, each once, sorted by id.
fn controls_any(src: &Sources<'_>, wanted: &[(&str, &[&str])]) -> Vec<Value> {
    let mut all: Vec<Value> = wanted
        .iter()
        .flat_map(|(fw, clauses)| controls_for(src, fw, clauses))
        .collect();
    all.sort_by(|a, b| a["id"].as_str().cmp(&b["id"].as_str()));
    all.dedup_by(|a, b| a["id"] == b["id"]);
    all
}

fn docs_of(docs: &[DocView], kinds: &[&str]) -> Vec<Value> {
    docs.iter()
        .filter(|d| d.declared && kinds.contains(&d.kind.as_str()))
        .map(|d| {
            json!({
                "kind": d.kind,
                "path": d.path,
                "approval": if d.exists {
                    json!(approval_text(d))
                } else {
                    json!({ "gap": format!("{} does not exist", d.path) })
                },
            })
        })
        .collect()
}

fn approval_text(d: &DocView) -> String {
    let mut parts = Vec::new();
    if let Some(v) = &d.version {
        parts.push(format!("version {v}"));
    }
    if let Some(a) = &d.approved_by {
        parts.push(format!("approved by {a}"));
    }
    if let Some(t) = &d.date {
        parts.push(format!("dated {t}"));
    }
    if parts.is_empty() {
        "present; no version, approver or date recorded".to_string()
    } else {
        parts.join(", ")
    }
}

/// One item: its content (from the inputs, or a gap), facts, controls and documents.
pub struct Item {
    /// Main text, or a gap.
    pub content: Value,
    /// Labelled facts.
    pub facts: Vec<Value>,
    /// Controls covering it.
    pub controls: Vec<Value>,
    /// Documents it rests on.
    pub documents: Vec<Value>,
}

fn text(s: impl Into<String>) -> Value {
    Value::String(s.into())
}

fn bench_summary(benchmark: &Value) -> Option<String> {
    let m = benchmark["metrics"].as_array()?;
    let parts: Vec<String> = m
        .iter()
        .filter_map(|e| {
            Some(format!(
                "{} {} (95% CI {}, {})",
                e["name"].as_str()?,
                e["value"].as_str()?,
                e["ci"].as_str()?,
                e["method"].as_str()?
            ))
        })
        .collect();
    Some(format!(
        "On the reference set of {} analysed cases: {}. See the clinical performance report.",
        benchmark["crosstab"]["n"],
        parts.join("; ")
    ))
}

/// Fills an item of MDR Annex II.
pub fn annex_ii(
    src: &Sources<'_>,
    docs: &[DocView],
    benchmark: &Value,
    gaps: &mut Gaps,
    reference: &str,
    title: &str,
) -> Item {
    let spec = src.spec;
    let doc = "annex-ii.md";
    let section = format!("{reference} {title}");
    let r = reference.replace(' ', "");
    let from_docs = from_documents(docs, reference, title);
    let mut facts = Vec::new();
    let mut controls = Vec::new();
    let mut documents = Vec::new();
    let content: Option<String> = match r.as_str() {
        "1.1(a)" => {
            facts.push(fact("Trade name", text(&spec.name)));
            facts.push(fact("Version", text(&spec.version)));
            facts.push(fact("Intended purpose", text(&spec.purpose)));
            documents = docs_of(docs, &["intended_use"]);
            gather(docs, &[intended_use::INTENDED_PURPOSE, intended_use::INTENDED_USERS, intended_use::USE_ENVIRONMENT])
                .or(from_docs)
                .or_else(|| Some(format!("{} {}: {}", spec.name, spec.version, spec.purpose)))
        }
        "1.1(c)" => {
            documents = docs_of(docs, &["intended_use", "ifu"]);
            gather(docs, &[intended_use::PATIENT_POPULATION, intended_use::MEDICAL_INDICATION, intended_use::CONTRA_INDICATIONS, ifu::CONTRA_INDICATIONS])
                .or(from_docs)
        }
        "1.1(b)" => gather(docs, &[ifu::MANUFACTURER_AND_DEVICE]).or(from_docs),
        "1.1(g)" | "1.1(h)" | "3(c)" => from_docs,
        "6.2(g)" => gather(docs, &[software_architecture::INTERFACES, intended_use::INPUT_DATA]).or(from_docs),
        "1.2" | "1.2(a)" | "1.2(b)" => gather(docs, &[release_notes::CHANGES_SINCE, clinical_evaluation::STATE_OF_THE_ART])
            .or(from_docs),
        "1.1(d)" => {
            let input = spec.input.as_ref().map_or_else(String::new, |i| {
                let steps: Vec<String> = crate::context::device(spec, &mut Gaps::default())["preprocessing"]
                    .as_array()
                    .map(|a| a.iter().filter_map(|s| s.as_str().map(str::to_string)).collect())
                    .unwrap_or_default();
                format!(
                    "It reads {} DICOM images into the tensor {} ({}).",
                    i.modalities.join(", "),
                    i.tensor,
                    steps.join("; ")
                )
            });
            let output = spec.output.as_ref().map_or_else(String::new, |o| {
                format!(
                    " A neural network ({}) gives a score in {}; a score {} {} means \"{}\".",
                    spec.artifact.path,
                    o.tensor,
                    if o.inclusive { ">=" } else { ">" },
                    o.threshold,
                    o.positive
                )
            });
            gather(docs, &[intended_use::PRINCIPLE_OF_OPERATION])
                .or(from_docs)
                .or_else(|| Some(format!("{input}{output}")))
        }
        "1.1(e)" => gather(docs, &[intended_use::QUALIFICATION]).or(from_docs).or_else(|| {
            Some(format!(
                "Software with a medical purpose under MDR Article 2(1), given its intended purpose: {}",
                spec.purpose
            ))
        }),
        "1.1(f)" => {
            controls = controls_for(src, "mdr", &["Annex VIII"]);
            Some(match &spec.classification_rule {
                Some(rule) => format!("Class {} by rule {rule} of Annex VIII.", spec.class),
                None => format!("Class {}; the manifest names no classification rule.", spec.class),
            })
        }
        "1.1(i)" => from_docs.or_else(|| {
            Some(format!(
                "One configuration: the model file {} run by clic's inference engine; no variant is declared.",
                spec.artifact.path
            ))
        }),
        "1.1(j)" => gather(docs, &[software_architecture::SOFTWARE_ITEMS, software_architecture::MODEL_ARCHITECTURE]).or(from_docs).or_else(|| {
            Some(format!(
                "The software's key functional element is the model {}{}, with the preprocessing of the manifest.",
                spec.artifact.path,
                spec.artifact
                    .sha256
                    .as_ref()
                    .map_or_else(String::new, |s| format!(" (sha256 {s})"))
            ))
        }),
        "1.1(k)" => Some("Not applicable: software has no raw materials.".to_string()),
        "1.1(l)" => gather(docs, &[ifu::INPUT_SPECIFICATIONS, ifu::INSTALLATION]).or(from_docs).or_else(|| {
            spec.input.as_ref().map(|i| {
                format!(
                    "Input: {} DICOM images. Operating point: {}. Claims: {}.",
                    i.modalities.join(", "),
                    spec.output.as_ref().map_or("none".to_string(), |o| format!(
                        "score {} {}",
                        if o.inclusive { ">=" } else { ">" },
                        o.threshold
                    )),
                    spec.claims
                        .iter()
                        .map(|(k, v)| format!("{k} {}", crate::shown::claim_shown(k, *v)))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })
        }),
        "3(a)" => {
            controls = controls_for(src, "iec62304", &["5"]);
            documents = docs_of(docs, &["software_development_plan"]);
            gather(docs, &[software_development_plan::LIFE_CYCLE, software_development_plan::STANDARDS_METHODS]).or(from_docs)
        }
        "3(b)" => {
            controls = controls_any(src, &[("iec62304", &["8", "5.8"]), ("mdr", &["Annex II 3"])]);
            let release = match (&src.git.commit, &src.git.date) {
                (Some(c), Some(d)) => Some(format!(
                    "Software is manufactured by release from version control: the released model {} is the file at commit {c} of {d}, pinned by sha256 in the manifest.",
                    spec.artifact.path
                )),
                _ => None,
            };
            gather(docs, &[release_notes::BUILD_AND_ARCHIVE, software_development_plan::MAINTENANCE_AND_RELEASE])
                .map(|g| match &release { Some(r) => format!("{r}\n\n{g}"), None => g })
                .or(release)
                .or(from_docs)
        }
        "4" | "4(a)" | "4(b)" | "4(c)" | "4(d)" => Some(
            "See the GSPR checklist (MDR Annex I): for every requirement, whether it applies and why, the method, the standards, and the controls with their results, cross-referenced to the evidence.".to_string(),
        ),
        "5(a)" => {
            documents = docs_of(docs, &["clinical_evaluation", "risk_management"]);
            gather(docs, &[clinical_evaluation::BENEFIT_RISK, risk_management::OVERALL_RESIDUAL_RISK]).or(from_docs)
        }
        "5" | "5(b)" => {
            documents = docs_of(docs, &["risk_management"]);
            controls = controls_for(src, "iso14971", &["4", "5", "6", "7", "8", "9", "10"]);
            gather(docs, &[risk_management::RISK_CONTROL, risk_management::OVERALL_RESIDUAL_RISK, risk_management::RISK_MANAGEMENT_REVIEW])
                .or(from_docs)
        }
        "6.1(a)" | "6.1(b)" | "6.1" | "6" => {
            controls = controls_any(src, &[("mdr", &["Annex I 17", "Annex I 15"]), ("iec62304", &["5.7"])]);
            documents = docs_of(docs, &["software_development_plan", "release_notes"]);
            let v = gather(docs, &[software_development_plan::VERIFICATION, release_notes::VERIFICATION_SUMMARY]);
            match (bench_summary(benchmark), v) {
                (Some(b), Some(v)) => Some(format!("{b}\n\n{v}")),
                (b, v) => b.or(v).or(from_docs),
            }
        }
        "6.1(c)" => {
            documents = docs_of(docs, &["clinical_evaluation"]);
            gather(docs, &[clinical_evaluation::CLINICAL_EVALUATION_PLAN, clinical_evaluation::CONCLUSIONS]).or(from_docs)
        }
        "6.1(d)" => {
            documents = docs_of(docs, &["clinical_evaluation", "pms_plan"]);
            gather(docs, &[clinical_evaluation::POST_MARKET_CLINICAL_FOLLOW_UP, pms_plan::POST_MARKET_CLINICAL_FOLLOW_UP]).or(from_docs)
        }
        "2" | "2(a)" | "2(b)" => {
            documents = docs_of(docs, &["ifu"]);
            gather(docs, &[ifu::MANUFACTURER_AND_DEVICE, ifu::INTENDED_PURPOSE, ifu::CONTRA_INDICATIONS, ifu::PERFORMANCE_CHARACTERISTICS, ifu::LIMITATIONS]).or(from_docs)
        }
        _ => from_docs,
    };
    let content = gaps.fill(
        doc,
        &section,
        content,
        "neither the manifest nor the documents it names say this (a document heading with the item's reference or title fills it)",
    );
    Item {
        content,
        facts,
        controls,
        documents,
    }
}

/// Fills an item of AI Act Annex IV.
pub fn ai_act(
    src: &Sources<'_>,
    docs: &[DocView],
    benchmark: &Value,
    gaps: &mut Gaps,
    reference: &str,
    title: &str,
) -> (Item, Vec<Value>) {
    let spec = src.spec;
    let section = format!("{reference} {title}");
    let from_docs = from_documents(docs, reference, title);
    let mut see = Vec::new();
    let mut controls = Vec::new();
    let mut facts = Vec::new();
    let r = reference.trim().trim_end_matches('.').to_string();
    let link = |file: &str, title: &str| json!({ "file": file, "title": title });
    let content = match r.as_str() {
        "1" => {
            facts.push(fact("Intended purpose", text(&spec.purpose)));
            facts.push(fact("Version", text(&spec.version)));
            see.push(link("annex-ii.md", "MDR Annex II, section 1"));
            gather(
                docs,
                &[
                    ifu::MANUFACTURER_AND_DEVICE,
                    intended_use::INTENDED_PURPOSE,
                    intended_use::INPUT_DATA,
                ],
            )
            .or(from_docs)
            .or_else(|| Some(format!("{} {}: {}", spec.name, spec.version, spec.purpose)))
        }
        "2" => {
            controls = controls_for(src, "ai_act", &["Art. 10", "Art. 15"]);
            see.push(link(
                "clinical-performance.md",
                "Clinical performance report",
            ));
            let design = gather(
                docs,
                &[
                    software_architecture::MODEL_ARCHITECTURE,
                    ai_questionnaire::Q3_1,
                    ai_questionnaire::Q4_1,
                    ai_questionnaire::Q6_1,
                ],
            );
            match (design, bench_summary(benchmark)) {
                (Some(d), Some(b)) => Some(format!("{d}\n\n{b}")),
                (d, b) => d.or(b).or(from_docs),
            }
        }
        "3" => {
            controls = controls_for(src, "ai_act", &["Art. 13", "Art. 14", "Art. 15"]);
            see.push(link(
                "clinical-performance.md",
                "Clinical performance report (subgroups)",
            ));
            gather(docs, &[ifu::LIMITATIONS, ifu::HUMAN_OVERSIGHT, ifu::PERFORMANCE_PER_GROUP]).or(from_docs).or_else(|| {
                benchmark["subgroups"].as_array().map(|_| {
                    "Accuracy for specific groups of persons and settings is in the subgroup tables of the clinical performance report.".to_string()
                })
            })
        }
        "4" => {
            see.push(link(
                "clinical-performance.md",
                "Clinical performance report",
            ));
            gather(docs, &[ai_questionnaire::Q2_1]).or(from_docs).or_else(|| {
                Some("Sensitivity and specificity at the operating point, with Wilson 95% intervals, and ROC AUC with a DeLong interval, as STARD 2015 item 24 asks for diagnostic accuracy; claims are judged on the lower bound of the interval.".to_string())
            })
        }
        "5" => {
            controls = controls_for(src, "ai_act", &["Art. 9"]);
            see.push(link("annex-ii.md", "MDR Annex II, section 5"));
            gather(
                docs,
                &[
                    risk_management::RISK_MANAGEMENT_PLAN,
                    risk_management::PERFORMANCE_SHORTFALL,
                    risk_management::DRIFT,
                    risk_management::DISCRIMINATORY_OUTPUT,
                ],
            )
            .or(from_docs)
        }
        "6" => {
            see.push(link("evidence-appendix.md", "Evidence appendix"));
            gather(docs, &[release_notes::CHANGES_SINCE]).or(from_docs).or_else(|| {
                src.git.commit.as_ref().map(|c| {
                    format!(
                        "Changes are made under version control; this documentation is of commit {c}{}.",
                        src.git.tag.as_ref().map_or_else(String::new, |t| format!(", tag {t}"))
                    )
                })
            })
        }
        "7" => {
            let mut names: Vec<&str> = Vec::new();
            for c in &src.plan.checks {
                for x in &c.citations {
                    if !names.contains(&x.framework_name.as_str()) {
                        names.push(x.framework_name.as_str());
                    }
                }
            }
            see.push(link("gspr-checklist.md", "GSPR checklist"));
            gather(docs, &[software_development_plan::STANDARDS_METHODS])
                .or(from_docs)
                .or_else(|| {
                    (!names.is_empty()).then(|| {
                        format!(
                            "Frameworks and standards the controls apply: {}.",
                            names.join(", ")
                        )
                    })
                })
        }
        "9" => {
            see.push(link("annex-iii.md", "Post-market surveillance plan"));
            gather(docs, &[pms_plan::PERFORMANCE_MONITORING]).or_else(|| Some("The post-market monitoring plan is part of the MDR post-market surveillance plan (Annex III), with indicators and thresholds from the claims.".to_string()))
        }
        _ => from_docs,
    };
    let content = gaps.fill(
        "ai-act-annex-iv.md",
        &section,
        content,
        "neither the manifest nor the documents it names say this (a document heading with the item's reference or title fills it)",
    );
    (
        Item {
            content,
            facts,
            controls,
            documents: Vec::new(),
        },
        see,
    )
}

/// Fills an item of the Annex III plan from the post-market surveillance plan document
/// (`pms_plan`): the sections of its template that answer the item.
pub fn annex_iii(docs: &[DocView], gaps: &mut Gaps, reference: &str, title: &str) -> Value {
    let wanted: &[SectionRef] = match reference.replace(' ', "").as_str() {
        "1.1(a)" => &[
            pms_plan::INFORMATION_COLLECTED,
            pms_plan::SCOPE_AND_RESPONSIBILITIES,
        ],
        "1.1(b)" => &[
            pms_plan::PROACTIVE_COLLECTION,
            pms_plan::PERFORMANCE_MONITORING,
            pms_plan::INDICATORS_AND_THRESHOLDS,
            pms_plan::TREND_REPORTING,
            pms_plan::CORRECTIVE_ACTIONS,
            pms_plan::POST_MARKET_CLINICAL_FOLLOW_UP,
        ],
        "1.2" => &[pms_plan::PERIODIC_SAFETY_UPDATE_REPORT],
        _ => &[],
    };
    let content = gather(docs, wanted).or_else(|| from_documents(docs, reference, title));
    gaps.fill(
        "annex-iii.md",
        &format!("{reference} {title}"),
        content,
        "the manifest names no post-market surveillance plan (pms_plan) that describes it",
    )
}
