//! Fingerprints the code that turns a scan into a tensor: every file of `src/dicom/`
//! (decoding, preprocessing) and the workspace's `Cargo.lock` (the decoders' versions).
//! The benchmark's per-scan cache keys tensors with it (`bench::records`), so a change
//! to how a scan is read never reuses a tensor read the old way.

use std::path::{Path, PathBuf};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let p = e.path();
        if p.is_dir() {
            files(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// FNV-1a, 64 bits: a fingerprint, not a defence (the entries are MAC'd).
fn fnv(hash: &mut u64, bytes: &[u8]) {
    for b in bytes {
        *hash ^= u64::from(*b);
        *hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
}

fn main() {
    let manifest = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let dicom = manifest.join("src/dicom");
    let lock = manifest.join("../Cargo.lock");
    println!("cargo:rerun-if-changed={}", dicom.display());
    println!("cargo:rerun-if-changed={}", lock.display());
    let mut list = Vec::new();
    files(&dicom, &mut list);
    list.push(lock);
    list.sort();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for f in &list {
        let name = f.strip_prefix(&manifest).unwrap_or(f);
        fnv(&mut hash, name.to_string_lossy().as_bytes());
        fnv(&mut hash, &[0]);
        fnv(&mut hash, &std::fs::read(f).unwrap_or_default());
        fnv(&mut hash, &[0]);
    }
    println!("cargo:rustc-env=CLIC_READING_FINGERPRINT={hash:016x}");
}
