//! One scan of the reference set, from its file or from the per-scan cache: what a
//! decoding thread of [`super::pipeline`] does with each file. A scan is read at most
//! once and hashed as it is read (the digest feeds the cache key, the record and the
//! tensor key); it is decoded only when neither its model rows nor its tensor are
//! cached, and not at all when it falls in another shard.

use super::records::{self, Reading, ShardOf};
use super::shard::Shard;
use super::store::{Kind, Store};
use super::ScanFile;
use crate::bench::cache::FileDigests;
use crate::dicom::{self, Limits, Placement, ScanInfo};
use crate::facts::artifact::sha256_hex;
use clic_compiler::plan::InputSpec;

/// What a decoding thread hands the scoring thread for one file.
pub(crate) enum Outcome {
    /// In another shard: not scored here.
    Elsewhere,
    /// Cannot be scored: the evidence's message.
    Unreadable(String),
    /// Read: its rows where cached, and its tensor when some row is not.
    Read(Box<ReadScan>),
}

/// A scan read (or its record found), waiting for the rows the cache did not hold.
pub(crate) struct ReadScan {
    pub(crate) info: ScanInfo,
    pub(crate) placement: Placement,
    /// Its tensor key, when the file's digest is known and the cache in use.
    pub(crate) tensor_key: Option<String>,
    /// Each model's row, where cached.
    pub(crate) rows: Vec<Option<Vec<f32>>>,
    /// The tensor, when a row is missing.
    pub(crate) tensor: Option<Vec<f32>>,
    /// Whether it was decoded in this run (not found in the cache).
    pub(crate) decoded: bool,
}

/// What every file of a run shares.
pub(crate) struct Context<'a> {
    pub(crate) input: &'a InputSpec,
    pub(crate) limits: Limits,
    pub(crate) shape: [usize; 3],
    pub(crate) digests: &'a FileDigests,
    pub(crate) store: Option<&'a Store>,
    pub(crate) shard: Option<Shard>,
    /// Each model's digest and output, in scorer order.
    pub(crate) models: Vec<(String, String)>,
    /// The task's layout: values per scan of an output of this shape and batch.
    pub(crate) layout: super::pipeline::Layout<'a>,
    /// The backend the rows are scored on, when not this process's.
    pub(crate) on: Option<&'a crate::engine::Alternative>,
    /// The perturbation of the robustness study applied to each decoded image, if any.
    pub(crate) perturb: Option<&'a clic_compiler::plan::Perturbation>,
}

impl Context<'_> {
    fn in_shard(&self, shard_digest: Option<&str>, shown: &str) -> bool {
        self.shard.is_none_or(|s| s.holds(shard_digest, shown))
    }

    /// Whether a record's scan is in the shard; `None` when the record cannot say.
    fn record_in_shard(&self, shard: &ShardOf, tensor_key: &str, shown: &str) -> Option<bool> {
        match (shard, self.shard) {
            (_, None) => Some(true),
            (ShardOf::Known(None), Some(s)) => Some(s.holds(None, shown)),
            (ShardOf::Known(Some(masked)), Some(s)) => {
                // A mask that does not read back is a record to read again.
                let digest =
                    records::unmask_shard(Some(masked), &records::read_key(tensor_key, shown))?;
                Some(s.holds(Some(&digest), shown))
            }
            (ShardOf::Unknown, Some(_)) => None,
        }
    }

    /// A cached row of model `m` for `tensor_key`, its shape checked by the task's layout
    /// as a run checks the model's output (a row that no longer fits is a miss, and the
    /// run's own message follows).
    /// The key of a scan's tensor, under the run's perturbation.
    fn tensor_key(&self, scan_sha256: &str) -> String {
        let tk = records::tensor_key(scan_sha256, self.input, &self.limits);
        match self.perturb {
            Some(p) => records::perturbed_key(&tk, p),
            None => tk,
        }
    }

    /// The key of model `m`'s row for `tensor_key`, on the backend of the run.
    pub(crate) fn score_key(&self, tensor_key: &str, m: usize) -> String {
        let (digest, output) = &self.models[m];
        match self.on {
            Some(on) => records::score_key_on(tensor_key, digest, output, (on.name(), &on.version)),
            None => records::score_key(tensor_key, digest, output),
        }
    }

    fn cached_row(&self, tensor_key: &str, m: usize) -> Option<Vec<f32>> {
        let store = self.store?;
        let body = store.get(Kind::Score, &self.score_key(tensor_key, m))?;
        let (shape, row) = records::decode_f32(&body)?;
        let mut full: Vec<i64> = vec![1];
        full.extend(shape.iter().map(|&d| i64::try_from(d).unwrap_or(-1)));
        ((self.layout)(&full, 1).ok() == Some(row.len())).then_some(row)
    }

    fn cached_tensor(&self, tensor_key: &str) -> Option<Vec<f32>> {
        let (shape, values) = records::decode_f32(&self.store?.get(Kind::Tensor, tensor_key)?)?;
        (shape == self.shape).then_some(values)
    }

    /// The outcome of a reading record: rows and tensor from the cache. `None` when the
    /// tensor is needed and not cached (the caller decodes).
    fn outcome_of(&self, tensor_key: &str, reading: Reading, shown: &str) -> Option<Outcome> {
        let shard = match &reading {
            Reading::Unreadable { shard, .. } | Reading::Read { shard, .. } => shard,
        };
        if !self.record_in_shard(shard, tensor_key, shown)? {
            return Some(Outcome::Elsewhere);
        }
        Some(match reading {
            Reading::Unreadable { message, .. } => Outcome::Unreadable(message),
            Reading::Read {
                info, placement, ..
            } => {
                let rows: Vec<Option<Vec<f32>>> = (0..self.models.len())
                    .map(|m| self.cached_row(tensor_key, m))
                    .collect();
                let tensor = if rows.iter().all(Option::is_some) {
                    None
                } else {
                    Some(self.cached_tensor(tensor_key)?)
                };
                Outcome::Read(Box::new(ReadScan {
                    info: *info,
                    placement,
                    tensor_key: Some(tensor_key.to_string()),
                    rows,
                    tensor,
                    decoded: false,
                }))
            }
        })
    }

    fn record(&self, tensor_key: &str, shown: &str) -> Option<Reading> {
        Reading::decode(
            &self
                .store?
                .get(Kind::Read, &records::read_key(tensor_key, shown))?,
        )
    }

    /// One file of the reference set.
    pub(crate) fn scan(&self, f: &ScanFile) -> Outcome {
        // Known without reading it (its stamp holds): the cache may answer alone.
        let known = self.digests.known(&f.path);
        if let (Some(digest), Some(_)) = (&known, self.store) {
            let tk = self.tensor_key(digest);
            if let Some(outcome) = self
                .record(&tk, &f.shown)
                .and_then(|r| self.outcome_of(&tk, r, &f.shown))
            {
                return outcome;
            }
        }
        let meta = std::fs::metadata(&f.path).ok();
        let bytes = match dicom::read_file(&f.path, &f.shown, &self.limits) {
            Ok(b) => b,
            Err(e) => {
                return if self.in_shard(None, &f.shown) {
                    Outcome::Unreadable(e.to_string())
                } else {
                    Outcome::Elsewhere
                }
            }
        };
        let sha256 = sha256_hex(&bytes);
        if let Some(meta) = &meta {
            self.digests.record(&f.path, meta, &sha256);
        }
        let tk = self.tensor_key(&sha256);
        if known.as_deref() != Some(sha256.as_str()) {
            // A file whose stamp changed but whose bytes did not (touched, copied back).
            if let Some(outcome) = self
                .record(&tk, &f.shown)
                .and_then(|r| self.outcome_of(&tk, r, &f.shown))
            {
                return outcome;
            }
        }
        self.decode(f, &bytes, sha256, &tk)
    }

    /// Parses, decodes and preprocesses a file read; stores its record and tensor.
    fn decode(&self, f: &ScanFile, bytes: &[u8], sha256: String, tk: &str) -> Outcome {
        let read_key = records::read_key(tk, &f.shown);
        let store = |reading: &Reading| {
            if let Some(s) = self.store {
                let _ = s.put(Kind::Read, &read_key, &reading.encode());
            }
        };
        let unreadable = |message: String, shard: Option<String>| {
            let inside = self.in_shard(shard.as_deref(), &f.shown);
            let reading = Reading::Unreadable {
                message,
                shard: ShardOf::Known(records::mask_shard(shard.as_deref(), &read_key)),
            };
            store(&reading);
            match reading {
                Reading::Unreadable { message, .. } if inside => Outcome::Unreadable(message),
                _ => Outcome::Elsewhere,
            }
        };
        let seed = sha256.clone();
        let parsed = match dicom::parse_digested(bytes, sha256, &f.shown, &self.limits) {
            Ok(p) => p,
            Err(e) => return unreadable(e.to_string(), None),
        };
        let shard = parsed.shard_digest();
        if !self.in_shard(shard.as_deref(), &f.shown) {
            return Outcome::Elsewhere;
        }
        let info = parsed.info();
        let placement = parsed.placement();
        let image = match parsed.decode(&info) {
            Ok(i) => i,
            Err(e) => return unreadable(e.to_string(), shard),
        };
        drop(parsed);
        let image = match self.perturb {
            Some(p) => match dicom::perturb::apply(&image, p, &seed) {
                Ok(i) => i,
                Err(e) => {
                    return unreadable(format!("`{}` under {}: {e}", f.shown, p.label()), shard)
                }
            },
            None => image,
        };
        let input = self.input;
        if !input.modalities.is_empty() && !input.modalities.contains(&info.modality) {
            return unreadable(
                format!(
                    "`{}`: modality {} is not among those the manifest accepts ({})",
                    f.shown,
                    info.modality,
                    input.modalities.join(", ")
                ),
                shard,
            );
        }
        let tensor = match dicom::preprocess(&image, &input.steps) {
            Ok(t) => t,
            Err(e) => return unreadable(format!("`{}`: {e}", f.shown), shard),
        };
        drop(image);
        let cached = self.store.is_some() && tensor.len() == self.shape.iter().product::<usize>();
        if cached {
            if let Some(s) = self.store {
                let _ = s.put(Kind::Tensor, tk, &records::encode_f32(&self.shape, &tensor));
            }
            store(&Reading::Read {
                info: Box::new(info.clone()),
                placement: placement.clone(),
                shard: ShardOf::Known(records::mask_shard(shard.as_deref(), &read_key)),
            });
        }
        let rows = (0..self.models.len())
            .map(|m| if cached { self.cached_row(tk, m) } else { None })
            .collect();
        Outcome::Read(Box::new(ReadScan {
            info,
            placement,
            tensor_key: cached.then(|| tk.to_string()),
            rows,
            tensor: Some(tensor),
            decoded: true,
        }))
    }
}
