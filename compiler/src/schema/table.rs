//! The declaration of every fact and record type. Adding a fact is adding a line here
//! (a metric's facts are a row of [`super::metrics::METRICS`]); a runner test then
//! demands that its provider fills it.

use super::metrics::{FINDING_FIELDS, METRICS, SUBGROUP_FIELDS};
use super::{FactDef, Provider, RecordDef};

/// Every fact, sorted by path: [`DECLARED`] and the two facts of every metric.
pub const FACTS: &[FactDef] = &ALL;

const ALL: [FactDef; DECLARED.len() + 2 * METRICS.len()] = {
    let mut out = [DECLARED[0]; DECLARED.len() + 2 * METRICS.len()];
    let mut i = 0;
    while i < DECLARED.len() {
        out[i] = DECLARED[i];
        i += 1;
    }
    let mut j = 0;
    while j < METRICS.len() {
        out[i] = METRICS[j].fact_def();
        out[i + 1] = METRICS[j].claim_def();
        i += 2;
        j += 1;
    }
    // Insertion sort by path (a few hundred comparisons, at compile time).
    let mut k = 1;
    while k < out.len() {
        let mut m = k;
        while m > 0 && before(out[m].path, out[m - 1].path) {
            let t = out[m];
            out[m] = out[m - 1];
            out[m - 1] = t;
            m -= 1;
        }
        k += 1;
    }
    out
};

/// Whether `a` sorts before `b`, bytewise (`str`'s order).
const fn before(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let mut i = 0;
    while i < a.len() && i < b.len() {
        if a[i] != b[i] {
            return a[i] < b[i];
        }
        i += 1;
    }
    a.len() < b.len()
}

/// Every fact but the metrics', sorted by path.
const DECLARED: &[FactDef] = &[
    FactDef { path: "artifact.custom_domains", ty: "List<String>", params: &[], provider: Provider::Artifact, doc: "Operator domains beyond the standard ONNX ones." },
    FactDef { path: "artifact.deterministic", ty: "Bool", params: &[], provider: Provider::Artifact, doc: "Whether two runs on the same input agree bitwise." },
    FactDef { path: "artifact.exists", ty: "Bool", params: &[], provider: Provider::Artifact, doc: "Whether the artifact file exists." },
    FactDef { path: "artifact.external_data", ty: "Bool", params: &[], provider: Provider::Artifact, doc: "Whether any initializer is stored as external data." },
    FactDef { path: "artifact.graph.name", ty: "String", params: &[], provider: Provider::Artifact, doc: "Name of the ONNX graph." },
    FactDef { path: "artifact.inputs", ty: "List<Tensor>", params: &[], provider: Provider::Artifact, doc: "Graph inputs with name, element type and shape." },
    FactDef { path: "artifact.ir_version", ty: "Number", params: &[], provider: Provider::Artifact, doc: "ONNX IR version of the model." },
    FactDef { path: "artifact.loads", ty: "Bool", params: &[], provider: Provider::Artifact, doc: "Whether the inference engine loads the model." },
    FactDef { path: "artifact.matches_manifest", ty: "Bool", params: &[], provider: Provider::Artifact, doc: "Whether the declared input/output names, element types and ranks match the graph." },
    FactDef { path: "artifact.metadata", ty: "List<MetadataEntry>", params: &[], provider: Provider::Artifact, doc: "The model's metadata_props." },
    FactDef { path: "artifact.mismatches", ty: "List<String>", params: &[], provider: Provider::Artifact, doc: "What differs between the manifest and the graph, in words." },
    FactDef { path: "artifact.opsets", ty: "List<Opset>", params: &[], provider: Provider::Artifact, doc: "Opset imports: domain and version." },
    FactDef { path: "artifact.operators", ty: "List<String>", params: &[], provider: Provider::Artifact, doc: "The operators the graph's nodes use (`op_type`, sorted; `domain:op_type` outside the default ONNX domain): the operator set the runtime must execute, listed in the SBOM." },
    FactDef { path: "artifact.outputs", ty: "List<Tensor>", params: &[], provider: Provider::Artifact, doc: "Graph outputs with name, element type and shape." },
    FactDef { path: "artifact.producer.name", ty: "String", params: &[], provider: Provider::Artifact, doc: "Name of the tool that produced the model." },
    FactDef { path: "artifact.producer.version", ty: "String", params: &[], provider: Provider::Artifact, doc: "Version of the tool that produced the model." },
    FactDef { path: "artifact.sha256", ty: "String", params: &[], provider: Provider::Artifact, doc: "sha256 of the artifact file." },
    FactDef { path: "artifact.sha256_matches", ty: "Bool", params: &[], provider: Provider::Artifact, doc: "Whether the file's sha256 equals the one pinned in the manifest." },
    FactDef { path: "artifact.size_bytes", ty: "Number", params: &[], provider: Provider::Artifact, doc: "Size of the artifact file in bytes." },
    FactDef { path: "benchmark.by", ty: "List<Subgroup>", params: &["String"], provider: Provider::Benchmark, doc: "The same metrics per value of a DICOM attribute (Manufacturer, Modality, PatientSex, AgeBand), each group with its difference from the rest of the scans (`vs_rest`: Newcombe intervals, assessable flags, Holm-adjusted non-inferiority p values over the attribute's groups)." },
    FactDef { path: "benchmark.unit", ty: "String", params: &[], provider: Provider::Benchmark, doc: "The unit of analysis the metrics count: image, study or patient." },
    FactDef { path: "benchmark.prevalence", ty: "Proportion", params: &[], provider: Provider::Benchmark, doc: "The reference set's prevalence: positives / n with its Wilson 95% interval, the prevalence at which the sample's PPV, NPV, accuracy and F1 hold (an enriched set's is above the clinical one); with several findings each Finding's `prevalence`." },
    FactDef { path: "benchmark.at_prevalence", ty: "List<AtPrevalence>", params: &[], provider: Provider::Benchmark, doc: "PPV and NPV at each deployment prevalence the manifest declares (`prevalence 2%, 5%`), in its order, from the sensitivity and specificity by Bayes' theorem with Mercaldo et al. (2007) logit 95% intervals; empty when none is declared or a class is absent. With several findings each Finding's `at_prevalence`." },
    FactDef { path: "benchmark.backend.name", ty: "String", params: &[], provider: Provider::Benchmark, doc: "The inference backend that scored the reference set: onnxruntime or tract." },
    FactDef { path: "benchmark.backend.version", ty: "String", params: &[], provider: Provider::Benchmark, doc: "The version of that backend as it reports itself (ONNX Runtime's `OrtGetApiBase` version string, e.g. 1.31.1; tract's, e.g. `tract 0.23 (ort-tract 0.5.0)`)." },
    FactDef { path: "benchmark.equivalence.backend", ty: "String", params: &[], provider: Provider::Benchmark, doc: "The declared runtime the evidence's scores were compared with, when the manifest declares `runtime NAME \"VERSION\" tolerance T` and the benchmark ran on another backend; none when no comparison was wanted." },
    FactDef { path: "benchmark.equivalence.version", ty: "String", params: &[], provider: Provider::Benchmark, doc: "The version of that runtime as it reports itself; none when it could not be run." },
    FactDef { path: "benchmark.equivalence.tolerance", ty: "Number", params: &[], provider: Provider::Benchmark, doc: "The manifest's tolerance: the largest absolute difference between the two backends' output values at which the evidence stands for the declared runtime's; none when no comparison was wanted." },
    FactDef { path: "benchmark.equivalence.units", ty: "Number", params: &[], provider: Provider::Benchmark, doc: "Reference scans scored on both backends (the same cached preprocessed tensors); none when no comparison was wanted." },
    FactDef { path: "benchmark.equivalence.max_abs_diff", ty: "Number", params: &[], provider: Provider::Benchmark, doc: "The largest absolute difference between the two backends' values of a scan's output row; none when nothing was compared or a value is not finite." },
    FactDef { path: "benchmark.equivalence.flips", ty: "Number", params: &[], provider: Provider::Benchmark, doc: "Scans whose call at the manifest's `output` operating point differs between the two backends; none with several findings." },
    FactDef { path: "benchmark.equivalence.within_tolerance", ty: "Bool", params: &[], provider: Provider::Benchmark, doc: "Whether every scan was scored on both backends and every value differs by at most the tolerance; none when no comparison was wanted." },
    FactDef { path: "benchmark.equivalence.unavailable", ty: "String", params: &[], provider: Provider::Benchmark, doc: "Why the comparison could not be made or is incomplete (the declared runtime's library is not found, the model does not run on it, a scan scored on one backend only); none when it was made." },
    FactDef { path: "benchmark.segmentation", ty: "List<Structure>", params: &[], provider: Provider::Benchmark, doc: "The segmentation benchmark, one record per structure of the manifest's `segmentation` block in its order: the overlap, boundary and volume metrics over the reference cases, the empty cases counted as Metrics Reloaded recommends, and each claim on the structure with its verdict; empty without a `segmentation` block, or when the benchmark did not run." },
    FactDef { path: "benchmark.series.without_mask", ty: "Number", params: &[], provider: Provider::Benchmark, doc: "Series of the reference folder that no row of the masks file names, so the segmentation benchmark did not score them; none without a `segmentation` block." },
    FactDef { path: "benchmark.robustness", ty: "List<Perturbed>", params: &[], provider: Provider::Benchmark, doc: "The benchmark re-scored under each perturbation of the manifest's `robustness` block (applied to the decoded image before the preprocessing: an 8-bit baseline JPEG round trip, Gaussian noise seeded by the scan's digest, a bilinear rotation about the centre), with each metric's change; empty when none is declared." },
    FactDef { path: "benchmark.robustness.largest_drop", ty: "Number", params: &[], provider: Provider::Benchmark, doc: "The largest drop of AUC, sensitivity or specificity under any declared perturbation (0 when none drops); none when no robustness study is declared or no metric could be compared." },
    FactDef { path: "benchmark.units", ty: "Number", params: &[], provider: Provider::Benchmark, doc: "Units of analysis scored (the scans, for units of one image)." },
    FactDef { path: "benchmark.patients", ty: "Number", params: &[], provider: Provider::Benchmark, doc: "Patients the scored units belong to (by pseudonymised PatientID)." },
    FactDef { path: "benchmark.clustered", ty: "Bool", params: &[], provider: Provider::Benchmark, doc: "Whether some patient has several units, so that the intervals of sensitivity, specificity and AUC are patient-clustered bootstrap intervals." },
    FactDef { path: "benchmark.findings", ty: "List<Finding>", params: &[], provider: Provider::Benchmark, doc: "Each finding's metrics at the unit level, in the manifest's order; empty for the one-finding short form scored per image." },
    FactDef { path: "benchmark.macro.sensitivity", ty: "Proportion", params: &[], provider: Provider::Benchmark, doc: "Mean sensitivity over the findings, with a patient-clustered bootstrap 95% interval; none for the one-finding short form scored per image." },
    FactDef { path: "benchmark.macro.specificity", ty: "Proportion", params: &[], provider: Provider::Benchmark, doc: "Mean specificity over the findings, with a patient-clustered bootstrap 95% interval; none for the one-finding short form scored per image." },
    FactDef { path: "benchmark.macro.auc", ty: "Proportion", params: &[], provider: Provider::Benchmark, doc: "Mean ROC AUC over the findings, with a patient-clustered bootstrap 95% interval; none for the one-finding short form scored per image, or when a finding lacks a class." },
    FactDef { path: "benchmark.micro.sensitivity", ty: "Proportion", params: &[], provider: Provider::Benchmark, doc: "Sensitivity of every (unit, finding) pair pooled, each called at its finding's threshold, with a patient-clustered bootstrap 95% interval; none for the one-finding short form scored per image." },
    FactDef { path: "benchmark.micro.specificity", ty: "Proportion", params: &[], provider: Provider::Benchmark, doc: "Specificity of every (unit, finding) pair pooled, with a patient-clustered bootstrap 95% interval; none for the one-finding short form scored per image." },
    FactDef { path: "benchmark.micro.auc", ty: "Proportion", params: &[], provider: Provider::Benchmark, doc: "ROC AUC of the pooled probabilities of every (unit, finding) pair (scikit-learn's `average=\"micro\"`), with a patient-clustered bootstrap 95% interval; none for the one-finding short form scored per image." },
    FactDef { path: "benchmark.labels.unknown_findings", ty: "List<String>", params: &[], provider: Provider::Benchmark, doc: "Columns of the labels file that name no finding of the manifest." },
    FactDef { path: "benchmark.labels.missing_findings", ty: "List<String>", params: &[], provider: Provider::Benchmark, doc: "Findings of the manifest that the labels file has no column for." },
    FactDef { path: "benchmark.labels.without_unit", ty: "Number", params: &[], provider: Provider::Benchmark, doc: "Rows of the labels file that match no scan of the reference set." },
    FactDef { path: "benchmark.compare.findings", ty: "List<FindingComparison>", params: &[], provider: Provider::Benchmark, doc: "Each finding of the candidate against the released version on the same units; empty without a `compare` statement." },
    FactDef { path: "benchmark.compare.readers", ty: "List<ReaderComparison>", params: &[], provider: Provider::Benchmark, doc: "The model against the readers on the units each read, per finding: one entry per reader and one of the readers pooled (their average); empty without `compare with readers`." },
    FactDef { path: "benchmark.compare.readers_noninferior", ty: "Bool", params: &[], provider: Provider::Benchmark, doc: "Whether every non-inferiority margin to the readers holds for every finding the readers read in a kind the metric needs (scores for the AUC, calls for sensitivity and specificity), on the pooled difference's 95% lower bound (true when no margin is declared); none without `compare with readers`." },
    FactDef { path: "benchmark.compare.noninferior", ty: "Bool", params: &[], provider: Provider::Benchmark, doc: "Whether every non-inferiority margin holds for every finding (true when no margin is declared); none without a `compare` statement." },
    FactDef { path: "benchmark.fn", ty: "Number", params: &[], provider: Provider::Benchmark, doc: "False negatives at the operating threshold." },
    FactDef { path: "benchmark.fp", ty: "Number", params: &[], provider: Provider::Benchmark, doc: "False positives at the operating threshold." },
    FactDef { path: "benchmark.n", ty: "Number", params: &[], provider: Provider::Benchmark, doc: "Number of scans scored." },
    FactDef { path: "benchmark.negatives", ty: "Number", params: &[], provider: Provider::Benchmark, doc: "Scans labelled negative." },
    FactDef { path: "benchmark.positives", ty: "Number", params: &[], provider: Provider::Benchmark, doc: "Scans labelled positive." },
    FactDef { path: "benchmark.threshold", ty: "Number", params: &[], provider: Provider::Benchmark, doc: "Operating threshold used." },
    FactDef { path: "benchmark.tn", ty: "Number", params: &[], provider: Provider::Benchmark, doc: "True negatives at the operating threshold." },
    FactDef { path: "benchmark.tp", ty: "Number", params: &[], provider: Provider::Benchmark, doc: "True positives at the operating threshold." },
    FactDef { path: "documents.ai_questionnaire", ty: "Document", params: &[], provider: Provider::Documents, doc: "The Team-NB AI questionnaire answers." },
    FactDef { path: "documents.all", ty: "List<Document>", params: &[], provider: Provider::Documents, doc: "Every document the manifest names." },
    FactDef { path: "documents.clinical_evaluation", ty: "Document", params: &[], provider: Provider::Documents, doc: "The clinical evaluation report (MDR Art. 61)." },
    FactDef { path: "documents.dpia", ty: "Document", params: &[], provider: Provider::Documents, doc: "The data protection impact assessment (GDPR Art. 35)." },
    FactDef { path: "documents.ifu", ty: "Document", params: &[], provider: Provider::Documents, doc: "The instructions for use (MDR Annex I 23.4)." },
    FactDef { path: "documents.intended_use", ty: "Document", params: &[], provider: Provider::Documents, doc: "The intended use statement." },
    FactDef { path: "documents.pms_plan", ty: "Document", params: &[], provider: Provider::Documents, doc: "The post-market surveillance plan (MDR Annex III)." },
    FactDef { path: "documents.release_notes", ty: "Document", params: &[], provider: Provider::Documents, doc: "The release notes of this version: its changes and known residual anomalies (IEC 62304 5.8.2, 5.8.4)." },
    FactDef { path: "documents.risk_management", ty: "Document", params: &[], provider: Provider::Documents, doc: "The risk management file (ISO 14971)." },
    FactDef { path: "documents.purpose.significance", ty: "List<String>", params: &[], provider: Provider::Documents, doc: "The MDCG 2019-11 significance levels (treat-or-diagnose, drive-management, inform-management, monitor-vital) the intended use states, by the manifest's term or MDCG's phrase (`drives clinical management`); empty when it states none or is missing." },
    FactDef { path: "documents.purpose.situation", ty: "List<String>", params: &[], provider: Provider::Documents, doc: "The healthcare situations (critical, serious, non-serious) the intended use states (`a serious situation`, `situation serious`); empty when it states none or is missing." },
    FactDef { path: "documents.risk.hazards", ty: "List<Hazard>", params: &[], provider: Provider::Documents, doc: "The risk file's hazard matrix: each hazard of its hazards table (columns `id` and `hazard`) with the rows of its risk control table (columns `hazard`, `risk control`, `verification`) that name it, and whether a clic control its verification cites passed in this run (resolved after the other controls: `verified` and `passed_by` are none outside a run)." },
    FactDef { path: "documents.consistency.ifu_missing_risks", ty: "List<String>", params: &[], provider: Provider::Documents, doc: "The risk file's information-for-safety risk controls (a risk control cell beginning with `Information` or `IFU`, or a row filling the risk control table's `IFU statement` column) that the IFU's warnings, contra-indications, limitations and residual-risk sections do not disclose: each statement the IFU column quotes must stand in those sections (case, marks and line breaks aside), or, without a statement, the hazard's id; one entry per hazard and control (`H2: the IFU's warnings and residual risks do not say \"...\"`); every such control when the IFU is missing; empty when the risk file has none." },
    FactDef { path: "documents.soup.items", ty: "List<SoupItem>", params: &[], provider: Provider::Documents, doc: "The SOUP list's items: the rows of its table with a SOUP item (or component) and a version column." },
    FactDef { path: "documents.soup.missing", ty: "List<String>", params: &[], provider: Provider::Documents, doc: "Components clic identifies in the device that no SOUP item names: the runtime the manifest declares (`runtime onnxruntime` is ONNX Runtime), and the SOUP list itself when the manifest names none." },
    FactDef { path: "documents.soup.unconfirmed", ty: "List<String>", params: &[], provider: Provider::Documents, doc: "SOUP items clic cannot identify in what it reads (preprocessing libraries of another language, development tools): listed in the SBOM as the team declares them, not checked." },
    FactDef { path: "documents.soup.unlisted_operators", ty: "List<String>", params: &[], provider: Provider::Documents, doc: "Operators of the model's graph (`artifact.operators`) that the SOUP list never names, so the runtime's functional requirements (IEC 62304 5.3.3) do not cover them; none when the artifact cannot be read." },
    FactDef { path: "documents.soup.version_mismatches", ty: "List<String>", params: &[], provider: Provider::Documents, doc: "Components whose version in the SOUP list differs from the one clic knows (the manifest's `runtime` version), as `name: SOUP list V1, manifest V2`." },
    FactDef { path: "documents.software_architecture", ty: "Document", params: &[], provider: Provider::Documents, doc: "The software architecture (IEC 62304 5.3)." },
    FactDef { path: "documents.software_development_plan", ty: "Document", params: &[], provider: Provider::Documents, doc: "The software development plan (IEC 62304 5.1)." },
    FactDef { path: "documents.soup_list", ty: "Document", params: &[], provider: Provider::Documents, doc: "The SOUP list (IEC 62304 5.3.3, 7.1.3)." },
    FactDef { path: "git.claims.last_changed", ty: "String", params: &[], provider: Provider::Git, doc: "The commit that last changed the manifest's claims (as compiled: the model's, each finding's, the summary claims and non-inferiority margins; a comment or a reformat is no change); none when no commit holds the manifest." },
    FactDef { path: "git.claims.last_changed_on", ty: "Date", params: &[], provider: Provider::Git, doc: "The date (UTC) of `git.claims.last_changed`; none when that is none." },
    FactDef { path: "git.claims.prespecified", ty: "Bool", params: &[], provider: Provider::Git, doc: "Whether the commit that last changed the claims strictly precedes (is an ancestor of) the commits that last changed the model and the reference set: pre-specification evidenced by history; none when the manifest makes no claim, or neither the model nor the reference set is committed." },
    FactDef { path: "git.clean", ty: "Bool", params: &[], provider: Provider::Git, doc: "Whether the work tree has no uncommitted change." },
    FactDef { path: "git.head.author", ty: "String", params: &[], provider: Provider::Git, doc: "Author of HEAD." },
    FactDef { path: "git.head.branch", ty: "String", params: &[], provider: Provider::Git, doc: "Current branch; none on a detached HEAD." },
    FactDef { path: "git.head.committer", ty: "String", params: &[], provider: Provider::Git, doc: "Committer of HEAD." },
    FactDef { path: "git.head.date", ty: "Date", params: &[], provider: Provider::Git, doc: "Commit date of HEAD (UTC)." },
    FactDef { path: "git.head.id", ty: "String", params: &[], provider: Provider::Git, doc: "HEAD commit id." },
    FactDef { path: "git.head.signature.signer", ty: "String", params: &[], provider: Provider::Git, doc: "The principals of the allowed-signers line that verified HEAD's ssh signature; none when not verified or for a gpg signature." },
    FactDef { path: "git.head.signature.verified", ty: "Bool", params: &[], provider: Provider::Git, doc: "Whether HEAD's signature verifies: ssh signatures against `gpg.ssh.allowedSignersFile` (the key listed for namespace git, valid at the commit's time, not revoked), gpg ones against the keyring; false when unsigned or not verified; none without a keyring." },
    FactDef { path: "git.head.signed", ty: "Bool", params: &[], provider: Provider::Git, doc: "Whether HEAD carries a gpg or ssh signature." },
    FactDef { path: "git.head.tag", ty: "String", params: &[], provider: Provider::Git, doc: "Tag pointing at HEAD; none when untagged." },
    FactDef { path: "git.head.tag_matches_version", ty: "Bool", params: &[], provider: Provider::Git, doc: "Whether the tag at HEAD equals `v` + the model version." },
    FactDef { path: "git.head.verified", ty: "Bool", params: &[], provider: Provider::Git, doc: "The same as `git.head.signature.verified` (kept for the policies that read it)." },
    FactDef { path: "git.last_release.changed_files", ty: "List<String>", params: &[], provider: Provider::Git, doc: "Files changed since the last release tag; none when there is no release tag." },
    FactDef { path: "git.last_release.tag", ty: "String", params: &[], provider: Provider::Git, doc: "The most recent release tag reachable from HEAD; none when there is none." },
    FactDef { path: "git.lfs.model", ty: "Bool", params: &[], provider: Provider::Git, doc: "Whether the model artifact is tracked with Git LFS (.gitattributes)." },
    FactDef { path: "git.lfs.scans", ty: "Bool", params: &[], provider: Provider::Git, doc: "Whether the reference scans are tracked with Git LFS (.gitattributes)." },
    FactDef { path: "git.model.last_changed", ty: "String", params: &[], provider: Provider::Git, doc: "The commit that last changed the model: the artifact file or the manifest's sha256 pin of it; none when no commit holds either." },
    FactDef { path: "git.model.last_changed_on", ty: "Date", params: &[], provider: Provider::Git, doc: "The date (UTC) of `git.model.last_changed`; none when that is none." },
    FactDef { path: "git.modified", ty: "List<String>", params: &[], provider: Provider::Git, doc: "Modified or staged files under the paths the manifest names." },
    FactDef { path: "git.reference.last_changed", ty: "String", params: &[], provider: Provider::Git, doc: "The commit that last changed the reference set: any file of the reference folder, or the labels file; none when no commit holds them." },
    FactDef { path: "git.reference.last_changed_on", ty: "Date", params: &[], provider: Provider::Git, doc: "The date (UTC) of `git.reference.last_changed`; none when that is none." },
    FactDef { path: "git.since_release.commits", ty: "List<Commit>", params: &[], provider: Provider::Git, doc: "Commits since the last release tag (or all commits)." },
    FactDef { path: "git.staged", ty: "List<String>", params: &[], provider: Provider::Git, doc: "Files the staged change touches (index vs HEAD)." },
    FactDef { path: "git.stray_scans", ty: "List<String>", params: &[], provider: Provider::Git, doc: "DICOM files in the index (committed or staged) under the manifest's folder but outside its reference set: scans that escaped de-identification review. Outside a repository, such files on disk under the manifest's folder." },
    FactDef { path: "git.tag.signature.signer", ty: "String", params: &[], provider: Provider::Git, doc: "The principals of the allowed-signers line that verified the release tag's ssh signature; none otherwise." },
    FactDef { path: "git.tag.signature.verified", ty: "Bool", params: &[], provider: Provider::Git, doc: "Whether the release tag at HEAD (`v` + the version, else the highest tag there) carries a signature that verifies as `git.head.signature.verified` does (at the tagger's time); false for a lightweight or unsigned tag; none when HEAD has no tag or no keyring is configured." },
    FactDef { path: "git.untracked", ty: "List<String>", params: &[], provider: Provider::Git, doc: "Untracked files under the paths the manifest names." },
    FactDef { path: "model.artifact.path", ty: "String", params: &[], provider: Provider::Model, doc: "Path of the ONNX artifact, relative to the project root." },
    FactDef { path: "model.artifact.sha256", ty: "String", params: &[], provider: Provider::Model, doc: "The sha256 pinned in the manifest; none when not pinned." },
    FactDef { path: "model.class", ty: "Class", params: &[], provider: Provider::Model, doc: "The declared MDR device class (I, IIa, IIb, III)." },
    FactDef { path: "model.classification_rule", ty: "String", params: &[], provider: Provider::Model, doc: "The MDR Annex VIII rule the class follows from, e.g. `11`; none when not declared." },
    FactDef { path: "model.documents", ty: "List<DocumentRef>", params: &[], provider: Provider::Model, doc: "The documents the manifest names, with their kind and path." },
    FactDef { path: "model.input.height", ty: "Number", params: &[], provider: Provider::Model, doc: "Height in pixels the image is resized to; none when not resized." },
    FactDef { path: "model.input.interpolation", ty: "String", params: &[], provider: Provider::Model, doc: "Interpolation used to resize (bilinear, nearest, area)." },
    FactDef { path: "model.input.modalities", ty: "List<String>", params: &[], provider: Provider::Model, doc: "DICOM modalities the model accepts, e.g. CR, DX: the 2D input's, or every series input's (`input ... series where modality CT`), in order; empty when no input names one." },
    FactDef { path: "model.input.normalized", ty: "Bool", params: &[], provider: Provider::Model, doc: "Whether the manifest declares a normalisation step." },
    FactDef { path: "model.input.tensor", ty: "String", params: &[], provider: Provider::Model, doc: "Name of the input tensor the preprocessed image feeds." },
    FactDef { path: "model.input.width", ty: "Number", params: &[], provider: Provider::Model, doc: "Width in pixels the image is resized to; none when not resized." },
    FactDef { path: "model.findings", ty: "List<String>", params: &[], provider: Provider::Model, doc: "The findings the manifest's `findings` block declares, in its order; empty for the one-finding short form (`output`)." },
    FactDef { path: "model.unit", ty: "String", params: &[], provider: Provider::Model, doc: "The unit of analysis the metrics count: image (the default), study or patient." },
    FactDef { path: "model.compare.path", ty: "String", params: &[], provider: Provider::Model, doc: "The released version's ONNX file the manifest compares with; none without a `compare` statement." },
    FactDef { path: "model.compare.readers", ty: "String", params: &[], provider: Provider::Model, doc: "The readers' CSV (reader, unit, a score or call per finding) the manifest compares the model with; none without `compare with readers`." },
    FactDef { path: "model.compare.version", ty: "String", params: &[], provider: Provider::Model, doc: "The released version's version; none when the `compare` statement gives none, or without one." },
    FactDef { path: "model.claims.findings", ty: "List<FindingClaim>", params: &[], provider: Provider::Model, doc: "Every claim the manifest makes on a finding, by finding and metric; empty for the one-finding short form." },
    FactDef { path: "model.claims.structures", ty: "List<StructureClaim>", params: &[], provider: Provider::Model, doc: "Every claim the manifest makes on a structure (`claims { liver { dice 0.9 hd95 at most 6 mm } }`), in its order; empty when it makes none (or has no `segmentation` block)." },
    FactDef { path: "model.inputs.series", ty: "List<SeriesInput>", params: &[], provider: Provider::Model, doc: "The manifest's series inputs (`input \"ct\" series where ...`), in its order, with their selection; empty for a model of single images." },
    FactDef { path: "model.quantified", ty: "List<String>", params: &[], provider: Provider::Model, doc: "The structures whose volume is compared with the reference's (`quantify volume of liver, spleen`), in the manifest's order; empty without `quantify`." },
    FactDef { path: "model.structures", ty: "List<String>", params: &[], provider: Provider::Model, doc: "The structures of the manifest's `segmentation` block, in its order; empty without one." },
    FactDef { path: "model.claims.macro.sensitivity", ty: "Number", params: &[], provider: Provider::Model, doc: "The claimed macro-average sensitivity over the findings; none when not claimed." },
    FactDef { path: "model.claims.macro.specificity", ty: "Number", params: &[], provider: Provider::Model, doc: "The claimed macro-average specificity over the findings; none when not claimed." },
    FactDef { path: "model.claims.macro.auc", ty: "Number", params: &[], provider: Provider::Model, doc: "The claimed macro-average ROC AUC over the findings; none when not claimed." },
    FactDef { path: "model.claims.worst.sensitivity", ty: "Number", params: &[], provider: Provider::Model, doc: "The sensitivity every finding must reach; none when not claimed." },
    FactDef { path: "model.claims.worst.specificity", ty: "Number", params: &[], provider: Provider::Model, doc: "The specificity every finding must reach; none when not claimed." },
    FactDef { path: "model.claims.worst.auc", ty: "Number", params: &[], provider: Provider::Model, doc: "The ROC AUC every finding must reach; none when not claimed." },
    FactDef { path: "model.name", ty: "String", params: &[], provider: Provider::Model, doc: "The model's name as declared in the manifest." },
    FactDef { path: "model.output.positive", ty: "String", params: &[], provider: Provider::Model, doc: "What a positive result means, in words." },
    FactDef { path: "model.output.tensor", ty: "String", params: &[], provider: Provider::Model, doc: "Name of the output tensor holding the score." },
    FactDef { path: "model.output.threshold", ty: "Number", params: &[], provider: Provider::Model, doc: "Operating threshold: scores at or above it are positive." },
    FactDef { path: "model.policies", ty: "List<String>", params: &[], provider: Provider::Model, doc: "The policies in force (`use` in the manifest)." },
    FactDef { path: "model.purpose", ty: "String", params: &[], provider: Provider::Model, doc: "The intended purpose, as stated in the manifest." },
    FactDef { path: "model.reference.labels", ty: "String", params: &[], provider: Provider::Model, doc: "Labels file of the reference scans; none when not declared." },
    FactDef { path: "model.reference.path", ty: "String", params: &[], provider: Provider::Model, doc: "Folder of the reference scans; none when not declared." },
    FactDef { path: "model.prevalence", ty: "List<Number>", params: &[], provider: Provider::Model, doc: "The deployment prevalences the model's `prevalence 2%, 5%` declares, as fractions in the order written; empty when it declares none. A finding's own (at the end of its line) replace them for that finding (see the Finding record's `at_prevalence`)." },
    FactDef { path: "model.safety_class", ty: "String", params: &[], provider: Provider::Model, doc: "The IEC 62304 software safety class (A, B, C) the manifest declares with `safety class`; none when not declared." },
    FactDef { path: "model.robustness.perturbations", ty: "List<String>", params: &[], provider: Provider::Model, doc: "The perturbations of the manifest's `robustness` block, as written (`jpeg quality 75`, `noise 2%`, `rotate 5 degrees`); empty when none is declared." },
    FactDef { path: "model.robustness.max_drop", ty: "Number", params: &[], provider: Provider::Model, doc: "The largest drop of a metric under a perturbation the manifest claims (`drop at most 3%` in `robustness`; 0.05 when the block states none); none without a `robustness` block." },
    FactDef { path: "model.runtime.name", ty: "String", params: &[], provider: Provider::Model, doc: "The inference runtime the device ships with, as `runtime onnxruntime` declares it (onnxruntime or tract); none when not declared." },
    FactDef { path: "model.runtime.version", ty: "String", params: &[], provider: Provider::Model, doc: "The version of the runtime the device ships with, as `runtime onnxruntime \"1.31.1\"` declares it; none when no version is declared." },
    FactDef { path: "model.significance", ty: "String", params: &[], provider: Provider::Model, doc: "Rule 11 (MDCG 2019-11): significance of the information to the healthcare decision (treat-or-diagnose, drive-management, inform-management, monitor, monitor-vital, other); none when not declared." },
    FactDef { path: "model.situation", ty: "String", params: &[], provider: Provider::Model, doc: "Rule 11 (MDCG 2019-11): state of the healthcare situation or patient condition (critical, serious, non-serious); none when not declared." },
    FactDef { path: "model.training.patients", ty: "String", params: &[], provider: Provider::Model, doc: "File listing the training patients (for leakage checks); none when not declared." },
    FactDef { path: "model.version", ty: "Version", params: &[], provider: Provider::Model, doc: "The model version declared in the manifest." },
    FactDef { path: "scans.count", ty: "Number", params: &[], provider: Provider::Scans, doc: "Number of DICOM files in the reference set." },
    FactDef { path: "scans.deid.burned_in_annotation", ty: "List<String>", params: &[], provider: Provider::Scans, doc: "Files whose BurnedInAnnotation is not NO." },
    FactDef { path: "scans.deid.files_with_identifiers", ty: "Number", params: &[], provider: Provider::Scans, doc: "Number of files holding at least one identifying attribute." },
    FactDef { path: "scans.deid.findings", ty: "List<DeidFinding>", params: &[], provider: Provider::Scans, doc: "Identifying attributes present, per file and tag (PS3.15 Annex E basic profile); never their values." },
    FactDef { path: "scans.deid.identity_removed", ty: "Bool", params: &[], provider: Provider::Scans, doc: "Whether every file has PatientIdentityRemoved = YES." },
    FactDef { path: "scans.deid.method_declared", ty: "Bool", params: &[], provider: Provider::Scans, doc: "Whether every file declares a DeidentificationMethod or its code sequence." },
    FactDef { path: "scans.deid.private_tags", ty: "Number", params: &[], provider: Provider::Scans, doc: "Number of files holding private (odd-group) attributes." },
    FactDef { path: "scans.labels_without_file", ty: "List<String>", params: &[], provider: Provider::Scans, doc: "Labels that name no file of the reference set." },
    FactDef { path: "scans.leakage.patients", ty: "Number", params: &[], provider: Provider::Scans, doc: "Patients found both in the training list and in the reference set (hashed ids)." },
    FactDef { path: "scans.leakage.studies", ty: "Number", params: &[], provider: Provider::Scans, doc: "Studies found both in the training list and in the reference set (hashed ids)." },
    FactDef { path: "scans.manufacturers", ty: "List<String>", params: &[], provider: Provider::Scans, doc: "Distinct manufacturers in the reference set." },
    FactDef { path: "scans.modalities", ty: "List<String>", params: &[], provider: Provider::Scans, doc: "Distinct modalities in the reference set." },
    FactDef { path: "scans.patients", ty: "Number", params: &[], provider: Provider::Scans, doc: "Number of distinct patients (by hashed PatientID) in the reference set." },
    FactDef { path: "scans.sizes", ty: "List<String>", params: &[], provider: Provider::Scans, doc: "Distinct image sizes as ROWSxCOLUMNS." },
    FactDef { path: "scans.studies", ty: "Number", params: &[], provider: Provider::Scans, doc: "Number of distinct studies in the reference set." },
    FactDef { path: "scans.transfer_syntaxes", ty: "List<String>", params: &[], provider: Provider::Scans, doc: "Distinct transfer syntax UIDs in the reference set." },
    FactDef { path: "scans.unlabelled", ty: "List<String>", params: &[], provider: Provider::Scans, doc: "Files with no label in the labels file." },
    FactDef { path: "scans.unreadable", ty: "List<String>", params: &[], provider: Provider::Scans, doc: "Files that could not be read or decoded." },
];

/// Every record type.
pub const RECORDS: &[RecordDef] = &[
    RecordDef {
        name: "Perturbed",
        doc: "The benchmark re-scored under one perturbation of the manifest's `robustness` block, against the unperturbed run.",
        fields: &[
            ("perturbation", "String", "As the manifest writes it: `jpeg quality 75`, `noise 2%`, `rotate 5 degrees`."),
            ("units", "Number", "Units scored under it."),
            ("unreadable", "Number", "Scans that could not be scored under it."),
            ("auc", "Number", "AUC under it; none when it cannot be computed."),
            ("sensitivity", "Number", "Sensitivity at the operating point under it."),
            ("specificity", "Number", "Specificity at the operating point under it."),
            ("delta_auc", "Number", "AUC under it minus the unperturbed AUC (negative: a drop)."),
            ("delta_sensitivity", "Number", "Sensitivity under it minus the unperturbed sensitivity."),
            ("delta_specificity", "Number", "Specificity under it minus the unperturbed specificity."),
        ],
    },
    RecordDef {
        name: "Proportion",
        doc: "An estimate in 0..1 with its number of cases and its 95% interval.",
        fields: &[
            ("value", "Number", "The point estimate."),
            (
                "n",
                "Number",
                "Number of cases it is computed on (its denominator).",
            ),
            (
                "successes",
                "Number",
                "Its numerator, where it is a count ratio; none for the AUC, the F1 score and the balanced accuracy.",
            ),
            ("ci95", "Interval", "The 95% confidence interval."),
        ],
    },
    RecordDef {
        name: "Interval",
        doc: "A confidence interval.",
        fields: &[
            ("low", "Number", "Lower bound."),
            ("high", "Number", "Upper bound."),
            (
                "method",
                "String",
                "How it was computed, e.g. wilson, delong.",
            ),
        ],
    },
    RecordDef {
        name: "AtPrevalence",
        doc: "PPV and NPV at a deployment prevalence the manifest declares.",
        fields: &[
            ("prevalence", "Number", "The declared prevalence, a fraction in (0, 1)."),
            ("ppv", "Proportion", "Positive predictive value at that prevalence, from the sensitivity and specificity by Bayes' theorem, with its logit 95% interval (Mercaldo et al. 2007; the adjusted logit when a cell of the 2x2 table is 0); `n` is every case."),
            ("npv", "Proportion", "Negative predictive value at that prevalence, likewise."),
        ],
    },
    RecordDef {
        name: "Subgroup",
        doc: "The benchmark metrics of one subgroup.",
        fields: &SUBGROUP_FIELDS,
    },
    RecordDef {
        name: "SubgroupComparison",
        doc: "A subgroup against the rest of the units, one metric at a time. A group is assessable for a metric with at least 30 units and, for the sensitivity, 10 positives, for the specificity 10 negatives (runner/src/metrics/subgroup.rs); the standard parity controls judge assessable groups only, and the subgroup-evidence controls fail on the others.",
        fields: &[
            ("sensitivity", "RestDifference", "Sensitivity of the group − sensitivity of the rest."),
            ("specificity", "RestDifference", "Specificity of the group − specificity of the rest."),
            ("accuracy", "RestDifference", "Accuracy of the group − accuracy of the rest."),
        ],
    },
    RecordDef {
        name: "RestDifference",
        doc: "One metric of a subgroup minus the same metric over the rest of the units (independent samples), with its 95% interval and the one-sided test of non-inferiority by 5 points.",
        fields: &[
            ("value", "Number", "Group − rest; none when either side has no case for the metric."),
            ("ci95", "Interval", "Its 95% interval: newcombe (Newcombe's hybrid score interval from the two Wilson intervals, method 10 of Newcombe 1998) where units are independent; cluster-bootstrap+newcombe (bound by bound the wider of the patient-clustered percentile bootstrap, seeded, and Newcombe's) where some patient has several units; none when the difference is undefined."),
            ("rest", "Number", "The metric over the rest of the units; none when they have no case for it."),
            ("rest_n", "Number", "The rest's denominator for the metric (positives for the sensitivity, negatives for the specificity, units for the accuracy)."),
            ("assessable", "Bool", "Whether the group is large enough to be judged on this metric: at least 30 units, and 10 positives for the sensitivity or 10 negatives for the specificity, with the difference defined. A group that is not is reported, never counted as passing."),
            ("p_noninferior", "Number", "One-sided p value of the group lagging the rest by 5 points or more (H0: difference <= -5 points), from the interval's own method (inverting it: p <= 0.025 exactly when the lower bound is >= -5 points; clustered, the larger of Newcombe's and the bootstrap's share of resamples at or below -5 points); none when undefined."),
            ("p_holm", "Number", "p_noninferior adjusted by Holm's step-down over the family: every assessable comparison (sensitivity, specificity and accuracy of every group) of the attribute's groups in one scope (the benchmark, or one finding); none for a comparison that is not assessable."),
            ("family", "Number", "How many comparisons the Holm adjustment is over."),
            ("margin", "Number", "The non-inferiority margin the p values test: 0.05."),
        ],
    },
    RecordDef {
        name: "Finding",
        doc: "One finding's metrics at the unit level.",
        fields: &FINDING_FIELDS,
    },
    RecordDef {
        name: "StructureClaim",
        doc: "A claim the manifest makes on one structure.",
        fields: &[
            ("structure", "String", "The structure."),
            ("metric", "String", "The metric claimed: dice, iou, nsd, hd95, assd, rvd, volume_bias, volume_loa, volume_icc or volume_rmse."),
            ("bound", "Number", "The bound: a fraction for a percentage or a fraction, mm for hd95 and assd, mL for volume_bias, volume_loa and volume_rmse. dice, iou, nsd and volume_icc are floors; the others ceilings (`at most`)."),
            ("tolerance_mm", "Number", "nsd's tolerance in mm (`nsd 0.9 at 2 mm`); none for the other metrics."),
        ],
    },
    RecordDef {
        name: "SeriesInput",
        doc: "A series input of the manifest: which series of a study the model reads.",
        fields: &[
            ("name", "String", "The input's name (the model's input tensor)."),
            ("modalities", "List<String>", "The modalities accepted (`modality CT`); empty: any."),
            ("description", "String", "The regex SeriesDescription must match; none when the input states none."),
            ("slices_min", "Number", "The fewest slices (`slices 16 to 600`); none when not stated."),
            ("slices_max", "Number", "The most slices; none when not stated."),
        ],
    },
    RecordDef {
        name: "Structure",
        doc: "One structure of the segmentation benchmark. Per case: both reference and prediction empty is a true negative (counted in empty_both, left out of the overlap and boundary summaries); reference empty and prediction not, or the reverse, gives dice = iou = nsd = 0 and leaves hd95 and assd undefined (counted in empty_reference / empty_prediction). Never NaN: a summary no case defines is none.",
        fields: &[
            ("name", "String", "The structure."),
            ("cases", "Number", "Reference cases scored for it."),
            ("empty_both", "Number", "Cases where neither the reference nor the prediction has the structure."),
            ("empty_reference", "Number", "Cases where the reference has none of it and the prediction some."),
            ("empty_prediction", "Number", "Cases where the prediction has none of it and the reference some."),
            ("dice", "Summary", "Dice coefficient over the cases; none when no case defines it."),
            ("iou", "Summary", "Intersection over union over the cases; none when no case defines it."),
            ("nsd", "Summary", "Normalised surface distance at nsd_tolerance_mm; none when no case defines it."),
            ("hd95", "Summary", "95th percentile Hausdorff distance in mm; none when no case defines it."),
            ("assd", "Summary", "Average symmetric surface distance in mm; none when no case defines it."),
            ("rvd", "Summary", "Absolute relative volume difference |Vp - Vr| / Vr (a fraction); none when no case defines it."),
            ("nsd_tolerance_mm", "Number", "The tolerance nsd is computed at: the claim's (`nsd 0.9 at 2 mm`), else the runner's default."),
            ("volume", "Agreement", "The agreement of the predicted and reference volumes; none unless the structure is quantified (`quantify volume of`)."),
            ("claims", "List<ClaimResult>", "Each claim on the structure, in the manifest's order, with its verdict; empty when none is made."),
            ("subgroups", "List<SegmentationSubgroup>", "The structure's Dice per value of PatientSex, AgeBand and Manufacturer (in that order, values sorted; a case not recording one is in the group `unknown`), each against the rest of the cases; none when a case's Dice is not a finite number."),
        ],
    },
    RecordDef {
        name: "SegmentationSubgroup",
        doc: "One group of a structure's cases by a DICOM attribute of their series' first slice (runner/src/task/segmentation/subgroups.rs). A group is assessable when it and the rest each have at least 10 cases with a Dice from at least 5 patients (fewer than the binary task's 30 units: a Dice is a continuous per-case value, not one bit a unit); the parity controls judge assessable groups only, and the subgroup-evidence control fails on the others.",
        fields: &[
            ("attribute", "String", "PatientSex, AgeBand or Manufacturer."),
            ("value", "String", "The attribute's value; `unknown` for cases that do not record it."),
            ("n", "Number", "Cases of the group (with or without a Dice: a case with both masks empty has none)."),
            ("patients", "Number", "Patients among them."),
            ("dice", "Summary", "Mean Dice over the group's cases that define it, with its patient-clustered interval; none when none does."),
            ("vs_rest", "DiceDifference", "The group's mean Dice against the rest's."),
        ],
    },
    RecordDef {
        name: "DiceDifference",
        doc: "A group's mean Dice minus the rest's, with the one-sided test of non-inferiority by 0.05.",
        fields: &[
            ("difference", "Number", "Mean Dice of the group − mean Dice of the rest of the structure's cases; none when either side has no case with a Dice."),
            ("ci95", "Interval", "Its patient-clustered percentile bootstrap 95% interval (cluster-bootstrap-percentile: 2000 resamples, fixed seed, the patients drawn once per resample for both sides, since a patient may have series on both); none when the difference is."),
            ("p_noninferior", "Number", "One-sided p value of the group lagging the rest by 0.05 or more (H0: difference <= -0.05): the bootstrap's share of resamples with a difference at or below -0.05; none when the difference is."),
            ("p_holm", "Number", "p_noninferior adjusted by Holm's step-down over the assessable groups of the attribute for this structure; none for a group not assessable."),
            ("assessable", "Bool", "Whether the group and the rest each have at least 10 cases with a Dice from at least 5 patients. A group that is not is reported, never counted as passing."),
            ("margin", "Number", "The non-inferiority margin the p values test: 0.05 Dice."),
        ],
    },
    RecordDef {
        name: "Summary",
        doc: "A per-case metric summarised over the cases that define it.",
        fields: &[
            ("mean", "Number", "The mean."),
            ("median", "Number", "The median."),
            ("q1", "Number", "The first quartile."),
            ("q3", "Number", "The third quartile."),
            ("min", "Number", "The smallest value."),
            ("max", "Number", "The largest value."),
            ("n", "Number", "Cases it is over."),
            ("ci95", "Interval", "95% interval of the mean: patient-clustered percentile bootstrap (2000 resamples, fixed seed); none with fewer than two cases."),
        ],
    },
    RecordDef {
        name: "Agreement",
        doc: "Agreement of a measured quantity (a structure's volume, mL) with the reference's: Bland-Altman, ICC(A,1) and RMSE.",
        fields: &[
            ("n", "Number", "Cases with both volumes."),
            ("bias", "Number", "Mean difference (prediction - reference), mL."),
            ("bias_ci95", "Interval", "Its 95% interval."),
            ("loa_low", "Number", "Lower 95% limit of agreement (bias - 1.96 SD), mL."),
            ("loa_high", "Number", "Upper 95% limit of agreement (bias + 1.96 SD), mL."),
            ("loa_low_ci95", "Interval", "95% interval of the lower limit."),
            ("loa_high_ci95", "Interval", "95% interval of the upper limit."),
            ("icc", "Number", "ICC(A,1): two-way random effects, absolute agreement, single measure (McGraw & Wong 1996); none with fewer than two cases."),
            ("icc_ci95", "Interval", "Its 95% interval; none when the ICC is."),
            ("rmse", "Number", "Root mean square error, mL."),
            ("rmse_ci95", "Interval", "Its 95% interval."),
            ("reference_mean_ml", "Number", "Mean reference volume, mL."),
        ],
    },
    RecordDef {
        name: "ClaimResult",
        doc: "A claim on a structure against the benchmark.",
        fields: &[
            ("metric", "String", "The metric claimed."),
            ("bound", "Number", "The bound claimed (fraction, mm or mL)."),
            ("estimate", "Number", "The benchmark's estimate (the mean of a per-case metric, or the agreement statistic); none when no case defines it."),
            ("ci95", "Interval", "The estimate's 95% interval; none when it has none."),
            ("met", "Bool", "Whether the claim is met: a floor (dice, iou, nsd, volume_icc) when the interval's low end clears it, a ceiling (hd95, assd, rvd, volume_loa, volume_rmse) when its high end stays within it, volume_bias when its interval lies within ± the bound; false when the estimate is none."),
        ],
    },
    RecordDef {
        name: "FindingClaim",
        doc: "A claim the manifest makes on one finding.",
        fields: &[
            ("finding", "String", "The finding."),
            ("metric", "String", "The metric claimed."),
            ("bound", "Number", "The bound (a fraction for a percentage)."),
        ],
    },
    RecordDef {
        name: "FindingComparison",
        doc: "One finding of the candidate against the released version, on the units both scored and labelled.",
        fields: &[
            ("name", "String", "The finding."),
            ("n", "Number", "Units labelled for it and scored by both versions."),
            ("released_auc", "Number", "The released version's ROC AUC; none when a class is absent."),
            ("released_sensitivity", "Number", "The released version's sensitivity; none without positives."),
            ("released_specificity", "Number", "The released version's specificity; none without negatives."),
            ("delta_auc", "Delta", "Candidate − released ROC AUC, with DeLong's paired test; none when a class is absent."),
            ("delta_sensitivity", "Delta", "Candidate − released sensitivity, with McNemar's exact test; none without positives."),
            ("delta_specificity", "Delta", "Candidate − released specificity, with McNemar's exact test; none without negatives."),
            ("positive_rate", "Number", "Share of the scored units the candidate calls positive."),
            ("released_positive_rate", "Number", "Share of the scored units the released version calls positive at its threshold."),
            ("threshold", "Number", "The candidate's operating threshold."),
            ("released_threshold", "Number", "The released version's threshold: the `compare` statement's, else the candidate's."),
            ("score_shift", "Number", "The Kolmogorov-Smirnov distance between the two versions' unit scores (0: the same distribution, 1: disjoint)."),
            ("noninferior", "Bool", "Whether every non-inferiority margin holds for this finding (true when none is declared)."),
        ],
    },
    RecordDef {
        name: "ReaderComparison",
        doc: "The model against one reader (or the readers pooled) on one finding, on the units the reader read that are labelled for it.",
        fields: &[
            ("finding", "String", "The finding."),
            ("reader", "String", "The reader, as the CSV names them; `pooled` for the readers' average."),
            ("pooled", "Bool", "Whether this is the readers pooled: each difference the mean of the readers' (the model on each reader's units), from one set of resampled patients."),
            ("readers", "Number", "Readers behind the entry (1 for one reader)."),
            ("kind", "String", "What the readers gave for the finding: `scores` (0..1, compared by ROC AUC) or `calls` (positive or negative, compared by sensitivity and specificity)."),
            ("n", "Number", "Units paired: read by the reader, scored by the model and labelled (for the pool, the sum over readers)."),
            ("reader_auc", "Number", "The reader's ROC AUC (the readers' mean, pooled); none for calls or when a class is absent."),
            ("reader_sensitivity", "Number", "The reader's sensitivity (the readers' mean, pooled); none for scores or without positives."),
            ("reader_specificity", "Number", "The reader's specificity (the readers' mean, pooled); none for scores or without negatives."),
            ("model_auc", "Number", "The model's ROC AUC on the same units; none for calls or when a class is absent."),
            ("model_sensitivity", "Number", "The model's sensitivity at its operating point on the same units; none for scores or without positives."),
            ("model_specificity", "Number", "The model's specificity on the same units; none for scores or without negatives."),
            ("delta_auc", "Delta", "Model − reader ROC AUC: DeLong's paired test and interval for one reader (a patient-clustered bootstrap interval when patients have several units), a paired patient-clustered bootstrap for the pool; none for calls."),
            ("delta_sensitivity", "Delta", "Model − reader sensitivity: McNemar's exact test (and mid-p) with a paired patient-clustered bootstrap interval; none for scores or without positives."),
            ("delta_specificity", "Delta", "Model − reader specificity: McNemar's exact test (and mid-p) with a paired patient-clustered bootstrap interval; none for scores or without negatives."),
            ("noninferior", "Bool", "For the pool: whether every margin to the readers that applies to the finding holds (true when none applies); for one reader: the same margins read on that reader's difference."),
        ],
    },
    RecordDef {
        name: "Delta",
        doc: "A difference between two versions, or the model and a reader, with its 95% interval and test.",
        fields: &[
            ("value", "Number", "Candidate − comparator (the released version, or the reader)."),
            ("ci95", "Interval", "The 95% interval of the difference."),
            ("p_value", "Number", "Two-sided p value of no difference; none when the test is undefined."),
            ("mid_p_value", "Number", "McNemar's two-sided mid-p value (the exact p less the probability of the observed discordant split); none for another test."),
            ("test", "String", "The test behind the p value: delong-paired, mcnemar-exact, or none (the readers pooled: the bootstrap interval only)."),
        ],
    },
    RecordDef {
        name: "Tensor",
        doc: "A graph input or output.",
        fields: &[
            ("name", "String", "Tensor name."),
            ("elem_type", "String", "Element type, e.g. float32."),
            (
                "shape",
                "List<String>",
                "Dimensions; symbolic ones by name.",
            ),
            ("rank", "Number", "Number of dimensions."),
        ],
    },
    RecordDef {
        name: "Opset",
        doc: "An opset import.",
        fields: &[
            (
                "domain",
                "String",
                "Operator domain; empty for the default ONNX domain.",
            ),
            ("version", "Number", "Opset version."),
        ],
    },
    RecordDef {
        name: "MetadataEntry",
        doc: "A metadata_props entry.",
        fields: &[("key", "String", "Key."), ("value", "String", "Value.")],
    },
    RecordDef {
        name: "DeidFinding",
        doc: "An identifying attribute found in a scan; its value is never recorded.",
        fields: &[
            ("file", "String", "File, relative to the reference folder."),
            ("tag", "String", "Tag as (gggg,eeee)."),
            ("keyword", "String", "Attribute keyword."),
            (
                "action",
                "String",
                "What PS3.15 Annex E basic profile requires: Z, X, D, U.",
            ),
        ],
    },
    RecordDef {
        name: "Commit",
        doc: "A commit.",
        fields: &[
            ("id", "String", "Commit id."),
            ("summary", "String", "First line of the message."),
            ("message", "String", "Full message."),
            ("author", "String", "Author name and email."),
            ("signed", "Bool", "Whether it carries a signature."),
            ("change_request", "String", "The change-request id its message cites (the pattern: CR-, CHG-, JIRA-, ISSUE- and a number); none when none."),
        ],
    },
    RecordDef {
        name: "SoupItem",
        doc: "A row of the SOUP list's items table.",
        fields: &[
            ("name", "String", "The SOUP item, as the list names it."),
            ("supplier", "String", "Its supplier (manufacturer); none without that column."),
            ("version", "String", "Its version, as the list writes it."),
            ("used_for", "String", "What the device uses it for; none without that column."),
        ],
    },
    RecordDef {
        name: "Hazard",
        doc: "A hazard of the risk file, its risk controls and what verifies them.",
        fields: &[
            ("id", "String", "The hazard's id in the hazards table, e.g. H1."),
            ("hazard", "String", "The hazard, in words."),
            ("controls", "List<String>", "The risk controls the risk control table gives it, in its order."),
            ("verified_by", "List<String>", "The clic control ids its verification cells cite in backticks (`mdr.performance.sensitivity-claim`; `policy.*` cites every control of a policy)."),
            ("reviews", "List<String>", "The verifications in words that are no clic control (`IFU review`): recorded, not checked."),
            ("passed_by", "List<String>", "The controls of the plan matching `verified_by` that passed in this run; none outside a run."),
            ("unresolved", "List<String>", "Entries of `verified_by` that name no control of the plan; none outside a run."),
            ("verified", "Bool", "Whether some risk control of the hazard is verified by a clic control that passed in this run; none outside a run."),
        ],
    },
    RecordDef {
        name: "DocumentRef",
        doc: "A document named by the manifest.",
        fields: &[
            ("kind", "String", "Document kind, e.g. dpia."),
            ("path", "String", "Path relative to the project root."),
        ],
    },
    RecordDef {
        name: "Document",
        doc: "A human-written document and its approval.",
        fields: &[
            ("kind", "String", "Document kind."),
            (
                "path",
                "String",
                "Path as the manifest writes it (relative to the manifest's folder); none when the manifest does not name it.",
            ),
            ("declared", "Bool", "Whether the manifest names it."),
            ("exists", "Bool", "Whether the file exists."),
            (
                "approved",
                "Bool",
                "Whether its front matter carries approved_by, date and version.",
            ),
            ("approved_by", "String", "Approver from the front matter."),
            ("date", "Date", "Approval date from the front matter."),
            (
                "version",
                "String",
                "Document version from the front matter.",
            ),
            (
                "missing_headings",
                "List<String>",
                "Headings its template requires that it lacks.",
            ),
            (
                "empty_sections",
                "List<String>",
                "Required headings whose section is empty, a TODO, or still the template's guidance word for word.",
            ),
            (
                "unanswered",
                "List<String>",
                "Questionnaire items left unanswered.",
            ),
        ],
    },
];
