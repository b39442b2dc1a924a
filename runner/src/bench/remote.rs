//! The shared tier of the per-scan cache: an S3-compatible bucket (`--cache-remote
//! s3://bucket/prefix` or `CLIC_CACHE_REMOTE`) that CI runners and shards read on a local
//! miss and write after a local write, so that one machine's decoded tensors and model
//! rows serve the others. The local store ([`super::store`]) stays the primary.
//!
//! - **Layout**: an entry is stored under `prefix/NS/scans/KIND/KE/Y...`, the bytes of the
//!   local entry file unchanged (its MAC line first). `NS` is the project's namespace
//!   ([`namespace`]): 16 hex digits of a keyed hash of a fixed label under the project
//!   secret, so machines under different secrets never read or overwrite each other's
//!   entries (a runner set up with a stray `.clic/secret` fills a namespace of its own
//!   instead of replacing the project's entries with ones its machines reject), and the
//!   name says nothing about the secret.
//! - **Trust**: an entry read from the bucket is verified exactly as a local one, by the
//!   MAC of its key and body under the project secret (`.clic/secret`). Every machine
//!   that shares a bucket must share that secret (as shards must: the pseudonyms in the
//!   records are keyed by it): a machine under another secret works in another namespace
//!   and shares nothing. An entry that does not verify (edited, forged, made under
//!   another secret, too large) is ignored, reported on stderr and recomputed: whoever
//!   can write to the bucket without the secret cannot change a result.
//! - **Failures**: the bucket is a speed-up only. An unreachable endpoint, a refused
//!   request (403) or a timeout is a warning, which leads with the HTTP status and the
//!   server's S3 error code (or `timed out`, `cannot connect`); the run turns the remote
//!   off and computes locally. Each request is bounded ([`CONNECT_TIMEOUT`], [`REQUEST_TIMEOUT`], one
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

/// The label whose MAC under the project secret names the project's namespace in the
/// bucket. Versioned: another derivation would be another label, hence other names.
pub const NAMESPACE_LABEL: &str = "clic remote namespace v1";

/// The project's namespace in a shared cache: the first 16 hex digits (64 bits) of
/// HMAC-SHA256(secret, `clic remote namespace v1` followed by a zero byte), the domain
/// separation of [`crate::pseudonym::Key::mac`]. A keyed hash of a fixed label: it tells
/// machines of one project apart from the others' and reveals nothing about the secret.
pub fn namespace(key: &crate::pseudonym::Key) -> String {
    let mut mac = key.mac(NAMESPACE_LABEL, b"");
    mac.truncate(16);
    mac
}

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
    /// The project's [`namespace`], derived at the first request (the project secret is
    /// installed by then; opening the remote must not fix the process key before that).
    namespace: OnceLock<String>,
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
            namespace: OnceLock::new(),
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

    /// This project's namespace in the bucket ([`namespace`] of the installed secret).
    pub fn namespace(&self) -> &str {
        self.namespace
            .get_or_init(|| namespace(crate::pseudonym::key()))
    }

    /// The object key of `relative` (`scans/KIND/..`): `prefix/NS/relative`.
    fn path(&self, relative: &str) -> String {
        if self.location.prefix.is_empty() {
            format!("{}/{relative}", self.namespace())
        } else {
            format!("{}/{}/{relative}", self.location.prefix, self.namespace())
        }
    }

    /// Where this project's entries are: `s3://bucket/prefix/NS`.
    fn here(&self) -> String {
        format!("{}/{}", self.location, self.namespace())
    }

    fn fail(&self, what: &str, relative: &str, why: &str) {
        if !self.off.swap(true, Ordering::Relaxed) {
            eprintln!(
                "warning: the shared cache `{}` failed to {what} `{relative}` ({why}); this run computes without it",
                self.here(),
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
                self.here()
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

    /// One line on stderr: what this run took from and gave to the bucket, and where
    /// (the namespace included, to tell a runner under another secret at a glance).
    pub fn report(&self) {
        let (fetched, stored, rejected) = self.counts();
        eprintln!(
            "shared cache `{}`: {fetched} entries fetched, {stored} stored, {rejected} rejected{}",
            self.here(),
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

    /// An object store error on one line (they can span several, with the request's body),
    /// its causes included (a timeout or a refused connection is said by a cause).
    fn one_line(e: &object_store::Error) -> String {
        let mut text = e.to_string();
        let mut cause = std::error::Error::source(e);
        while let Some(c) = cause {
            let said = c.to_string();
            if !text.contains(&said) {
                text.push_str(": ");
                text.push_str(&said);
            }
            cause = c.source();
        }
        let refused = match e {
            object_store::Error::PermissionDenied { .. } => Some(403),
            object_store::Error::Unauthenticated { .. } => Some(401),
            _ => None,
        };
        summary(refused, &text)
    }

    /// What to act on first, then the detail cut to one line of 300 characters: the
    /// first line of an error names the request, its path and its timing, so the HTTP
    /// status and the server's S3 error code (SignatureDoesNotMatch: the secret;
    /// InvalidAccessKeyId: the key id; AccessDenied: the policy; SlowDown or
    /// InternalError: the service) came after them and were cut off. `refused` is the
    /// status of a refusal (401 or 403) the error's variant already told.
    pub(super) fn summary(refused: Option<u16>, text: &str) -> String {
        let code = text
            .split("<Code>")
            .nth(1)
            .and_then(|s| s.split("</Code>").next())
            .filter(|c| {
                !c.is_empty() && c.len() <= 64 && c.bytes().all(|b| b.is_ascii_alphanumeric())
            })
            .map(|c| format!(", {c}"))
            .unwrap_or_default();
        match refused {
            Some(403) => {
                return format!(
                    "access denied (HTTP 403){code}: check AWS_ACCESS_KEY_ID, \
                     AWS_SECRET_ACCESS_KEY and the bucket's policy"
                )
            }
            Some(401) => {
                return format!(
                    "not authenticated (HTTP 401){code}: check AWS_ACCESS_KEY_ID, \
                     AWS_SECRET_ACCESS_KEY and the bucket's policy"
                )
            }
            _ => {}
        }
        let detail: String = text
            .lines()
            .next()
            .unwrap_or_default()
            .chars()
            .take(300)
            .collect();
        // object_store writes a status as `status code: 503 Service Unavailable: body`.
        let status = text.split("status code: ").nth(1).and_then(|rest| {
            let digits = rest
                .get(..3)
                .filter(|d| d.bytes().all(|b| b.is_ascii_digit()))?;
            let reason: String = rest[3..]
                .split([':', '\n', '<'])
                .next()
                .unwrap_or_default()
                .trim()
                .chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == ' ' || *c == '-')
                .take(40)
                .collect();
            Some(if reason.is_empty() {
                digits.to_string()
            } else {
                format!("{digits} {reason}")
            })
        });
        let lead = match status {
            Some(s) if s.starts_with('5') => format!("server error (HTTP {s}){code}"),
            Some(s) => format!("request failed (HTTP {s}){code}"),
            None if text.contains("timed out") => "timed out".to_string(),
            // An error in a successful response's body (a multipart completion): its code.
            None if !code.is_empty() => format!("error response{code}"),
            None if text.contains("Connection refused") || text.contains("tcp connect error") => {
                "cannot connect".to_string()
            }
            None => return detail,
        };
        format!("{lead}: {detail}")
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

    fn key_of(hex: &str) -> crate::pseudonym::Key {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join(crate::pseudonym::SECRET),
            format!("{hex}\n"),
        )
        .unwrap();
        crate::pseudonym::Key::for_project(dir.path()).unwrap()
    }

    #[test]
    fn the_namespace_is_a_keyed_hash_of_a_fixed_label_and_differs_per_secret() {
        use hmac::{Hmac, Mac};
        let secret = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
        let ns = namespace(&key_of(secret));
        // Computed here from its definition, not through Key::mac.
        let raw: Vec<u8> = (0..32)
            .map(|i| u8::from_str_radix(&secret[2 * i..2 * i + 2], 16).unwrap())
            .collect();
        let mut m = Hmac::<sha2::Sha256>::new_from_slice(&raw).unwrap();
        m.update(b"clic remote namespace v1\0");
        let full = crate::facts::artifact::to_hex(&m.finalize().into_bytes());
        assert_eq!(ns, full[..16]);
        assert_eq!(ns.len(), 16);
        assert!(ns
            .bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        assert!(!secret.contains(&ns));
        // Another secret, another namespace; the same secret, the same one.
        let other = "f".repeat(64);
        assert_ne!(namespace(&key_of(&other)), ns);
        assert_eq!(namespace(&key_of(secret)), ns);
    }

    #[cfg(feature = "s3")]
    #[test]
    fn a_failed_request_keeps_its_status_and_s3_code_past_the_cut() {
        // object_store's shape: the request and its timing first, the status after.
        let long_path = format!(
            "ci/chest-xray-triage/main/0123456789abcdef/scans/tensor/ab/{}",
            "c".repeat(62)
        );
        let slow = format!(
            "Generic S3 error: Error performing PUT https://s3.eu-central-1.amazonaws.com/imaging-clic-cache/{long_path} \
             in 1.2s, after 1 retries, max_retries: 1, retry_timeout: 30s  - Server returned \
             non-2xx status code: 503 Service Unavailable: <?xml version=\"1.0\"?>\n<Error>\
             <Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"
        );
        // The status is past the 300-character cut of its first line.
        assert!(slow.find("503").unwrap() > 300);
        let said = client::summary(None, &slow);
        assert!(
            said.starts_with(
                "server error (HTTP 503 Service Unavailable), SlowDown: Generic S3 error: Error performing PUT"
            ),
            "{said}"
        );
        assert!(
            said.chars().count() <= 400 && !said.contains('\n'),
            "{said}"
        );
        // A 4xx other than a refusal, without a body.
        let bad = "Generic S3 error: Error performing GET http://h/b/k in 3ms - Server returned \
                   non-2xx status code: 400 Bad Request: ";
        assert!(
            client::summary(None, bad).starts_with(
                "request failed (HTTP 400 Bad Request): Generic S3 error: Error performing GET"
            ),
            "{}",
            client::summary(None, bad)
        );
        // A refusal, the code kept.
        let denied = slow
            .replace("503 Service Unavailable", "403 Forbidden")
            .replace("SlowDown", "SignatureDoesNotMatch");
        assert!(client::summary(Some(403), &denied).starts_with(
            "access denied (HTTP 403), SignatureDoesNotMatch: check AWS_ACCESS_KEY_ID"
        ));
        // No status: a timeout and a refused connection said first, from their causes.
        let timeout = format!(
            "Generic S3 error: Error performing GET http://127.0.0.1:9000/clic-shared/{long_path} \
             in 30s, after 1 retries, max_retries: 1, retry_timeout: 30s  - HTTP error: error \
             sending request: operation timed out"
        );
        assert!(client::summary(None, &timeout)
            .starts_with("timed out: Generic S3 error: Error performing GET"));
        let refused =
            "Generic S3 error: Error performing GET http://127.0.0.1:1/b/k in 2ms - HTTP \
                       error: error sending request: client error (Connect): tcp connect error: \
                       Connection refused (os error 111)";
        assert!(client::summary(None, refused)
            .starts_with("cannot connect: Generic S3 error: Error performing"));
        // An error in the body of a 200 answer: no status, its code kept.
        let body = "Generic S3 error: Server returned error response: <Error><Code>InternalError\
                    </Code></Error>";
        assert!(client::summary(None, body).starts_with("error response, InternalError: Generic"));
        // Anything else: its first line, cut.
        let other = format!("{}\nsecond line", "x".repeat(500));
        assert_eq!(client::summary(None, &other), "x".repeat(300));
    }
}
