//! Embeds the packages of the workspace's `Cargo.lock` (the crates clic is built from,
//! with their versions, sources and checksums) for the dossier's software bill of
//! materials (`sbom.cdx.json`). Read from the file, so nothing is downloaded; a build
//! without the lock file (a copied crate) embeds no package and the SBOM says so.

use std::path::PathBuf;

fn main() {
    let dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let lock = dir.join("..").join("Cargo.lock");
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed={}", lock.display());
    let text = std::fs::read_to_string(&lock).unwrap_or_default();
    let mut out = String::new();
    // Each `[[package]]` block: `name`, `version`, `source` and `checksum` lines.
    for block in text.split("[[package]]").skip(1) {
        let field = |key: &str| {
            block
                .lines()
                .find_map(|l| {
                    l.strip_prefix(key)?
                        .trim()
                        .strip_prefix('=')?
                        .trim()
                        .strip_prefix('"')?
                        .strip_suffix('"')
                })
                .unwrap_or("")
                .to_string()
        };
        let (name, version) = (field("name"), field("version"));
        if name.is_empty() || version.is_empty() {
            continue;
        }
        let line = [name, version, field("source"), field("checksum")].join("\t");
        out.push_str(&line);
        out.push('\n');
    }
    let dest = PathBuf::from(std::env::var_os("OUT_DIR").unwrap_or_default()).join("crates.tsv");
    if let Err(e) = std::fs::write(&dest, out) {
        println!("cargo:warning=cannot write {}: {e}", dest.display());
    }
}
