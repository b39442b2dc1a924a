//! `clic cache stats|gc|clear`: the project's cache, `.clic/cache` beside the manifest.
//! Only files clic wrote there are touched; the project secret stays.

use super::Status;
use crate::output::print_error;
use clic_compiler::Code;
use clic_runner::bench::store::{self, Store};
use std::path::{Path, PathBuf};

/// The cache folder of the project at `path`, or the diagnostic printed.
fn cache_dir(path: &Path) -> Option<PathBuf> {
    let session = crate::session::Session::open(path)?;
    Some(session.manifest_dir.join(".clic").join("cache"))
}

fn limit_in_force() -> Result<u64, Status> {
    store::size_limit().map_err(|why| {
        print_error(
            Code::E020,
            &why,
            Some("unset it, or give a size such as `4GiB`"),
        );
        Status::Invalid
    })
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / f64::from(1 << 20))
}

/// `clic cache stats`.
pub fn stats(path: &Path) -> Status {
    let Some(dir) = cache_dir(path) else {
        return Status::Invalid;
    };
    let limit = match limit_in_force() {
        Ok(l) => l,
        Err(s) => return s,
    };
    let s = Store::new(&dir).stats();
    let mut out = format!("cache `{}`\n", dir.display());
    for (what, (n, bytes)) in [
        ("scan records", s.read),
        ("tensors", s.tensor),
        ("model rows", s.score),
    ] {
        out.push_str(&format!("  {what:<13} {n:>8}  {}\n", mib(bytes)));
    }
    out.push_str(&format!(
        "  total         {:>8}  {} of a limit of {}\n",
        s.read.0 + s.tensor.0 + s.score.0,
        mib(s.bytes()),
        mib(limit)
    ));
    crate::output::out!("{out}");
    Status::Ok
}

/// `clic cache gc`.
pub fn gc(path: &Path, limit: Option<u64>) -> Status {
    let Some(dir) = cache_dir(path) else {
        return Status::Invalid;
    };
    let limit = match limit.map_or_else(limit_in_force, Ok) {
        Ok(l) => l,
        Err(s) => return s,
    };
    let (removed, freed) = Store::new(&dir).gc(limit);
    crate::output::outln!(
        "removed {removed} entries ({}); the cache is within {}",
        mib(freed),
        mib(limit)
    );
    Status::Ok
}

/// `clic cache clear`.
pub fn clear(path: &Path) -> Status {
    let Some(dir) = cache_dir(path) else {
        return Status::Invalid;
    };
    let (removed, freed) = Store::new(&dir).clear();
    let mut whole = 0;
    if let Ok(entries) = std::fs::read_dir(&dir) {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            let is_ours =
                (name.starts_with("bench-") && name.ends_with(".json")) || name == "digests.json";
            if is_ours
                && e.file_type().is_ok_and(|t| t.is_file())
                && std::fs::remove_file(e.path()).is_ok()
            {
                whole += 1;
            }
        }
    }
    crate::output::outln!(
        "removed {removed} per-scan entries ({}) and {whole} other cache file(s)",
        mib(freed)
    );
    Status::Ok
}
