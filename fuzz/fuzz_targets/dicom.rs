//! Fuzz target: read arbitrary bytes as a DICOM file (Part 10 or a bare data set),
//! decode its first frame and run the example's preprocessing on it, as the benchmark
//! does. Any panic, abort, stack overflow or allocation past libFuzzer's `-rss_limit_mb`
//! is a failure: a hostile scan must only ever be a per-file error. The limits are
//! lowered so that what they bound stays within the fuzzer's memory budget.
#![no_main]

use clic_compiler::plan::Preprocess;
use clic_runner::dicom::{self, Limits};
use libfuzzer_sys::fuzz_target;

fn steps() -> Vec<Preprocess> {
    vec![
        Preprocess::Rescale { fixed: None },
        Preprocess::Window {
            source: "dicom".into(),
            fixed: None,
            else_minmax: true,
        },
        Preprocess::InvertMonochrome1,
        Preprocess::Resize {
            width: 64,
            height: 64,
            interpolation: "bilinear".into(),
        },
        Preprocess::Normalize {
            mean: 0.5,
            std: 0.25,
        },
    ]
}

fuzz_target!(|data: &[u8]| {
    let limits = Limits {
        max_scan_bytes: 64 << 20,
        max_pixels: 1 << 22,
    };
    let Ok((info, image)) = dicom::read_bytes(data, "fuzz.dcm", &limits) else {
        return;
    };
    assert_eq!(info.file, "fuzz.dcm");
    if let Ok(image) = image {
        assert_eq!(image.len(), image.rows * image.columns * image.channels());
        let _ = dicom::pixel_stats(&image);
        if let Ok(tensor) = dicom::preprocess(&image, &steps()) {
            assert_eq!(tensor.len(), 64 * 64);
        }
    }
});
