//! What the per-scan cache ([`super::store`]) holds and under which keys.
//!
//! - A **tensor** is keyed by the scan's digest, the whole input spec (tensor name,
//!   modalities, every preprocessing step as the plan serialises it), the reading
//!   limits (a limit decides whether a scan reads at all), clic's version and the
//!   fingerprint of its reading code (every file of `runner/src/dicom/` and the
//!   decoders' versions in `Cargo.lock`, `build.rs`). It is stored as raw little-endian
//!   f32 after a one-line header naming its shape.
//! - A **reading record** (the scan's [`ScanInfo`], its [`Placement`] and shard, or why
//!   it is unreadable) is keyed by the tensor key and the file's name in the reference
//!   set, since the record and its messages name the file.
//! - An **output row** is keyed by the tensor key, the model's digest, the backend and
//!   its version, and the output read; it keeps the row's shape, so the task's layout
//!   is checked on a hit as on a run.

use crate::dicom::{Placement, ScanInfo};
use crate::facts::artifact::sha256_hex;
use clic_compiler::plan::InputSpec;
use serde::{Deserialize, Serialize};

/// The format of the records; part of every key.
const FORMAT: &str = "clic-scan-records/1";

/// The fingerprint of clic's reading code (decoders, preprocessing), from `build.rs`.
pub const READING_FINGERPRINT: &str = env!("CLIC_READING_FINGERPRINT");

/// The key of a scan's tensor.
pub fn tensor_key(scan_sha256: &str, input: &InputSpec, limits: &crate::dicom::Limits) -> String {
    sha256_hex(
        format!(
            "{FORMAT} tensor\nclic {} reading {READING_FINGERPRINT}\nscan {scan_sha256}\ninput {}\nlimits {} {}\n",
            env!("CARGO_PKG_VERSION"),
            serde_json::to_string(input).unwrap_or_default(),
            limits.max_scan_bytes,
            limits.max_pixels,
        )
        .as_bytes(),
    )
}

/// The key of a scan's tensor under a perturbation of the robustness study (the
/// perturbation is applied to the decoded image, before the preprocessing).
pub fn perturbed_key(tensor_key: &str, p: &clic_compiler::plan::Perturbation) -> String {
    sha256_hex(
        format!(
            "{FORMAT} perturbed\ntensor {tensor_key}\nperturbation {}\n",
            serde_json::to_string(p).unwrap_or_default()
        )
        .as_bytes(),
    )
}

/// The key of a scan's reading record.
pub fn read_key(tensor_key: &str, shown: &str) -> String {
    sha256_hex(format!("{FORMAT} read\ntensor {tensor_key}\nfile {shown}\n").as_bytes())
}

/// The key of a model's output row for a tensor.
pub fn score_key(tensor_key: &str, model_sha256: &str, output: &str) -> String {
    let backend = crate::engine::backend();
    score_key_on(
        tensor_key,
        model_sha256,
        output,
        (backend.name(), &backend.version),
    )
}

/// [`score_key`] of a row computed on the backend `(name, version)`.
pub fn score_key_on(
    tensor_key: &str,
    model_sha256: &str,
    output: &str,
    (name, version): (&str, &str),
) -> String {
    sha256_hex(
        format!(
            "{FORMAT} score\ntensor {tensor_key}\nmodel {model_sha256}\nbackend {name} {version}\noutput {output}\n",
        )
        .as_bytes(),
    )
}

/// What reading a scan yields.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Reading {
    /// Read, decoded and preprocessed: its tensor is stored under the tensor key.
    Read {
        /// What the file says.
        info: Box<ScanInfo>,
        /// Where it sits in its study.
        placement: Placement,
        /// What shard it belongs to.
        shard: ShardOf,
    },
    /// Why it cannot be scored, as the evidence lists it.
    Unreadable {
        /// The message (`file (syntax): reason`).
        message: String,
        /// What shard it belongs to.
        shard: ShardOf,
    },
}

/// A scan's shard digest as a record keeps it: its first 8 bytes (all a shard needs)
/// masked by a pad keyed by the project secret and the record's key, so no unsalted
/// digest of a PatientID is ever at rest.
pub fn mask_shard(digest: Option<&str>, read_key: &str) -> Option<String> {
    let point = u64::from_str_radix(digest?.get(..16)?, 16).ok()?;
    Some(format!("{:016x}", point ^ pad(read_key)))
}

/// [`mask_shard`] undone: the first 8 bytes of the shard digest, as hex.
pub fn unmask_shard(masked: Option<&str>, read_key: &str) -> Option<String> {
    let m = u64::from_str_radix(masked?, 16).ok()?;
    Some(format!("{:016x}", m ^ pad(read_key)))
}

fn pad(read_key: &str) -> u64 {
    let mac = crate::pseudonym::key().mac("clic-shard-pad", read_key.as_bytes());
    mac.get(..16)
        .and_then(|h| u64::from_str_radix(h, 16).ok())
        .unwrap_or(0)
}

/// What a sharded run groups a scan by.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum ShardOf {
    /// [`crate::dicom::Parsed::shard_digest`] masked ([`mask_shard`]): its patient's or
    /// study's, or none (it goes by its file).
    Known(Option<String>),
    /// Not known here (a record a merge wrote): a sharded run reads the file again.
    Unknown,
}

impl Reading {
    /// The record as stored.
    pub fn encode(&self) -> Vec<u8> {
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// A stored record.
    pub fn decode(bytes: &[u8]) -> Option<Self> {
        serde_json::from_slice(bytes).ok()
    }
}

/// Values as stored: a header line `f32le D1xD2x...\n`, then each value's four bytes,
/// little-endian.
pub fn encode_f32(shape: &[usize], values: &[f32]) -> Vec<u8> {
    let dims: Vec<String> = shape.iter().map(usize::to_string).collect();
    let mut out = format!("f32le {}\n", dims.join("x")).into_bytes();
    out.reserve(values.len() * 4);
    for v in values {
        out.extend_from_slice(&v.to_le_bytes());
    }
    out
}

/// Stored values and their shape; `None` unless the header's shape holds exactly the
/// values that follow.
pub fn decode_f32(bytes: &[u8]) -> Option<(Vec<usize>, Vec<f32>)> {
    let newline = bytes.iter().take(128).position(|&b| b == b'\n')?;
    let head = std::str::from_utf8(&bytes[..newline]).ok()?;
    let dims = head.strip_prefix("f32le ")?;
    let shape: Vec<usize> = if dims.is_empty() {
        Vec::new()
    } else {
        dims.split('x')
            .map(|d| d.parse().ok())
            .collect::<Option<_>>()?
    };
    let count = shape.iter().try_fold(1usize, |a, &d| a.checked_mul(d))?;
    let data = &bytes[newline + 1..];
    if Some(data.len()) != count.checked_mul(4) {
        return None;
    }
    let values = data
        .chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect();
    Some((shape, values))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_round_trip_bit_for_bit_and_a_wrong_length_is_refused() {
        let values = [0.1f32, -0.0, f32::MIN_POSITIVE, 1e-45, f32::NAN, 3.0];
        let bytes = encode_f32(&[1, 2, 3], &values);
        let (shape, back) = decode_f32(&bytes).expect("decodes");
        assert_eq!(shape, vec![1, 2, 3]);
        assert_eq!(
            back.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
            values.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
        );
        assert!(decode_f32(&bytes[..bytes.len() - 1]).is_none());
        let mut longer = bytes.clone();
        longer.extend_from_slice(&[0; 4]);
        assert!(decode_f32(&longer).is_none());
        assert!(decode_f32(b"f32le 99999999999999999999x9\n").is_none());
        assert!(decode_f32(b"garbage").is_none());
    }

    #[test]
    fn every_input_of_a_tensor_changes_its_key() {
        let input: InputSpec =
            serde_json::from_str(r#"{"tensor":"image","modalities":["CR"],"steps":[]}"#)
                .expect("an input spec");
        let limits = crate::dicom::Limits::default();
        let base = tensor_key("aa", &input, &limits);
        assert_ne!(base, tensor_key("ab", &input, &limits));
        let mut other = input.clone();
        other.modalities.push("DX".into());
        assert_ne!(base, tensor_key("aa", &other, &limits));
        let mut other = input.clone();
        other.tensor = "x".into();
        assert_ne!(base, tensor_key("aa", &other, &limits));
        let smaller = crate::dicom::Limits {
            max_pixels: 10,
            ..limits
        };
        assert_ne!(base, tensor_key("aa", &input, &smaller));
        assert_ne!(read_key(&base, "a.dcm"), read_key(&base, "b.dcm"));
        assert_ne!(
            score_key(&base, "m1", "prob"),
            score_key(&base, "m2", "prob")
        );
        assert_ne!(
            score_key(&base, "m1", "prob"),
            score_key(&base, "m1", "logits")
        );
        assert_ne!(
            score_key_on(&base, "m1", "prob", ("tract", "t")),
            score_key_on(&base, "m1", "prob", ("onnxruntime", "1.31.1"))
        );
    }
}
