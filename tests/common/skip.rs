//! Skips that show. A test that needs a tool outside Rust (a Python package, Chromium,
//! pre-commit, ssh-keygen, ...) calls [`require`]: under CI a missing tool fails the test;
//! elsewhere the test returns early, and the line `SKIPPED (<tool> missing): <test>` is
//! written to the process's own standard error, which libtest does not capture (it
//! captures only `print!` and `eprint!`), so it appears in `cargo test`'s output beside
//! the test's `... ok`. Shared by the test binaries of every crate (`#[path]`).
#![allow(
    dead_code,
    reason = "each test binary uses a different subset of the helpers"
)]

use std::io::Write;

/// Whether this run is CI's: `CI` set to anything but empty, `0` or `false` (GitHub
/// Actions and GitLab set `CI=true`; `.ci/run` runs under it).
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !matches!(v.trim(), "" | "0" | "false"))
}

/// The running test's name (libtest names each test's thread after it).
fn test_name() -> String {
    std::thread::current()
        .name()
        .filter(|n| *n != "main")
        .unwrap_or("a test")
        .to_string()
}

/// Whether `tool` is `available` for the running test. When it is not, under CI the test
/// fails (the tool is part of CI: `install` says how it is installed); elsewhere a visible
/// `SKIPPED` line is written and `false` returned, and the test (or the part of it that
/// needs the tool) does not run.
pub fn require(tool: &str, available: bool, install: &str) -> bool {
    if !available {
        skip(tool, install);
    }
    available
}

/// Whether `program --version` (or the given probe arguments) runs and succeeds.
pub fn runs(program: &str, args: &[&str]) -> bool {
    std::process::Command::new(program)
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Reports that the running test (or a part of it) is skipped for want of `tool`; fails
/// the test under CI.
pub fn skip(tool: &str, install: &str) {
    let test = test_name();
    assert!(
        !in_ci(),
        "{test}: {tool} is missing, and CI must run this test ({install}; .ci/run installs it)"
    );
    // Straight to the file descriptor: libtest would swallow an `eprintln!` of a test
    // that passes.
    let _ = writeln!(
        std::io::stderr(),
        "SKIPPED ({tool} missing): {test} ({install})"
    );
}
