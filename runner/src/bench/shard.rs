//! `clic bench --shard K/N`: which scans a shard scores. A scan belongs to the shard of
//! its patient, so every study of a patient is scored on one machine and the patient-
//! clustered statistics computed after the merge see whole patients. The patient is
//! hashed without the project secret (`sha256("patient\0" + PatientID)`), so every
//! machine, whatever its `.clic/secret`, puts a scan in the same shard; a scan without a
//! PatientID goes by its StudyInstanceUID (`sha256("study\0" + uid)`), and a file without
//! either, or that does not parse, by its path in the reference set
//! (`sha256("file\0" + path)`). Shard K of N (1 <= K <= N) holds the scans whose digest,
//! read as a big-endian number from its first 8 bytes, is K - 1 modulo N.

use crate::facts::artifact::sha256_hex;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// One shard of N.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// Which, from 1.
    pub k: u32,
    /// Of how many.
    pub n: u32,
}

impl Shard {
    /// Reads `K/N`; the error says what is wrong.
    pub fn parse(text: &str) -> Result<Shard, String> {
        let Some((k, n)) = text.split_once('/') else {
            return Err(format!(
                "`{text}` is not a shard: write K/N, e.g. `--shard 2/3` for the second of three"
            ));
        };
        let number = |s: &str, what: &str| {
            s.trim().parse::<u32>().map_err(|_| {
                format!("`{text}` is not a shard: {what} `{s}` is not a whole number (write K/N, e.g. `2/3`)")
            })
        };
        let (k, n) = (number(k, "K")?, number(n, "N")?);
        if n == 0 {
            return Err(format!("`{text}` is not a shard: N must be at least 1"));
        }
        if k == 0 || k > n {
            return Err(format!(
                "`{text}` is not a shard: K counts from 1 to N ({n}), so 1/{n} is the first and {n}/{n} the last"
            ));
        }
        Ok(Shard { k, n })
    }

    /// Whether a scan is in this shard: `digest` is its patient's (or study's) digest,
    /// `None` when it has neither; `shown`, its path in the reference set.
    pub fn holds(&self, digest: Option<&str>, shown: &str) -> bool {
        self.of(digest, shown) == self.k
    }

    /// The shard (1..=N) a scan falls in.
    pub fn of(&self, digest: Option<&str>, shown: &str) -> u32 {
        let fallback;
        let d = match digest {
            Some(d) => d,
            None => {
                fallback = sha256_hex(format!("file\0{shown}").as_bytes());
                &fallback
            }
        };
        let head = d
            .get(..16)
            .and_then(|h| u64::from_str_radix(h, 16).ok())
            .unwrap_or(0);
        u32::try_from(head % u64::from(self.n)).unwrap_or(0) + 1
    }
}

impl std::fmt::Display for Shard {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.k, self.n)
    }
}

/// The format of a shard file.
pub const SHARD_FORMAT: &str = "clic-bench-shard/1";

/// The MAC domain of shard files.
const PURPOSE: &str = "clic-bench-shard";

/// Every shard's units in one ([`ShardFile::combine`]).
#[derive(Debug)]
pub struct Combined {
    /// The units of every scan.
    pub units: super::pipeline::Units,
    /// Every scan (file, sha256) the shards hashed, in file order.
    pub scans: Vec<(String, String)>,
    /// The benchmark key they share.
    pub key: String,
}

/// What `clic bench --shard K/N --output FILE` writes: the shard's units and what a
/// merge checks them against. The file starts with a line that authenticates it under
/// the project secret (shards are merged under the secret they were scored with: the
/// units' pseudonyms are keyed by it), then JSON.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ShardFile {
    /// [`SHARD_FORMAT`].
    pub format: String,
    /// Which shard.
    pub shard: Shard,
    /// sha256 of the benchmark key's lines before the scans: the manifest's input,
    /// output and analysis, the models, labels, training list, limits, clic and backend.
    pub inputs: String,
    /// The benchmark key (the inputs and every scan).
    pub key: String,
    /// Every scan of the reference set (file, sha256), in file order.
    pub scans: Vec<(String, String)>,
    /// The shard's units.
    pub units: super::pipeline::Units,
}

impl ShardFile {
    /// A shard's record.
    pub fn new(
        shard: Shard,
        inputs: String,
        key: String,
        scans: Vec<(String, String)>,
        units: super::pipeline::Units,
    ) -> Self {
        Self {
            format: SHARD_FORMAT.to_string(),
            shard,
            inputs,
            key,
            scans,
            units,
        }
    }

    /// The file's bytes: the MAC line, then the JSON.
    pub fn encode(&self) -> Vec<u8> {
        let json = serde_json::to_vec(self).unwrap_or_default();
        let mut out = format!(
            "{SHARD_FORMAT} hmac-sha256 {}\n",
            crate::pseudonym::key().mac(PURPOSE, &json)
        )
        .into_bytes();
        out.extend_from_slice(&json);
        out.push(b'\n');
        out
    }

    /// A shard file read back; the error says why it is not one this project can merge.
    pub fn decode(bytes: &[u8]) -> Result<ShardFile, String> {
        let newline = bytes
            .iter()
            .take(256)
            .position(|&b| b == b'\n')
            .ok_or("it is not a clic shard file (no header line)")?;
        let head =
            std::str::from_utf8(&bytes[..newline]).map_err(|_| "it is not a clic shard file")?;
        let mac = head
            .strip_prefix(&format!("{SHARD_FORMAT} hmac-sha256 "))
            .ok_or_else(|| format!("it is not a clic shard file (its first line is not `{SHARD_FORMAT} hmac-sha256 ...`)"))?;
        let body = &bytes[newline + 1..];
        let json = body.strip_suffix(b"\n").unwrap_or(body);
        if mac != crate::pseudonym::key().mac(PURPOSE, json) {
            return Err("its authentication does not verify under this project's secret: it was edited, or scored under another `.clic/secret` (every shard and the merge must share one secret)".to_string());
        }
        let file: ShardFile = serde_json::from_slice(json)
            .map_err(|e| format!("it is not a clic shard file: {e}"))?;
        if file.format != SHARD_FORMAT {
            return Err(format!(
                "its format is `{}`, not `{SHARD_FORMAT}`",
                file.format
            ));
        }
        Ok(file)
    }

    /// Every shard's units in one, with the scans and the key they share: each of the N
    /// shards exactly once, all of one benchmark (`inputs` is this project's
    /// [`ShardFile::inputs`]), every scan in exactly one shard.
    pub fn combine(mut shards: Vec<ShardFile>, inputs: &str) -> Result<Combined, String> {
        shards.sort_by_key(|s| s.shard.k);
        let Some(first) = shards.first() else {
            return Err("no shard to merge".to_string());
        };
        let (n, key, scans, models, present) = (
            first.shard.n,
            first.key.clone(),
            first.scans.clone(),
            first.units.models.clone(),
            first.units.present.clone(),
        );
        for s in &shards {
            let at = s.shard;
            if at.n != n {
                return Err(format!(
                    "shard {at} is one of {}, shard {} one of {n}: every shard must come from the same `--shard K/N` split",
                    at.n, first.shard
                ));
            }
            if s.inputs != inputs {
                return Err(format!(
                    "shard {at} was scored from other inputs than this project's (its manifest, a model, the labels, the training list or the limits differ)"
                ));
            }
            if s.key != key || s.scans != scans || s.units.present != present {
                return Err(format!(
                    "shard {at} and shard {} scored different reference sets (a scan was added, removed or changed between them)",
                    first.shard
                ));
            }
            if s.units.models != models {
                return Err(format!(
                    "shard {at} and shard {} ran different models",
                    first.shard
                ));
            }
        }
        let ks: Vec<u32> = shards.iter().map(|s| s.shard.k).collect();
        let mut seen = BTreeSet::new();
        for k in &ks {
            if !seen.insert(*k) {
                return Err(format!("shard {k}/{n} is given twice: shards overlap"));
            }
        }
        let missing: Vec<String> = (1..=n)
            .filter(|k| !seen.contains(k))
            .map(|k| format!("{k}/{n}"))
            .collect();
        if !missing.is_empty() {
            return Err(format!(
                "shard(s) {} missing: a merge needs all {n}",
                missing.join(", ")
            ));
        }
        let mut units = Vec::with_capacity(present.len());
        for s in shards {
            units.extend(s.units.units);
        }
        units.sort_by_key(|u| u.0);
        let indices: Vec<usize> = units.iter().map(|u| u.0).collect();
        if indices.len() != present.len() || indices.iter().enumerate().any(|(i, &j)| i != j) {
            return Err(format!(
                "the shards hold {} unit(s) for {} scan(s): a scan is missing or in two shards",
                indices.len(),
                present.len()
            ));
        }
        Ok(Combined {
            units: super::pipeline::Units {
                units,
                present,
                models,
            },
            scans,
            key,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_parse_and_bad_ones_say_why() {
        assert_eq!(Shard::parse("2/3"), Ok(Shard { k: 2, n: 3 }));
        assert_eq!(Shard::parse("1/1"), Ok(Shard { k: 1, n: 1 }));
        for bad in [
            "0/3", "4/3", "1/0", "0/0", "a/b", "3", "", "-1/3", "1/3/4", "1.5/3",
        ] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn every_scan_is_in_exactly_one_shard_and_a_patient_stays_together() {
        for n in 1..6 {
            for i in 0..50 {
                let d = sha256_hex(format!("patient\0P{i}").as_bytes());
                let holding: Vec<u32> = (1..=n)
                    .filter(|&k| Shard { k, n }.holds(Some(&d), &format!("f{i}")))
                    .collect();
                assert_eq!(holding.len(), 1);
                // The file's name does not matter when the patient is known.
                assert!(Shard { k: holding[0], n }.holds(Some(&d), "another"));
            }
        }
    }
}
