//! The release assets: `tools/release/package.sh` packs a built binary as
//! `clic-VERSION-TARGET.tar.gz` with its `.sha256` (the layout `[package.metadata.binstall]`
//! in Cargo.toml points cargo-binstall at), and `.github/workflows/release.yml` builds the
//! binary for Linux and macOS and packs it with that script. The script runs here on the
//! debug binary under test, so no release build is needed.
#![expect(clippy::expect_used, reason = "tests fail loudly")]

mod common;

use common::root;
use std::path::Path;

const VERSION: &str = env!("CARGO_PKG_VERSION");
const TARGET: &str = "x86_64-unknown-linux-gnu";

fn package(out: &Path) -> std::process::Output {
    std::process::Command::new(root().join("tools/release/package.sh"))
        .arg(env!("CARGO_BIN_EXE_clic"))
        .args([VERSION, TARGET])
        .arg(out)
        .output()
        .expect("package.sh runs")
}

#[test]
fn the_package_script_makes_the_archive_and_checksum_binstall_expects() {
    let work = tempfile::tempdir().expect("temp dir");
    let out = work.path().join("dist");
    let made = package(&out);
    assert!(made.status.success(), "{}", common::text(&made));
    let name = format!("clic-{VERSION}-{TARGET}");
    let archive = out.join(format!("{name}.tar.gz"));
    let bytes = std::fs::read(&archive).expect("the archive");

    // The checksum file is sha256sum's line for the archive.
    let sum = std::fs::read_to_string(out.join(format!("{name}.tar.gz.sha256"))).expect("sum");
    let digest = clic_runner::facts::artifact::sha256_hex(&bytes);
    assert_eq!(sum, format!("{digest}  {name}.tar.gz\n"));
    let check = std::process::Command::new("sha256sum")
        .current_dir(&out)
        .args(["-c", &format!("{name}.tar.gz.sha256")])
        .output()
        .expect("sha256sum runs");
    assert!(check.status.success(), "{}", common::text(&check));

    // One folder named as the archive, holding the binary, the licence and the README.
    let list = std::process::Command::new("tar")
        .arg("-tzf")
        .arg(&archive)
        .output()
        .expect("tar runs");
    let mut entries: Vec<String> = String::from_utf8_lossy(&list.stdout)
        .lines()
        .map(|l| l.trim_end_matches('/').to_string())
        .collect();
    entries.sort();
    assert_eq!(
        entries,
        [
            name.clone(),
            format!("{name}/LICENSE"),
            format!("{name}/README.md"),
            format!("{name}/clic"),
        ]
    );
    let unpacked = work.path().join("unpacked");
    std::fs::create_dir(&unpacked).expect("mkdir");
    let untar = std::process::Command::new("tar")
        .arg("-xzf")
        .arg(&archive)
        .arg("-C")
        .arg(&unpacked)
        .output()
        .expect("tar runs");
    assert!(untar.status.success(), "{}", common::text(&untar));
    let bin = unpacked.join(&name).join("clic");
    assert_eq!(
        std::fs::read(&bin).expect("the binary"),
        std::fs::read(env!("CARGO_BIN_EXE_clic")).expect("the binary under test")
    );
    let version = std::process::Command::new(&bin)
        .arg("--version")
        .output()
        .expect("the packed clic runs");
    assert!(
        String::from_utf8_lossy(&version.stdout).contains(VERSION),
        "{}",
        common::text(&version)
    );

    // The same binary gives the same archive, byte for byte.
    let again = work.path().join("again");
    assert!(package(&again).status.success());
    assert_eq!(
        std::fs::read(again.join(format!("{name}.tar.gz"))).expect("archive"),
        bytes
    );

    // A version given with its `v` is refused.
    let bad = std::process::Command::new(root().join("tools/release/package.sh"))
        .arg(env!("CARGO_BIN_EXE_clic"))
        .args([&format!("v{VERSION}"), TARGET])
        .arg(work.path().join("bad"))
        .output()
        .expect("package.sh runs");
    assert_eq!(bad.status.code(), Some(2), "{}", common::text(&bad));
}

#[test]
fn the_release_workflow_builds_linux_and_macos_and_packs_with_the_script() {
    let text =
        std::fs::read_to_string(root().join(".github/workflows/release.yml")).expect("release.yml");
    let wf: serde_yaml::Value = serde_yaml::from_str(&text).expect("valid YAML");
    let tags = wf["on"]["push"]["tags"]
        .as_sequence()
        .expect("a tag trigger");
    assert_eq!(tags[0].as_str(), Some("v*"));
    let build = &wf["jobs"]["build"];
    let targets: Vec<&str> = build["strategy"]["matrix"]["include"]
        .as_sequence()
        .expect("a matrix")
        .iter()
        .filter_map(|e| e["target"].as_str())
        .collect();
    for t in [TARGET, "x86_64-apple-darwin", "aarch64-apple-darwin"] {
        assert!(targets.contains(&t), "{targets:?}");
    }
    let runs: Vec<&str> = build["steps"]
        .as_sequence()
        .expect("steps")
        .iter()
        .filter_map(|s| s["run"].as_str())
        .collect();
    assert!(
        runs.iter().any(|r| r
            .contains("cargo build --release --locked --features full --bin clic --target ${{ matrix.target }}")),
        "{runs:?}"
    );
    assert!(
        runs.iter()
            .any(|r| r
                .starts_with("tools/release/package.sh target/${{ matrix.target }}/release/clic ")),
        "{runs:?}"
    );
    let publish = serde_yaml::to_string(&wf["jobs"]["publish"]).expect("yaml");
    assert!(publish.contains("sha256sum -c"), "{publish}");
    assert!(publish.contains("gh release upload"), "{publish}");

    // cargo-binstall looks where the script puts the archive and the binary.
    let cargo = std::fs::read_to_string(root().join("Cargo.toml")).expect("Cargo.toml");
    let meta = cargo
        .split("[package.metadata.binstall]")
        .nth(1)
        .expect("[package.metadata.binstall]");
    let fill = |s: &str| {
        s.replace("{ name }", "clic")
            .replace("{ version }", VERSION)
            .replace("{ target }", TARGET)
            .replace("{ bin }", "clic")
            .replace("{ binary-ext }", "")
    };
    let value = |key: &str| {
        meta.lines()
            .find_map(|l| l.strip_prefix(&format!("{key} = ")))
            .map(|v| fill(v.trim_matches('"')))
            .unwrap_or_else(|| panic!("binstall {key}"))
    };
    let name = format!("clic-{VERSION}-{TARGET}");
    assert_eq!(
        value("pkg-url"),
        format!("{{ repo }}/releases/download/v{VERSION}/{name}.tar.gz")
    );
    assert_eq!(value("bin-dir"), format!("{name}/clic"));
    assert_eq!(value("pkg-fmt"), "tgz");
}
