//! Records the git commit the `clic` binary is built from, for `clic --version`. A build
//! outside a git checkout (a crate tarball, a copied source tree, no `git` installed)
//! says `unknown` rather than failing.

use std::path::PathBuf;
use std::process::Command;

/// `git ARGS` in the package folder, trimmed; `None` when git fails or is absent.
fn git(args: &[&str]) -> Option<String> {
    let dir = std::env::var_os("CARGO_MANIFEST_DIR")?;
    let out = Command::new("git")
        .current_dir(dir)
        .args(args)
        .output()
        .ok()?;
    let text = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (out.status.success() && !text.is_empty()).then_some(text)
}

fn main() {
    let commit = git(&["rev-parse", "--short=12", "HEAD"]).unwrap_or_else(|| "unknown".to_string());
    println!("cargo:rustc-env=CLIC_GIT_COMMIT={commit}");
    // Rebuilt when HEAD moves; a path that does not exist would rerun this every build.
    let watched: Vec<PathBuf> = ["HEAD", "refs/heads", "packed-refs"]
        .iter()
        .filter_map(|p| git(&["rev-parse", "--git-path", p]))
        .map(|p| {
            let p = PathBuf::from(p);
            if p.is_absolute() {
                p
            } else {
                PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default()).join(p)
            }
        })
        .filter(|p| p.exists())
        .collect();
    println!("cargo:rerun-if-changed=build.rs");
    for p in watched {
        println!("cargo:rerun-if-changed={}", p.display());
    }
}
