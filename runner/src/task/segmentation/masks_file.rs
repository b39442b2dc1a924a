//! The masks file of a segmentation reference set: a CSV of `series,mask`, one row per
//! case: the SeriesInstanceUID of a series under the reference folder, and its reference
//! mask (a DICOM SEG, or a NIfTI `.nii` / `.nii.gz` label map), relative to the CSV's
//! folder.

/// One row of the masks file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MaskRow {
    /// Its line in the file, from 1.
    pub line: usize,
    /// The series' SeriesInstanceUID.
    pub series: String,
    /// The mask's path, relative to the CSV's folder.
    pub mask: String,
}

/// The rows of a masks file; the error names the line at fault.
pub fn parse(text: &str) -> Result<Vec<MaskRow>, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut lines = text
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim_end_matches('\r')))
        .filter(|(_, l)| !l.trim().is_empty());
    let Some((_, header)) = lines.next() else {
        return Err("it is empty: a header `series,mask` and one row per case are needed".into());
    };
    let columns: Vec<String> = header
        .split(',')
        .map(|c| c.trim().to_ascii_lowercase())
        .collect();
    if columns != ["series", "mask"] {
        return Err(format!(
            "line 1: the header is `{}`, but a masks file's is `series,mask`",
            header.trim()
        ));
    }
    let mut rows = Vec::new();
    for (line, l) in lines {
        let fields: Vec<&str> = l.split(',').map(str::trim).collect();
        let [series, mask] = fields[..] else {
            return Err(format!(
                "line {line}: {} field(s), where a row is `series,mask`",
                fields.len()
            ));
        };
        if series.is_empty()
            || series.len() > 64
            || !series.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        {
            return Err(format!(
                "line {line}: the series is not a DICOM UID (digits and dots, at most 64 characters)"
            ));
        }
        if mask.is_empty() {
            return Err(format!("line {line}: the mask's path is empty"));
        }
        if std::path::Path::new(mask).is_absolute() {
            return Err(format!(
                "line {line}: the mask `{mask}` is an absolute path; give it relative to the masks file"
            ));
        }
        rows.push(MaskRow {
            line,
            series: series.to_string(),
            mask: mask.to_string(),
        });
    }
    if rows.is_empty() {
        return Err("it has a header but no case".into());
    }
    Ok(rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_are_read_with_their_lines_and_bad_ones_are_named() {
        let rows = parse("\u{feff}series,mask\r\n1.2.3,masks/a.dcm\r\n\r\n1.2.4 , b.nii.gz\n")
            .expect("valid");
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[1].line, rows[1].series.as_str()), (4, "1.2.4"));
        for (text, said) in [
            ("", "empty"),
            ("file,label\n1.2,a", "header"),
            ("series,mask\n", "no case"),
            ("series,mask\n1.2,a,b", "line 2: 3 field(s)"),
            (
                "series,mask\nJohn Doe,a",
                "line 2: the series is not a DICOM UID",
            ),
            ("series,mask\n1.2,", "line 2: the mask's path is empty"),
            ("series,mask\n1.2,/etc/passwd", "absolute"),
        ] {
            let e = parse(text).expect_err(text);
            assert!(e.contains(said), "{text:?}: {e}");
        }
    }
}
