//! `clic completions SHELL` and `clic man`, generated from the command line's own
//! definition: every subcommand is in them, the bash script parses, and a shell clic
//! does not know is a coded usage error.
#![expect(
    clippy::expect_used,
    reason = "a test that cannot set up its fixture should fail loudly"
)]

mod common;

use common::{clic, text};

/// The subcommands `clic --help` lists.
fn subcommands() -> Vec<String> {
    let help = clic().arg("--help").output().expect("clic runs");
    let help = String::from_utf8_lossy(&help.stdout).to_string();
    let mut out = Vec::new();
    let mut inside = false;
    for line in help.lines() {
        if line.starts_with("Commands:") {
            inside = true;
            continue;
        }
        if inside {
            let Some(name) = line
                .strip_prefix("  ")
                .and_then(|l| l.split_whitespace().next())
            else {
                break;
            };
            if name != "help" {
                out.push(name.to_string());
            }
        }
    }
    assert!(out.len() > 10, "clic --help lists its commands: {help}");
    out
}

#[test]
fn completions_name_every_subcommand_and_the_bash_script_parses() {
    let commands = subcommands();
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = clic()
            .args(["completions", shell])
            .output()
            .expect("clic runs");
        assert_eq!(out.status.code(), Some(0), "{shell}: {}", text(&out));
        let script = String::from_utf8_lossy(&out.stdout);
        for c in &commands {
            assert!(
                script.contains(c.as_str()),
                "{shell} completion lacks `{c}`"
            );
        }
        if shell == "bash" {
            let path = tempfile::NamedTempFile::new().expect("temp file");
            std::fs::write(path.path(), script.as_bytes()).expect("write");
            let check = std::process::Command::new("bash")
                .arg("-n")
                .arg(path.path())
                .output()
                .expect("bash runs");
            assert!(check.status.success(), "bash -n: {}", text(&check));
        }
    }
    let bad = clic()
        .args(["completions", "tcsh"])
        .output()
        .expect("clic runs");
    assert_eq!(bad.status.code(), Some(2));
    assert!(text(&bad).contains("clic::E020"), "{}", text(&bad));
}

#[test]
fn the_man_page_is_roff_with_every_subcommand_and_the_environment() {
    let out = clic().arg("man").output().expect("clic runs");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let page = String::from_utf8_lossy(&out.stdout);
    for section in [".TH clic 1", ".SH NAME", ".SH SYNOPSIS", ".SH SUBCOMMANDS"] {
        assert!(page.contains(section), "no `{section}` in the man page");
    }
    for c in subcommands() {
        let roff = c.replace('-', "\\-");
        assert!(
            page.contains(&format!("clic\\-{roff}(1)")),
            "the man page does not list `{c}`"
        );
    }
    for var in [
        "CLIC_BACKEND",
        "ORT_DYLIB_PATH",
        "NO_COLOR",
        "CLIC_CACHE_LIMIT",
    ] {
        assert!(page.contains(var), "the man page does not name {var}");
    }
}
