use super::*;
use clic_compiler::plan::Activation;

fn findings() -> Vec<String> {
    vec!["effusion".to_string(), "nodule".to_string()]
}

fn err(text: &str) -> String {
    match parse(text, &findings()) {
        Ok(t) => panic!("parsed: {t:?}"),
        Err(e) => e,
    }
}

#[test]
fn calls_scores_and_empty_cells_parse() {
    let t = parse(
        "\u{feff}# a comment\nreader,file,nodule,effusion\r\nR1,a.dcm,0.25,positive\nR2,a.dcm,,NEGATIVE\n\nR1,b.dcm,1,\n",
        &findings(),
    )
    .expect("parses");
    assert_eq!(t.key, KeyKind::File);
    assert_eq!(t.readers, vec!["R1", "R2"]);
    assert_eq!(t.kinds, vec![Some(ReadKind::Calls), Some(ReadKind::Scores)]);
    assert_eq!(t.rows.len(), 3);
    assert_eq!(t.rows[0].line, 3);
    assert_eq!(t.rows[0].values, vec![Some(1.0), Some(0.25)]);
    assert_eq!(t.rows[1].values, vec![Some(0.0), None]);
    assert_eq!(t.rows[2].values, vec![None, Some(1.0)]);
    assert_eq!(t.rows[2].shown, "`b.dcm`");
    // A finding without a column is not read.
    let t = parse("reader,file,effusion\nR1,a.dcm,positive\n", &findings()).expect("parses");
    assert_eq!(t.kinds, vec![Some(ReadKind::Calls), None]);
}

#[test]
fn uids_are_kept_as_pseudonyms_and_never_shown() {
    let uid = "1.2.826.0.1.3680043.10.999.1.1";
    let t = parse(
        &format!("reader,StudyInstanceUID,effusion\nR1,{uid},positive\n"),
        &findings(),
    )
    .expect("parses");
    assert_eq!(t.key, KeyKind::Study);
    assert_eq!(t.rows[0].key, crate::pseudonym::of(uid));
    assert_eq!(t.rows[0].shown, "its StudyInstanceUID");
    let e = resolve(&t, |_| None).expect_err("no unit");
    assert!(e.contains("line 2") && !e.contains(uid), "{e}");
}

#[test]
fn every_bad_file_is_named_with_its_line() {
    let cases: &[(&str, &[&str])] = &[
        ("", &["no header"]),
        ("file,reader,effusion\n", &["line 1", "not `reader`"]),
        (
            "reader,unit,effusion\n",
            &["line 1", "`unit`", "StudyInstanceUID"],
        ),
        ("reader,file\nR1,a.dcm\n", &["line 1", "names no finding"]),
        (
            "reader,file,efusion\nR1,a.dcm,positive\n",
            &["line 1", "`efusion`", "did you mean `effusion`"],
        ),
        ("reader,file,effusion,effusion\n", &["two columns"]),
        ("reader,file,effusion\n", &["no reads"]),
        ("reader,file,effusion\nR1,a.dcm\n", &["line 2", "2 cells"]),
        (
            "reader,file,effusion\n,a.dcm,positive\n",
            &["line 2", "reader is empty"],
        ),
        (
            "reader,file,effusion\nR1,,positive\n",
            &["line 2", "file is empty"],
        ),
        (
            "reader,file,effusion\nR1,a.dcm,maybe\n",
            &["line 2", "`effusion`", "`maybe`", "not a score"],
        ),
        ("reader,file,effusion\nR1,a.dcm,1.5\n", &["line 2", "`1.5`"]),
        ("reader,file,effusion\nR1,a.dcm,NaN\n", &["line 2", "`NaN`"]),
        (
            "reader,file,effusion\nR1,a.dcm,positive\nR1,b.dcm,0.4\n",
            &["line 3", "a score where line 2 gives a call"],
        ),
        (
            "reader,file,effusion\nR1,a.dcm,positive\nR2,a.dcm,\n",
            &["`R2`", "reads no unit"],
        ),
        (
            "reader,file,effusion\npooled,a.dcm,positive\n",
            &["line 2", "`pooled`"],
        ),
        (
            "reader,file,effusion\nR1,\"a.dcm,positive\n",
            &["line 2", "not closed"],
        ),
    ];
    for (text, words) in cases {
        let e = err(text);
        for w in *words {
            assert!(e.contains(w), "{text:?}: {e:?} lacks {w:?}");
        }
    }
}

#[test]
fn rows_resolve_to_units_once_per_reader() {
    let t = parse(
        "reader,file,effusion\nR1,a.dcm,positive\nR2,a.dcm,negative\nR1,b.dcm,negative\nR1,a2.dcm,negative\n",
        &findings(),
    )
    .expect("parses");
    let lookup = |k: &str| match k {
        "a.dcm" | "a2.dcm" => Some(0),
        "b.dcm" => Some(1),
        _ => None,
    };
    // a2.dcm is another image of a.dcm's study: R1 reads that unit twice.
    let e = resolve(&t, lookup).expect_err("a second read");
    assert!(
        e.contains("line 5") && e.contains("`R1`") && e.contains("line 2"),
        "{e}"
    );
    let t = parse(
        "reader,file,effusion\nR1,a.dcm,positive\nR1,gone.dcm,negative\n",
        &findings(),
    )
    .expect("parses");
    let e = resolve(&t, lookup).expect_err("not a unit");
    assert!(e.contains("line 3") && e.contains("`gone.dcm`"), "{e}");
    assert!(check_key(KeyKind::Study, Level::Image).is_err());
    assert!(check_key(KeyKind::Study, Level::Study).is_ok());
    assert!(check_key(KeyKind::File, Level::Image).is_ok());
}

fn spec(name: &str, threshold: f64) -> FindingSpec {
    FindingSpec {
        name: name.to_string(),
        tensor: "t".to_string(),
        index: 0,
        activation: Activation::Probability,
        threshold,
        inclusive: true,
        positive: String::new(),
    }
}

fn unit(file: &str, score: f64, label: bool) -> UnitRow {
    UnitRow {
        key: file.to_string(),
        patient: String::new(),
        images: vec![file.to_string()],
        chosen: None,
        scores: vec![score],
        released: None,
        labels: vec![Some(label)],
    }
}

/// Ten units, a reader's calls against the model's at 0.5: on the 5 positives the model
/// catches 4 and the reader 2 (the model alone on 3, the reader alone on 1); on the 5
/// negatives both clear 4, on different units.
#[test]
fn one_reader_gives_mcnemar_and_the_pool_is_that_reader() {
    let scores = [0.9, 0.8, 0.7, 0.6, 0.1, 0.2, 0.3, 0.1, 0.2, 0.7];
    let labels = [
        true, true, true, true, true, false, false, false, false, false,
    ];
    let calls = ["negative", "positive", "negative", "negative", "positive"];
    let calls_neg = ["positive", "negative", "negative", "negative", "negative"];
    let units: Vec<UnitRow> = scores
        .iter()
        .zip(labels)
        .enumerate()
        .map(|(i, (&s, l))| unit(&format!("u{i}.dcm"), s, l))
        .collect();
    let mut csv = "reader,file,effusion\n".to_string();
    for (i, c) in calls.iter().chain(&calls_neg).enumerate() {
        csv.push_str(&format!("R1,u{i}.dcm,{c}\n"));
    }
    let names = vec!["effusion".to_string()];
    let t = parse(&csv, &names).expect("parses");
    let reads = resolve(&t, |k| units.iter().position(|u| u.key == k)).expect("resolves");
    let cluster_of: Vec<u32> = (0..10).collect();
    let mut margins = BTreeMap::new();
    margins.insert("sensitivity".to_string(), 0.05);
    margins.insert("auc".to_string(), 0.05);
    let findings = [spec("effusion", 0.5)];
    let design = Design {
        findings: &findings,
        margins: &margins,
        units: &units,
        cluster_of: &cluster_of,
        clusters: 10,
        resampling: Resampling {
            resamples: 200,
            seed: 7,
        },
    };
    let out = compare(&t, &reads, &design).expect("compares");
    assert_eq!(out.len(), 1);
    assert_eq!(out[0].kind, Some(ReadKind::Calls));
    let [pooled, r1] = &out[0].entries[..] else {
        panic!("{:?}", out[0].entries)
    };
    assert!(pooled.pooled && !r1.pooled);
    assert_eq!((pooled.readers, pooled.n, r1.n), (1, 10, 10));
    assert_eq!(r1.model.sensitivity, Some(0.8));
    assert_eq!(r1.reader_figures.sensitivity, Some(0.4));
    assert_eq!(r1.model.specificity, Some(0.8));
    assert_eq!(r1.reader_figures.specificity, Some(0.8));
    assert_eq!(r1.delta_auc, None, "calls have no AUC");
    let ds = r1.delta_sensitivity.as_ref().expect("Δsensitivity");
    assert!((ds.value - 0.4).abs() < 1e-12);
    let mc = paired::mcnemar(3, 1);
    assert_eq!(ds.p_value, Some(mc.exact_p_value));
    assert_eq!(ds.mid_p_value, Some(paired::mcnemar_mid_p(3, 1)));
    assert_eq!(ds.test, "mcnemar-exact");
    // One reader: the pool's difference is the reader's, on the same resamples.
    let ps = pooled.delta_sensitivity.as_ref().expect("pooled");
    assert_eq!((ps.value, ps.low, ps.high), (ds.value, ds.low, ds.high));
    assert_eq!(ps.p_value, None);
    // Only the sensitivity margin applies to calls; the AUC margin is unverified.
    assert_eq!(pooled.margins.len(), 1);
    assert_eq!(pooled.margins[0].met, ps.low > -0.05);
    let (unverified, noninferior) = verdict(&out, &margins);
    assert_eq!(unverified, vec!["auc".to_string()]);
    assert!(!noninferior, "an undecidable margin is not met");
    margins.remove("auc");
    let (unverified, _) = verdict(&out, &margins);
    assert!(unverified.is_empty());
}

#[test]
fn mid_p_agrees_with_scipy() {
    // 2 * binom.cdf(m, n, 0.5) - binom.pmf(m, n, 0.5), scipy 1.17.1.
    for (b, c, want) in [
        (3u64, 1u64, 0.375),
        (10, 2, 0.022_460_937_499_999_976),
        (0, 5, 0.031_25),
        (7, 30, 0.000_116_167_007_945_477_96),
    ] {
        let got = paired::mcnemar_mid_p(b, c);
        assert!(
            ((got - want) / want).abs() < 1e-9,
            "mid-p({b}, {c}) = {got}, want {want}"
        );
    }
    assert_eq!(paired::mcnemar_mid_p(0, 0), 1.0);
    assert_eq!(paired::mcnemar_mid_p(5, 5), 1.0);
}
