//! `allowed_signers` files for `clic verify --allowed-signers`: reading the file, and
//! the check of the dossier's SSHSIG signature against it. The format and the check are
//! the runner's ([`clic_runner::allowed_signers`]), which git's signature facts use too.

pub use clic_runner::allowed_signers::{parse, Good, Signer};

/// The largest allowed-signers file read.
const MAX_BYTES: u64 = 4 * 1024 * 1024;

/// Reads an allowed-signers file; an error names the line and what is wrong with it.
pub fn load(path: &std::path::Path) -> Result<Vec<Signer>, String> {
    let meta = std::fs::metadata(path).map_err(|e| {
        format!(
            "cannot read `{}`: {}",
            path.display(),
            crate::project::io_reason(&e)
        )
    })?;
    if !meta.is_file() || meta.len() > MAX_BYTES {
        return Err(format!(
            "`{}` is not an allowed-signers file (a regular text file under 4 MiB)",
            path.display()
        ));
    }
    let text = std::fs::read_to_string(path).map_err(|e| {
        format!(
            "cannot read `{}`: {}",
            path.display(),
            crate::project::io_reason(&e)
        )
    })?;
    parse(&text).map_err(|(line, why)| format!("`{}` line {line}: {why}", path.display()))
}

/// Checks an armored SSHSIG signature of `evidence.json` (`msg`) in `namespace` against
/// the signers; with `identity`, only the lines whose principals match it count. `now`
/// is `YYYYMMDDHHMMSS` (UTC).
pub fn verify(
    signers: &[Signer],
    identity: Option<&str>,
    namespace: &str,
    msg: &[u8],
    armored: &[u8],
    now: &str,
) -> Result<Good, String> {
    clic_runner::allowed_signers::verify(
        signers,
        identity,
        namespace,
        msg,
        armored,
        now,
        "evidence.json",
    )
}

/// Now as `YYYYMMDDHHMMSS`, UTC.
pub fn now_utc() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let date = crate::session::today_utc().replace('-', "");
    let rem = secs % 86_400;
    format!(
        "{date}{:02}{:02}{:02}",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}
