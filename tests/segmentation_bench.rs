//! The segmentation benchmark given what breaks a volume or its reference: each is a
//! coded diagnostic (E022, exit 2) naming the file or the masks file's line and the
//! reason, never a panic, a silent pass or a UID in the output.
#![expect(
    clippy::expect_used,
    reason = "a test that cannot set up its fixture should fail loudly"
)]

mod common;

use common::{clic, copy_tree, root, text};
use std::path::Path;

/// A manifest of the example's model with a lenient claim (what these tests break is
/// the input, not the performance).
const MANIFEST: &str = r#"model ct-bench {
  version "1.0.0"
  purpose "Segments the liver and the spleen on abdominal CT for volumetry by a radiologist."
  class IIa by rule 11
  artifact "model/ct-organs.onnx"
  input "ct" series where modality CT {
    rescale from dicom
    clip -200 to 300
    resample 6 x 6 x 6 mm linear
    orient LPS
    crop or pad 56 x 56 x 32 fill -200
    normalize zscore
  }
  segmentation "mask" argmax {
    liver channel 1
    spleen channel 2
  }
  quantify volume of liver
  reference "data/reference" labels "data/reference/masks.csv"
  claims {
    liver { dice 0.5 hd95 at most 50 mm }
    spleen { dice 0.5 assd at most 20 mm }
  }
  use performance
}
"#;

fn project() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().expect("tempdir");
    for part in ["data", "model"] {
        copy_tree(
            &root().join("examples/ct-segmentation").join(part),
            &tmp.path().join(part),
        );
    }
    std::fs::write(tmp.path().join("model.clic"), MANIFEST).expect("manifest");
    tmp
}

fn bench(dir: &Path) -> std::process::Output {
    clic().arg("bench").arg(dir).output().expect("clic runs")
}

fn masks_csv(dir: &Path) -> String {
    std::fs::read_to_string(dir.join("data/reference/masks.csv")).expect("masks.csv")
}

/// The first series' UID, from the masks file.
fn first_uid(dir: &Path) -> String {
    masks_csv(dir)
        .lines()
        .nth(1)
        .and_then(|l| l.split(',').next())
        .expect("a row")
        .to_string()
}

fn fails_with(dir: &Path, said: &[&str]) {
    let out = bench(dir);
    let t = text(&out);
    assert_eq!(out.status.code(), Some(2), "{t}");
    assert!(t.contains("E022"), "{t}");
    for s in said {
        assert!(t.contains(s), "`{s}` not in: {t}");
    }
    assert!(!t.contains("panicked"), "{t}");
}

#[test]
fn the_project_as_copied_benchmarks() {
    let p = project();
    let out = bench(p.path());
    assert!(out.status.success(), "{}", text(&out));
    let t = text(&out);
    assert!(t.contains("24 case(s)"), "{t}");
    assert!(
        !t.contains(&first_uid(p.path())),
        "no UID in the report: {t}"
    );
}

#[test]
fn a_missing_slice_names_the_series_files_and_the_gap() {
    let p = project();
    std::fs::remove_file(p.path().join("data/reference/series-01/slice-010.dcm"))
        .expect("remove a slice");
    fails_with(
        p.path(),
        &["series-01/", "line 2 of the masks file", "missing"],
    );
    assert!(!text(&bench(p.path())).contains(&first_uid(p.path())));
}

#[test]
fn a_duplicated_slice_is_named() {
    let p = project();
    let dir = p.path().join("data/reference/series-02");
    std::fs::copy(dir.join("slice-005.dcm"), dir.join("slice-005-copy.dcm")).expect("copy");
    fails_with(p.path(), &["series-02/", "duplicate"]);
}

#[test]
fn a_row_naming_no_series_is_named_by_its_line() {
    let p = project();
    let csv = masks_csv(p.path());
    std::fs::write(
        p.path().join("data/reference/masks.csv"),
        format!("{csv}1.2.3.4.5,masks/series-01.seg.dcm\n"),
    )
    .expect("write");
    fails_with(p.path(), &["line 26", "no series"]);
}

#[test]
fn a_series_listed_twice_is_refused() {
    let p = project();
    let csv = masks_csv(p.path());
    let second = csv.lines().nth(1).expect("row").to_string();
    std::fs::write(
        p.path().join("data/reference/masks.csv"),
        format!("{csv}{second}\n"),
    )
    .expect("write");
    fails_with(p.path(), &["line 26", "earlier line"]);
}

#[test]
fn a_mask_outside_the_project_is_refused_before_it_is_read() {
    let p = project();
    let csv =
        masks_csv(p.path()).replacen("masks/series-01.seg.dcm", "../../../../../../etc/passwd", 1);
    std::fs::write(p.path().join("data/reference/masks.csv"), csv).expect("write");
    fails_with(p.path(), &["line 2", "outside"]);
}

#[test]
fn a_mask_that_is_not_a_mask_is_named() {
    let p = project();
    std::fs::write(
        p.path().join("data/reference/masks/series-03.seg.dcm"),
        b"not a DICOM file at all",
    )
    .expect("write");
    fails_with(p.path(), &["series-03.seg.dcm", "line 4"]);
}

#[test]
fn a_series_the_input_does_not_select_is_named() {
    let p = project();
    std::fs::write(
        p.path().join("model.clic"),
        MANIFEST.replace("where modality CT", "where modality MR"),
    )
    .expect("write");
    fails_with(
        p.path(),
        &["line 2", "not one the input `ct` selects", "modality MR"],
    );
}

#[test]
fn a_bad_masks_file_is_named_by_its_line() {
    let p = project();
    std::fs::write(
        p.path().join("data/reference/masks.csv"),
        "series,mask\nnot-a-uid,masks/series-01.seg.dcm\n",
    )
    .expect("write");
    fails_with(p.path(), &["line 2", "not a DICOM UID"]);
}

#[test]
fn a_truncated_slice_is_named() {
    let p = project();
    let f = p.path().join("data/reference/series-04/slice-003.dcm");
    let bytes = std::fs::read(&f).expect("read");
    std::fs::write(&f, &bytes[..bytes.len() / 3]).expect("truncate");
    fails_with(p.path(), &["series-04/slice-003.dcm"]);
}

#[cfg(unix)]
#[test]
fn a_mask_that_is_a_symlink_out_of_the_project_is_refused() {
    let p = project();
    let outside = tempfile::tempdir().expect("tempdir");
    let target = outside.path().join("elsewhere.seg.dcm");
    std::fs::copy(
        p.path().join("data/reference/masks/series-01.seg.dcm"),
        &target,
    )
    .expect("copy");
    let link = p.path().join("data/reference/masks/series-01.seg.dcm");
    std::fs::remove_file(&link).expect("remove");
    std::os::unix::fs::symlink(&target, &link).expect("symlink");
    // A valid mask, but outside the project: refused as a `..` path is, not read.
    fails_with(p.path(), &["series-01.seg.dcm", "outside"]);
}

#[test]
fn a_masks_file_of_a_hundred_thousand_rows_is_answered_by_its_first_bad_line() {
    let p = project();
    let mut csv = masks_csv(p.path());
    for i in 0..100_000 {
        csv.push_str(&format!(
            "1.2.826.0.1.3680043.9.{i},masks/series-01.seg.dcm\n"
        ));
    }
    std::fs::write(p.path().join("data/reference/masks.csv"), csv).expect("write");
    fails_with(p.path(), &["line 26", "no series"]);
}
