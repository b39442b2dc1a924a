//! The shared tier of the per-scan cache: an S3-compatible bucket (`--cache-remote
//! s3://bucket/prefix` or `CLIC_CACHE_REMOTE`) that CI runners and shards read on a local
//! miss and write after a local write, so that one machine's decoded tensors and model
//! rows serve the others. The local store ([`super::store`]) stays the primary.
//!
//! - **Layout**: an entry is stored under `prefix/scans/KIND/KE/Y...`, the bytes of the
//!   local entry file unchanged (its MAC line first).
//! - **Trust**: an entry read from the bucket is verified exactly as a local one, by the
//!   MAC of its key and body under the project secret (`.clic/secret`). Every machine
//!   that shares a bucket must share that secret (as shards must: the pseudonyms in the
//!   records are keyed by it). An entry that does not verify (edited, forged, made under
//!   another secret, too large) is ignored, reported on stderr and recomputed: whoever
//!   can write to the bucket without the secret cannot change a result.
//! - **Failures**: the bucket is a speed-up only. An unreachable endpoint, a refused
//!   request (403) or a timeout is a warning; the run turns the remote off and computes
//!   locally. Each request is bounded ([`CONNECT_TIMEOUT`], [`REQUEST_TIMEOUT`], one
//!   retry), so a dead endpoint costs seconds, never a hang.
//! - **Endpoint and credentials**: the standard AWS variables (`AWS_ENDPOINT_URL`,
//!   `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_REGION`, `AWS_ALLOW_HTTP=true` for
//!   a plain-HTTP endpoint such as a local server).
//!
//! The evidence does not depend on where an entry came from: a run with the remote gives
//! the same bytes as a run without.

//!
//! The client is built with the `s3` cargo feature (release binaries have it; a plain
//! `cargo install --path .` leaves it out, which saves a sixth of the cold build). Without
//! it a configured remote is a warning and the run is local, as for an unreachable one.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// The environment variable naming the shared cache (`s3://bucket/prefix`).
pub const REMOTE_VARIABLE: &str = "CLIC_CACHE_REMOTE";

/// The longest a connection to the bucket may take to open.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// The longest one request (a get or a put of one entry) may take.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// How many rejected entries are named one by one before only the count is reported.
const NAMED_REJECTIONS: u64 = 5;

/// A shared cache location: a bucket and a key prefix.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// The bucket.
    pub bucket: String,
    /// The key prefix (no leading or trailing `/`; may be empty).
    pub prefix: String,
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.prefix.is_empty() {
            write!(f, "s3://{}", self.bucket)
        } else {
            write!(f, "s3://{}/{}", self.bucket, self.prefix)
        }
    }
}

/// Reads `s3://bucket[/prefix]`; the error says what is wrong.
pub fn parse_location(text: &str) -> Result<Location, String> {
    let rest = text.trim().strip_prefix("s3://").ok_or_else(|| {
        format!("`{text}` is not a shared cache: write s3://BUCKET or s3://BUCKET/PREFIX")
    })?;
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    let valid_bucket = (3..=63).contains(&bucket.len())
        && bucket
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
    if !valid_bucket {
        return Err(format!(
            "`{text}` is not a shared cache: the bucket `{bucket}` is not an S3 bucket name (3 to 63 lower-case letters, digits, `-` or `.`)"
        ));
    }
    let prefix = prefix.trim_matches('/');
    if prefix
        .split('/')
        .any(|part| part == "." || part == ".." || (part.is_empty() && !prefix.is_empty()))
        || prefix.chars().any(char::is_control)
    {
        return Err(format!(
            "`{text}` is not a shared cache: the prefix `{prefix}` has an empty, `.` or `..` part"
        ));
    }
    Ok(Location {
        bucket: bucket.to_string(),
        prefix: prefix.to_string(),
    })
}

static CONFIGURED: OnceLock<Option<Location>> = OnceLock::new();
static SHARED: OnceLock<Option<Arc<Remote>>> = OnceLock::new();

/// Sets the shared cache for this process (the `--cache-remote` flag), over
/// `CLIC_CACHE_REMOTE`. Call it before the first store is opened; the first call wins.
pub fn configure(location: Location) {
    let _ = CONFIGURED.set(Some(location));
}

/// The shared cache of this process, if one is configured and its client could be made
/// (a malformed `CLIC_CACHE_REMOTE` or client settings are a warning: the run is local).
pub fn shared() -> Option<Arc<Remote>> {
    SHARED
        .get_or_init(|| {
            let location = CONFIGURED
                .get_or_init(|| {
                    let text = std::env::var(REMOTE_VARIABLE).ok()?;
                    if text.trim().is_empty() {
                        return None;
                    }
                    match parse_location(&text) {
                        Ok(l) => Some(l),
                        Err(why) => {
                            eprintln!("warning: {REMOTE_VARIABLE}: {why}; the cache is local only");
                            None
                        }
                    }
                })
                .clone()?;
            match Remote::open(location.clone()) {
                Ok(r) => Some(Arc::new(r)),
                Err(why) => {
                    eprintln!(
                        "warning: the shared cache `{location}` cannot be used ({why}); the cache is local only"
                    );
                    None
                }
            }
        })
        .clone()
}

/// An S3-compatible bucket holding per-scan entries, and what this run did with it.
pub struct Remote {
    location: Location,
    client: client::Client,
    /// Off after the first failure: the run goes on locally.
    off: AtomicBool,
    fetched: AtomicU64,
    stored: AtomicU64,
    rejected: AtomicU64,
}

impl std::fmt::Debug for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Remote")
            .field("location", &self.location)
            .finish_non_exhaustive()
    }
}

/// What a read of one entry found.
#[cfg_attr(
    not(feature = "s3"),
    expect(
        dead_code,
        reason = "without the `s3` feature there is no client to read"
    )
)]
enum Fetch {
    Bytes(Vec<u8>),
    Missing,
    TooLarge,
}

impl Remote {
    /// A client for `location`, configured from the AWS environment variables, with
    /// clic's bounds on time. Makes no request.
    pub fn open(location: Location) -> Result<Remote, String> {
        let client = client::Client::open(&location)?;
        Ok(Remote {
            location,
            client,
            off: AtomicBool::new(false),
            fetched: AtomicU64::new(0),
            stored: AtomicU64::new(0),
            rejected: AtomicU64::new(0),
        })
    }

    /// Where it is.
    pub fn location(&self) -> &Location {
        &self.location
    }

    fn path(&self, relative: &str) -> String {
        if self.location.prefix.is_empty() {
            relative.to_string()
        } else {
            format!("{}/{relative}", self.location.prefix)
        }
    }

    fn fail(&self, what: &str, relative: &str, why: &str) {
        if !self.off.swap(true, Ordering::Relaxed) {
            eprintln!(
                "warning: the shared cache `{}` failed to {what} `{relative}` ({why}); this run computes without it",
                self.location,
            );
        }
    }

    /// The bytes stored at `relative` (`scans/KIND/..`), if present and at most `max`
    /// bytes; `None` on a miss, and on a failure (reported once, the remote then off).
    pub fn get(&self, relative: &str, max: u64) -> Option<Vec<u8>> {
        if self.off.load(Ordering::Relaxed) {
            return None;
        }
        match self.client.get(&self.path(relative), max) {
            Ok(Fetch::Bytes(bytes)) => Some(bytes),
            Ok(Fetch::TooLarge) => {
                self.reject(relative, "it is larger than any entry clic writes");
                None
            }
            Ok(Fetch::Missing) => None,
            Err(why) => {
                self.fail("read", relative, &why);
                None
            }
        }
    }

    /// Stores `bytes` at `relative`; a failure is reported once and turns the remote off.
    pub fn put(&self, relative: &str, bytes: &[u8]) {
        if self.off.load(Ordering::Relaxed) {
            return;
        }
        match self.client.put(&self.path(relative), bytes) {
            Ok(()) => {
                self.stored.fetch_add(1, Ordering::Relaxed);
            }
            Err(why) => self.fail("write", relative, &why),
        }
    }

    /// An entry taken from the bucket, verified and used.
    pub fn fetched(&self) {
        self.fetched.fetch_add(1, Ordering::Relaxed);
    }

    /// An entry of the bucket that is not used: named (the first few), counted.
    pub fn reject(&self, relative: &str, why: &str) {
        let n = self.rejected.fetch_add(1, Ordering::Relaxed);
        if n < NAMED_REJECTIONS {
            eprintln!(
                "warning: the shared cache entry `{}/{relative}` is ignored: {why}; it is computed here",
                self.location
            );
        }
    }

    /// (fetched, stored, rejected) entries so far.
    pub fn counts(&self) -> (u64, u64, u64) {
        (
            self.fetched.load(Ordering::Relaxed),
            self.stored.load(Ordering::Relaxed),
            self.rejected.load(Ordering::Relaxed),
        )
    }

    /// Whether a failure turned it off for this run.
    pub fn is_off(&self) -> bool {
        self.off.load(Ordering::Relaxed)
    }

    /// One line on stderr: what this run took from and gave to the bucket.
    pub fn report(&self) {
        let (fetched, stored, rejected) = self.counts();
        eprintln!(
            "shared cache `{}`: {fetched} entries fetched, {stored} stored, {rejected} rejected{}",
            self.location,
            if self.is_off() {
                " (turned off after a failure)"
            } else {
                ""
            }
        );
    }
}

/// The object store client (`object_store` over S3, driven on a one-thread tokio runtime).
#[cfg(feature = "s3")]
mod client {
    use super::{Fetch, Location, CONNECT_TIMEOUT, REQUEST_TIMEOUT};
    use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
    use object_store::path::Path as ObjectPath;
    use object_store::{ClientConfigKey, ObjectStore, PutPayload, RetryConfig};

    pub(super) struct Client {
        store: Box<dyn ObjectStore>,
        runtime: tokio::runtime::Runtime,
    }

    impl Client {
        pub(super) fn open(location: &Location) -> Result<Client, String> {
            let store = AmazonS3Builder::from_env()
                .with_bucket_name(&location.bucket)
                .with_config(
                    AmazonS3ConfigKey::Client(ClientConfigKey::ConnectTimeout),
                    format!("{}s", CONNECT_TIMEOUT.as_secs()),
                )
                .with_config(
                    AmazonS3ConfigKey::Client(ClientConfigKey::Timeout),
                    format!("{}s", REQUEST_TIMEOUT.as_secs()),
                )
                .with_retry(RetryConfig {
                    max_retries: 1,
                    retry_timeout: REQUEST_TIMEOUT,
                    ..RetryConfig::default()
                })
                .build()
                .map_err(|e| e.to_string())?;
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| e.to_string())?;
            Ok(Client {
                store: Box::new(store),
                runtime,
            })
        }

        pub(super) fn get(&self, path: &str, max: u64) -> Result<Fetch, String> {
            let path = ObjectPath::from(path);
            let got = self.runtime.block_on(async {
                let result = self.store.get(&path).await?;
                if result.meta.size > max {
                    return Ok(None);
                }
                result.bytes().await.map(|b| Some(b.to_vec()))
            });
            match got {
                Ok(Some(bytes)) => Ok(Fetch::Bytes(bytes)),
                Ok(None) => Ok(Fetch::TooLarge),
                Err(object_store::Error::NotFound { .. }) => Ok(Fetch::Missing),
                Err(e) => Err(one_line(&e)),
            }
        }

        pub(super) fn put(&self, path: &str, bytes: &[u8]) -> Result<(), String> {
            let path = ObjectPath::from(path);
            let payload = PutPayload::from(bytes.to_vec());
            self.runtime
                .block_on(async { self.store.put(&path, payload).await })
                .map(|_| ())
                .map_err(|e| one_line(&e))
        }
    }

    /// An object store error on one line (they can span several, with the request's body).
    fn one_line(e: &object_store::Error) -> String {
        let text = e.to_string();
        // A refusal says so first, with the server's S3 error code (SignatureDoesNotMatch:
        // the secret; InvalidAccessKeyId: the key id; AccessDenied: the policy): the
        // message's first line names the path and the request's timing, and the status
        // came after them, cut off.
        let refused = match e {
            object_store::Error::PermissionDenied { .. } => Some("access denied (HTTP 403)"),
            object_store::Error::Unauthenticated { .. } => Some("not authenticated (HTTP 401)"),
            _ => None,
        };
        if let Some(refused) = refused {
            let code = text
                .split("<Code>")
                .nth(1)
                .and_then(|s| s.split("</Code>").next())
                .filter(|c| c.len() <= 64 && c.bytes().all(|b| b.is_ascii_alphanumeric()))
                .map(|c| format!(", {c}"))
                .unwrap_or_default();
            return format!(
                "{refused}{code}: check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and the \
                 bucket's policy"
            );
        }
        let line = text.lines().next().unwrap_or_default();
        line.chars().take(300).collect()
    }
}

/// Without the `s3` feature: no client, and a remote that was asked for says why.
#[cfg(not(feature = "s3"))]
mod client {
    use super::{Fetch, Location};

    pub(super) enum Client {}

    impl Client {
        pub(super) fn open(_: &Location) -> Result<Client, String> {
            Err("this clic was built without the `s3` feature: install it with `cargo install --path . --locked --features s3`, or use a release binary".into())
        }

        pub(super) fn get(&self, _: &str, _: u64) -> Result<Fetch, String> {
            match *self {}
        }

        pub(super) fn put(&self, _: &str, _: &[u8]) -> Result<(), String> {
            match *self {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_parse_and_bad_ones_say_why() {
        assert_eq!(
            parse_location("s3://clic-cache/team/x/"),
            Ok(Location {
                bucket: "clic-cache".into(),
                prefix: "team/x".into()
            })
        );
        assert_eq!(
            parse_location("s3://bucket").map(|l| l.to_string()),
            Ok("s3://bucket".to_string())
        );
        for bad in [
            "bucket",
            "http://bucket/x",
            "s3://",
            "s3://B_ucket",
            "s3://ab",
            "s3://bucket/a//b",
            "s3://bucket/../x",
        ] {
            assert!(parse_location(bad).is_err(), "{bad}");
        }
    }
}
