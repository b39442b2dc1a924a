//! The flags that set what a run may spend ([`clic_runner::budget::Budget`]): threads,
//! the reading limits and the inference budget. Each limit has a documented default
//! (README, "What clic does with your files"); a flag raises or lowers it for one run.

use clic_runner::budget::{Budget, ReadLimits};
use std::time::Duration;

/// The reading limits, on `check`, `bench`, `dossier` and `inspect scan`.
#[derive(Debug, Clone, clap::Args)]
pub struct ReadArgs {
    /// The largest scan file read, and the most a deflated one may inflate to
    /// (default 512MiB; units B, KB, MB, GB, KiB, MiB, GiB).
    #[arg(long, value_name = "SIZE", value_parser = parse_size, help_heading = "Limits")]
    pub max_scan_bytes: Option<u64>,
    /// The most pixels one image may declare, Rows x Columns x frames x samples
    /// (default 268435456 = 2^28).
    #[arg(long, value_name = "N", value_parser = parse_count, help_heading = "Limits")]
    pub max_pixels: Option<u64>,
    /// The largest labels file or training list read (default 64MiB).
    #[arg(long, value_name = "SIZE", value_parser = parse_size, help_heading = "Limits")]
    pub max_list_bytes: Option<u64>,
}

impl ReadArgs {
    /// The limits asked for, the defaults for the rest.
    pub fn limits(&self) -> ReadLimits {
        let d = ReadLimits::default();
        ReadLimits {
            max_scan_bytes: self.max_scan_bytes.unwrap_or(d.max_scan_bytes),
            max_pixels: self.max_pixels.unwrap_or(d.max_pixels),
            max_list_bytes: self.max_list_bytes.unwrap_or(d.max_list_bytes),
        }
    }

    /// The flags that give `limits` again (none for a default), for a run that must
    /// read as an earlier one did (`clic verify --regenerate`).
    pub fn flags(limits: &ReadLimits) -> Vec<String> {
        let d = ReadLimits::default();
        let mut out = Vec::new();
        for (flag, value, default) in [
            ("--max-scan-bytes", limits.max_scan_bytes, d.max_scan_bytes),
            ("--max-pixels", limits.max_pixels, d.max_pixels),
            ("--max-list-bytes", limits.max_list_bytes, d.max_list_bytes),
        ] {
            if value != default {
                out.push(flag.to_string());
                out.push(value.to_string());
            }
        }
        out
    }
}

/// Threads and the inference budget, on `check`, `bench`, `dossier` and `inspect model`.
#[derive(Debug, Clone, clap::Args)]
pub struct RunArgs {
    /// Inference threads (default: every core).
    #[arg(long, value_name = "N", value_parser = parse_threads)]
    pub threads: Option<usize>,
    /// How long one batch of inference may run, in seconds (or with a unit: 90s, 10m,
    /// 2h) before it is stopped (default 600, or CLIC_INFERENCE_TIMEOUT).
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds, help_heading = "Limits")]
    pub inference_timeout: Option<Duration>,
    /// The memory a model may use while it runs, in its own process (default: half of
    /// the machine's memory).
    #[arg(long, value_name = "SIZE", value_parser = parse_size, help_heading = "Limits")]
    pub max_inference_memory: Option<u64>,
}

impl RunArgs {
    /// The budget: these flags, `read`, and the defaults for the rest.
    pub fn budget(&self, read: ReadLimits) -> Budget {
        let threads = self.threads.unwrap_or_else(|| {
            std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
        });
        let mut budget = Budget::new(threads);
        budget.read = read;
        if let Some(t) = self.inference_timeout {
            budget.inference_timeout = t;
        }
        budget
    }

    /// Runs every model of this process in a child within the inference memory limit
    /// (see `clic_runner::engine::sandbox`); without the path of this executable, in
    /// process, with a warning.
    pub fn enable_sandbox(&self) {
        use clic_runner::engine::sandbox;
        match std::env::current_exe() {
            Ok(executable) => sandbox::enable(sandbox::Sandbox {
                executable,
                memory: self
                    .max_inference_memory
                    .unwrap_or_else(sandbox::default_memory),
            }),
            Err(e) => eprintln!(
                "warning: cannot find the clic executable ({e}); models run in this process, without a memory limit"
            ),
        }
    }
}

/// The largest value a limit takes: 2^50 (a pebibyte, or 10^15 pixels). Above it a
/// limit protects nothing, and sums over it could overflow.
const MOST: u64 = 1 << 50;

/// A byte size: a whole number, with an optional unit (B; KB, MB, GB, TB in powers of
/// 1000; KiB, MiB, GiB, TiB in powers of 1024; case does not matter).
pub(crate) fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t
        .find(|c: char| !c.is_ascii_digit() && c != '_')
        .unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let scale: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1_000,
        "m" | "mb" => 1_000_000,
        "g" | "gb" => 1_000_000_000,
        "t" | "tb" => 1_000_000_000_000,
        "ki" | "kib" => 1 << 10,
        "mi" | "mib" => 1 << 20,
        "gi" | "gib" => 1 << 30,
        "ti" | "tib" => 1 << 40,
        other => {
            return Err(format!(
                "`{other}` is not a unit of size; use B, KB, MB, GB, TB, KiB, MiB, GiB or TiB (e.g. `2GiB`)"
            ))
        }
    };
    let n = whole(digits, s)?;
    n.checked_mul(scale)
        .filter(|&v| v <= MOST)
        .ok_or_else(|| format!("`{s}` is over the largest limit clic takes, {MOST} bytes"))
        .and_then(at_least_one)
}

/// A count (pixels): a whole number, `_` allowed between digits.
fn parse_count(s: &str) -> Result<u64, String> {
    let n = whole(s.trim(), s)?;
    if n > MOST {
        return Err(format!(
            "`{s}` is over the largest limit clic takes, {MOST}"
        ));
    }
    at_least_one(n)
}

/// A thread count: 1 to 1024.
fn parse_threads(s: &str) -> Result<usize, String> {
    let n = whole(s.trim(), s)?;
    match usize::try_from(n) {
        Ok(t @ 1..=1024) => Ok(t),
        _ => Err(format!("`{s}` threads: give 1 to 1024")),
    }
}

/// A duration: whole seconds, or with a unit `s`, `m` or `h`; at most a week.
fn parse_seconds(s: &str) -> Result<Duration, String> {
    let t = s.trim();
    let (digits, scale) = match t.char_indices().last() {
        Some((i, 's' | 'S')) => (&t[..i], 1),
        Some((i, 'm' | 'M')) => (&t[..i], 60),
        Some((i, 'h' | 'H')) => (&t[..i], 3600),
        _ => (t, 1),
    };
    let n = whole(digits.trim(), s)?;
    let secs = n
        .checked_mul(scale)
        .filter(|&v| v <= 7 * 24 * 3600)
        .ok_or_else(|| format!("`{s}` is over a week, the longest inference budget clic takes"))?;
    at_least_one(secs).map(Duration::from_secs)
}

fn whole(digits: &str, given: &str) -> Result<u64, String> {
    if digits.is_empty()
        || digits.starts_with('_')
        || digits.ends_with('_')
        || !digits.chars().all(|c| c.is_ascii_digit() || c == '_')
    {
        return Err(format!("`{given}` is not a whole number"));
    }
    digits
        .replace('_', "")
        .parse::<u64>()
        .map_err(|_| format!("`{given}` is too large"))
}

fn at_least_one(n: u64) -> Result<u64, String> {
    if n == 0 {
        Err("a limit of 0 would refuse everything; give at least 1".to_string())
    } else {
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_take_units_of_both_kinds() {
        assert_eq!(parse_size("512"), Ok(512));
        assert_eq!(parse_size("2GiB"), Ok(2 << 30));
        assert_eq!(parse_size("2 gib"), Ok(2 << 30));
        assert_eq!(parse_size("600MB"), Ok(600_000_000));
        assert_eq!(parse_size("1_000k"), Ok(1_000_000));
        assert_eq!(parse_size("1TiB"), Ok(1 << 40));
    }

    #[test]
    fn bad_sizes_are_refused_with_a_reason() {
        for bad in [
            "",
            "0",
            "0GiB",
            "-1",
            "1.5GB",
            "GiB",
            "2 parsecs",
            "_1",
            "1_",
            "99999999999999999999",
            "2048TiB",
            "1e9",
        ] {
            let e = parse_size(bad).expect_err(bad);
            assert!(!e.is_empty(), "{bad}");
        }
        assert!(parse_size("2 parsecs").unwrap_err().contains("unit"));
        assert!(parse_size("0").unwrap_err().contains("at least 1"));
    }

    #[test]
    fn counts_threads_and_durations() {
        assert_eq!(parse_count("1_073_741_824"), Ok(1 << 30));
        assert!(parse_count("0").is_err());
        assert!(parse_count("1Gi").is_err());
        assert!(parse_count(&(MOST + 1).to_string()).is_err());
        assert_eq!(parse_threads("4"), Ok(4));
        assert!(parse_threads("0").is_err());
        assert!(parse_threads("100000").is_err());
        assert_eq!(parse_seconds("90"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_seconds("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_seconds("10m"), Ok(Duration::from_secs(600)));
        assert_eq!(parse_seconds("2h"), Ok(Duration::from_secs(7200)));
        for bad in ["0", "0s", "-5", "1.5", "8d", "169h", "m", ""] {
            assert!(parse_seconds(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn flags_give_back_what_differs_from_the_defaults() {
        let d = ReadLimits::default();
        assert!(ReadArgs::flags(&d).is_empty());
        let raised = ReadLimits {
            max_pixels: 1 << 30,
            ..d
        };
        assert_eq!(ReadArgs::flags(&raised), ["--max-pixels", "1073741824"]);
        let args = ReadArgs {
            max_scan_bytes: None,
            max_pixels: Some(1 << 30),
            max_list_bytes: None,
        };
        assert_eq!(args.limits(), raised);
    }
}
