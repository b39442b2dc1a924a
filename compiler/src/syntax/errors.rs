//! Turning pest errors into diagnostics a person can act on: no rule names, the
//! expected tokens in words, the offending token underlined.

use super::Rule;
use crate::diagnostics::{Code, Diagnostic};
use crate::source::{FileId, Loc};

/// A syntax diagnostic for a pest error raised while parsing `text[offset..]`.
pub(crate) fn syntax_error(
    file: FileId,
    text: &str,
    offset: usize,
    err: &pest::error::Error<Rule>,
) -> Diagnostic {
    let rel = match err.location {
        pest::error::InputLocation::Pos(p) => p,
        pest::error::InputLocation::Span((s, _)) => s,
    };
    let at = (offset + rel).min(text.len());
    if let pest::error::ErrorVariant::CustomError { .. } = &err.variant {
        // The grammar raises no custom error: pest gave up on its stack or call limit,
        // which only nesting deep enough to pass the depth scan on a small stack reaches.
        let end = text[at..].chars().next().map_or(at, |c| at + c.len_utf8());
        return super::depth::too_deep_to_parse(Loc::new(file, at, end));
    }
    let mut expected: Vec<&'static str> = match &err.variant {
        pest::error::ErrorVariant::ParsingError { positives, .. } => {
            positives.iter().filter_map(|r| describe(*r)).collect()
        }
        pest::error::ErrorVariant::CustomError { .. } => Vec::new(),
    };
    expected.sort_unstable();
    expected.dedup();
    let (found, len) = token_at(text, at);
    if text[at..].trim().is_empty() {
        // The input ran out: some block or expression was never finished.
        let last = text.trim_end().len();
        let start = text[..last]
            .char_indices()
            .next_back()
            .map_or(0, |(i, _)| i);
        return Diagnostic::new(Code::E001, "unexpected end of file", Loc::new(file, start, last), "the file ends here")
            .with_help("a `{` block is not closed, or a statement is unfinished; add the missing `}` or complete it");
    }
    let message = if expected.is_empty() {
        format!("unexpected {found}")
    } else {
        format!("expected {}", join_or(&expected))
    };
    Diagnostic::new(
        Code::E001,
        message,
        Loc::new(file, at, at + len),
        format!("unexpected {found}"),
    )
}

/// The token at `at` in words, and its byte length (at least 1 unless at the end).
fn token_at(text: &str, at: usize) -> (String, usize) {
    let rest = text.get(at..).unwrap_or("");
    let Some(first) = rest.chars().next() else {
        return ("end of file".to_string(), 0);
    };
    if first == '\n' || first == '\r' {
        return ("end of line".to_string(), 1);
    }
    let word: String = if first.is_alphanumeric() || first == '_' {
        rest.chars()
            .take_while(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
            .collect()
    } else if first == '"' {
        let close = rest[1..].find(['"', '\n']).map_or(rest.len(), |i| i + 2);
        rest[..close.min(rest.len())].to_string()
    } else {
        first.to_string()
    };
    (format!("`{word}`"), word.len().max(1))
}

fn join_or(items: &[&str]) -> String {
    match items {
        [] => String::new(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} or {last}", init.join(", ")),
    }
}

/// A rule in words, or `None` for rules a user never needs to hear about.
fn describe(rule: Rule) -> Option<&'static str> {
    use Rule as R;
    Some(match rule {
        R::EOI => "end of file",
        R::string | R::string_body => "a string",
        R::number | R::signed_number => "a number",
        R::percent => "a percentage",
        R::date => "a date (YYYY-MM-DD)",
        R::version => "a version (1.2.3)",
        R::boolean => "`true` or `false`",
        R::class => "a device class (I, IIa, IIb, III)",
        R::modality => "a DICOM modality such as `CR`",
        R::ident | R::field => "a name",
        R::name => "a name",
        R::dotted_name => "a dotted name",
        R::rule_ref => "a rule number",
        R::expr
        | R::disjunction
        | R::conjunction
        | R::negation
        | R::comparison
        | R::additive
        | R::proportion
        | R::multiplicative
        | R::unary
        | R::literal
        | R::quantifier
        | R::count
        | R::exists
        | R::list
        | R::record
        | R::paren
        | R::path
        | R::none
        | R::neg => "an expression",
        R::cmp_op => "a comparison operator",
        R::add_op | R::mul_op => "an operator",
        R::kw_and => "`and`",
        R::kw_or => "`or`",
        R::kw_in | R::not_in => "`in`",
        R::kw_of => "`of`",
        R::kw_matches => "`matches`",
        R::segment | R::call_args => "`.` or `(`",
        R::use_decl | R::kw_use => "`use`",
        R::model | R::kw_model => "`model`",
        R::policy | R::kw_policy => "`policy`",
        R::waiver | R::kw_waiver => "`waiver`",
        R::test | R::kw_test => "`test`",
        R::control | R::kw_control => "`control`",
        R::use_target => "a policy name or a quoted file path",
        R::version_stmt => "`version`",
        R::purpose_stmt => "`purpose`",
        R::class_stmt => "`class`",
        R::artifact_stmt => "`artifact`",
        R::input_stmt => "`input`",
        R::output_stmt => "`output`",
        R::output_index => "`index`",
        R::reference_stmt => "`reference`",
        R::training_stmt => "`training`",
        R::claims_stmt => "`claims`",
        R::documents_stmt => "`documents`",
        R::significance_stmt => "`significance`",
        R::significance_level => "a significance (treat-or-diagnose, drive-management, inform-management, monitor, monitor-vital, other)",
        R::situation_level => "a situation (critical, serious, non-serious)",
        R::safety_stmt => "`safety class`",
        R::safety_class => "a software safety class (A, B, C)",
        R::runtime_stmt => "`runtime`",
        R::runtime_name => "an inference runtime (onnxruntime, tract)",
        R::prevalence_stmt => "`prevalence`",
        R::runtime_tolerance => "`tolerance`",
        R::robustness_stmt => "`robustness`",
        R::perturbation => "a perturbation (jpeg quality Q, jpeg2000 ratio R, noise P%, rotate D degrees)",
        R::perturb_j2k => "`jpeg2000 ratio`",
        R::perturb_jpeg => "`jpeg quality`",
        R::perturb_noise => "`noise`",
        R::perturb_rotate => "`rotate`",
        R::max_drop => "`drop at most`",
        R::modalities => "`modalities`",
        R::rescale => "`rescale`",
        R::window => "`window`",
        R::invert => "`invert`",
        R::resize => "`resize`",
        R::normalize => "`normalize`",
        R::rescale_dicom | R::window_dicom => "`from dicom`",
        R::rescale_fixed => "`slope`",
        R::window_fixed => "`center`",
        R::window_minmax => "`minmax`",
        R::interpolation => "an interpolation (bilinear, nearest, area)",
        R::threshold_op => "`>=` or `>`",
        R::claim => "a claim such as `sensitivity 90%`",
        R::findings_stmt => "`findings`",
        R::finding => "a finding such as `effusion index 1 sigmoid positive when >= 0.5 means \"...\"`",
        R::finding_from => "`from`",
        R::activation | R::act_name | R::act_softmax => "an activation (probability, sigmoid, softmax over ...)",
        R::unit_stmt => "`unit`",
        R::unit_level => "a unit (image, study, patient)",
        R::aggregate | R::aggregate_rule => "an aggregation (max, mean, or view ATTRIBUTE \"value\" else max)",
        R::view_pick => "`view`",
        R::attribute => "a DICOM attribute keyword such as ViewPosition",
        R::compare_stmt => "`compare with`",
        R::compare_sha => "`sha256`",
        R::compare_version => "`version`",
        R::compare_predictions => "`predictions`",
        R::compare_thresholds => "`thresholds`",
        R::released_threshold => "a finding's threshold such as `effusion 0.4`",
        R::summary_claim | R::summary_kind => "a claim over findings such as `macro auc 0.9`",
        R::finding_claims => "a finding's or structure's claims such as `effusion { sensitivity 85% }`",
        R::scoped_claim => "a claim such as `sensitivity 85%` or `hd95 at most 6 mm`",
        R::at_most => "`at most`",
        R::claim_unit => "a unit (mm, ml)",
        R::claim_tolerance => "a tolerance such as `at 2 mm`",
        R::series_input_stmt => "`input ... series`",
        R::series_where => "`where`",
        R::cond_modality => "`modality`",
        R::cond_description => "`description matches`",
        R::cond_image_type => "`image type`",
        R::cond_slices => "`slices`",
        R::cs_value => "a DICOM code string such as ORIGINAL",
        R::vol_window => "`window center C width W`",
        R::resample => "`resample X x Y x Z mm linear`",
        R::resample_interp => "an interpolation (linear, nearest)",
        R::orient => "`orient`",
        R::orient_code => "an orientation code such as LPS",
        R::crop_or_pad => "`crop or pad X x Y x Z fill V`",
        R::normalize_zscore => "`normalize zscore`",
        R::segmentation_stmt => "`segmentation`",
        R::seg_rule | R::seg_argmax | R::seg_labelmap | R::seg_sigmoid => "a rule (argmax, sigmoid threshold T, labelmap)",
        R::seg_structure => "a structure such as `liver channel 1`",
        R::seg_index_kind => "`channel` or `label`",
        R::quantify_stmt => "`quantify volume of`",
        R::noninferior => "`non-inferior to released { ... }` or `non-inferior to readers { ... }`",
        R::noninferior_to => "`released` or `readers`",
        R::readers_stmt => "`compare with readers`",
        R::kw_readers => "`readers`",
        R::margin => "a margin such as `sensitivity by 5%`",
        R::document => "a document such as `dpia \"docs/dpia.md\"`",
        R::cites => "`cites`",
        R::citation => "a citation such as `mdr \"Annex I 17.1\"`",
        R::severity => "`severity`",
        R::severity_level => "a severity (blocker, major, minor, info)",
        R::stage => "`stage`",
        R::stage_name => "a stage (pre-commit, ci, release)",
        R::applies => "`applies when`",
        R::expect | R::outcome_stmt => "`expect`",
        R::help => "`help`",
        R::reason => "`reason`",
        R::approved_by => "`approved_by`",
        R::expires => "`expires`",
        R::risk => "`risk`",
        R::given => "`given`",
        R::assignment => "an assignment `fact = value`",
        R::outcome => "`passes`, `fails` or `skipped`",
        R::field_init => "a field `name: value`",
        R::quantifier_kind => "`all`, `any` or `none`",
        R::count_filter => "a name",
        _ => return None,
    })
}
