//! Per-scan evidence shared between machines (issue 13): a shared cache on a real
//! S3-compatible server (moto in server mode, started here on a free localhost port),
//! which a fresh copy of the project reuses without decoding or inferring, whose
//! tampered entries are rejected, which a machine under another project secret neither
//! reads nor overwrites (each secret has a namespace of its own in the bucket), and whose
//! absence only costs speed; and the per-scan records `clic bench merge` leaves for the
//! runs after it.
#![expect(
    clippy::expect_used,
    reason = "a test that cannot set up its fixture should fail loudly"
)]

mod common;

use common::{clic, example};
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BUCKET: &str = "clic-shared";
const PREFIX: &str = "ci/cxr";

/// A moto S3 server on localhost, killed when dropped.
struct Moto {
    child: Child,
    port: u16,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// Starts moto, waits until it answers and creates the bucket; `None` (after a visible
/// skip) when moto is not installed, a failure under CI=true.
fn moto() -> Option<Moto> {
    let installed = Command::new("python3")
        .args(["-c", "import moto.server, flask, flask_cors"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !installed {
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "moto is not installed (pip install \"moto[server]==5.2.1\", as .ci/run does)"
        );
        eprintln!("SKIPPED: moto is not installed (pip install \"moto[server]==5.2.1\")");
        return None;
    }
    let port = free_port();
    let child = Command::new("python3")
        .args([
            "-m",
            "moto.server",
            "-H",
            "127.0.0.1",
            "-p",
            &port.to_string(),
        ])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("moto starts");
    let server = Moto { child, port };
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "moto did not listen on {port}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let (status, body) = server.http("PUT", &format!("/{BUCKET}"), b"");
    assert_eq!(
        status,
        200,
        "create the bucket: {}",
        String::from_utf8_lossy(&body)
    );
    Some(server)
}

impl Moto {
    /// One unsigned path-style request (moto does not check signatures): (status, body).
    fn http(&self, method: &str, path: &str, body: &[u8]) -> (u16, Vec<u8>) {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).expect("connect");
        s.set_read_timeout(Some(Duration::from_secs(60)))
            .expect("timeout");
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
            self.port,
            body.len()
        );
        s.write_all(head.as_bytes()).expect("send");
        s.write_all(body).expect("send");
        let mut reply = Vec::new();
        s.read_to_end(&mut reply).expect("reply");
        let split = reply
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .expect("a header");
        let head = String::from_utf8_lossy(&reply[..split]).into_owned();
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|c| c.parse().ok())
            .expect("a status");
        let mut rest = reply[split + 4..].to_vec();
        if head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked")
        {
            rest = unchunk(&rest);
        }
        (status, rest)
    }

    /// The keys under `prefix` in the bucket.
    fn keys(&self, prefix: &str) -> Vec<String> {
        let (status, body) = self.http(
            "GET",
            &format!("/{BUCKET}?list-type=2&max-keys=10000&prefix={prefix}"),
            b"",
        );
        assert_eq!(status, 200);
        String::from_utf8_lossy(&body)
            .split("<Key>")
            .skip(1)
            .filter_map(|s| s.split("</Key>").next().map(str::to_string))
            .collect()
    }

    /// Flips one bit of the last byte of the object `key`, with a signed client (moto
    /// refuses unsigned reads and overwrites; boto3 comes with moto).
    fn tamper(&self, key: &str) {
        let script = "import boto3, sys\n\
s3 = boto3.client('s3', endpoint_url=sys.argv[1], aws_access_key_id='testing', \
aws_secret_access_key='testing', region_name='us-east-1')\n\
b = bytearray(s3.get_object(Bucket=sys.argv[2], Key=sys.argv[3])['Body'].read())\n\
b[-1] ^= 1\n\
s3.put_object(Bucket=sys.argv[2], Key=sys.argv[3], Body=bytes(b))\n";
        let out = Command::new("python3")
            .args(["-c", script])
            .arg(format!("http://127.0.0.1:{}", self.port))
            .args([BUCKET, key])
            .output()
            .expect("python3 runs");
        assert!(
            out.status.success(),
            "tamper: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn env(&self) -> Vec<(&'static str, String)> {
        endpoint_env(&format!("http://127.0.0.1:{}", self.port))
    }

    /// An IAM user allowed `s3:*`, made while moto checks nothing: its (key id, secret).
    fn iam_user(&self) -> (String, String) {
        let script = "import boto3, json, sys\n\
iam = boto3.client('iam', endpoint_url=sys.argv[1], aws_access_key_id='testing', \
aws_secret_access_key='testing', region_name='us-east-1')\n\
iam.create_user(UserName='ci')\n\
iam.put_user_policy(UserName='ci', PolicyName='s3', PolicyDocument=json.dumps({'Version': \
'2012-10-17', 'Statement': [{'Effect': 'Allow', 'Action': 's3:*', 'Resource': '*'}]}))\n\
k = iam.create_access_key(UserName='ci')['AccessKey']\n\
print(k['AccessKeyId'], k['SecretAccessKey'])\n";
        let out = Command::new("python3")
            .args(["-c", script])
            .arg(format!("http://127.0.0.1:{}", self.port))
            .output()
            .expect("python3 runs");
        assert!(
            out.status.success(),
            "iam user: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        let mut parts = text.split_whitespace().map(str::to_string);
        let id = parts.next().expect("an access key id");
        let secret = parts.next().expect("its secret");
        (id, secret)
    }

    /// Turns moto's signature and policy checks on or off for every later request (its
    /// `INITIAL_NO_AUTH_ACTION_COUNT`, 0 or infinite, set through `/moto-api/reset-auth`).
    fn check_credentials(&self, on: bool) {
        let (status, body) = self.http(
            "POST",
            "/moto-api/reset-auth",
            if on { b"0" } else { b"inf" },
        );
        assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    }
}

fn unchunk(mut b: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(eol) = b.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(String::from_utf8_lossy(&b[..eol]).trim(), 16)
            .expect("a chunk size");
        if size == 0 {
            break;
        }
        out.extend_from_slice(&b[eol + 2..eol + 2 + size]);
        b = &b[eol + 4 + size..];
    }
    out
}

fn endpoint_env(endpoint: &str) -> Vec<(&'static str, String)> {
    credentials_env(endpoint, "testing", "testing")
}

fn credentials_env(endpoint: &str, key: &str, secret: &str) -> Vec<(&'static str, String)> {
    vec![
        ("AWS_ENDPOINT_URL", endpoint.to_string()),
        ("AWS_ACCESS_KEY_ID", key.to_string()),
        ("AWS_SECRET_ACCESS_KEY", secret.to_string()),
        ("AWS_REGION", "us-east-1".to_string()),
        ("AWS_ALLOW_HTTP", "true".to_string()),
    ]
}

/// `clic bench --format json` on `project` with `args` and `envs`: (stdout, stderr),
/// asserting exit 0.
fn bench(project: &Path, args: &[&str], envs: &[(&'static str, String)]) -> (String, String) {
    let mut cmd = clic();
    cmd.arg("bench")
        .arg(project)
        .args(["--format", "json"])
        .args(args)
        .env_remove("CLIC_CACHE_REMOTE");
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("clic runs");
    let (stdout, stderr) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert_eq!(out.status.code(), Some(0), "clic bench {args:?}: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    (stdout, stderr)
}

/// A copy of the example with no cache, with the project secret of `secret_of` if given
/// (another machine of the same project), else a secret of its own.
fn machine(secret_of: Option<&Path>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    common::copy_tree(&example(), dir.path());
    common::without_robustness(dir.path());
    if let Some(from) = secret_of {
        std::fs::create_dir_all(dir.path().join(".clic")).expect("mkdir");
        std::fs::copy(from.join(".clic/secret"), dir.path().join(".clic/secret")).expect("secret");
    }
    dir
}

/// The namespace of an object key `PREFIX/NS/scans/...`, checked to be 16 hex digits.
fn namespace_of(key: &str) -> String {
    let ns = key
        .strip_prefix(&format!("{PREFIX}/"))
        .and_then(|rest| rest.split('/').next())
        .expect("a key under the prefix")
        .to_string();
    assert!(
        ns.len() == 16
            && ns
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
        "{key}"
    );
    ns
}

fn scans(project: &Path) -> usize {
    std::fs::read_dir(project.join("data/reference"))
        .expect("reference")
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "dcm"))
        .count()
}

#[test]
fn a_shared_cache_on_s3_is_reused_verified_and_never_required() {
    let Some(server) = moto() else { return };
    let env = server.env();
    let remote = format!("s3://{BUCKET}/{PREFIX}");
    let flag = ["--cache-remote", remote.as_str()];

    // Machine A: computes everything and fills the shared cache.
    let a = machine(None);
    let total = scans(a.path());
    let (one, log) = bench(a.path(), &flag, &env);
    assert!(log.contains(&format!("{total} decoded")), "{log}");
    assert!(log.contains("0 entries fetched"), "{log}");
    assert!(!log.contains("warning"), "{log}");
    // A record, a tensor and a row per scan, all in the project's namespace: 16 hex
    // digits under the prefix, named in the report.
    let stored = server.keys(PREFIX);
    assert_eq!(stored.len(), 3 * total, "{stored:?}");
    let ns = namespace_of(&stored[0]);
    assert!(
        stored
            .iter()
            .all(|k| k.starts_with(&format!("{PREFIX}/{ns}/scans/"))),
        "{stored:?}"
    );
    assert!(
        log.contains(&format!("shared cache `{remote}/{ns}`: 0 entries fetched")),
        "{log}"
    );
    let secret = std::fs::read_to_string(a.path().join(".clic/secret")).expect("the secret");
    assert!(
        !secret.contains(&ns),
        "the namespace is no part of the secret"
    );

    // Machine B, same project secret, empty local cache, the remote given by the
    // variable: nothing decoded or inferred, the same evidence.
    let b = machine(Some(a.path()));
    let mut with_var = env.clone();
    with_var.push(("CLIC_CACHE_REMOTE", remote.clone()));
    let mut cmd = clic();
    let out = cmd
        .arg("bench")
        .arg(b.path())
        .args(["--format", "json"])
        .envs(with_var.iter().map(|(k, v)| (*k, v.as_str())))
        .output()
        .expect("clic runs");
    let log = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{log}");
    assert!(
        log.contains(" 0 decoded") && log.contains(" 0 rows inferred"),
        "the shared evidence is reused: {log}"
    );
    assert!(
        log.contains(&format!(
            "{} entries fetched, 0 stored, 0 rejected",
            2 * total
        )),
        "a record and a row per scan, nothing to store: {log}"
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), one, "byte-identical");
    // What was fetched is kept locally.
    let stats = clic()
        .args(["cache", "stats"])
        .arg(b.path())
        .output()
        .expect("runs");
    let stats = String::from_utf8_lossy(&stats.stdout).into_owned();
    assert!(
        stats
            .lines()
            .any(|l| l.contains("model rows") && l.contains(&format!(" {total} "))),
        "{stats}"
    );

    // Without any remote: the same bytes.
    let local = machine(Some(a.path()));
    let (alone, _) = bench(local.path(), &[], &[]);
    assert_eq!(alone, one, "the remote changes nothing in the evidence");

    // A machine under another project secret works in a namespace of its own: it reads
    // none of the project's entries (nothing to reject) and overwrites none of them.
    let stranger = machine(None);
    let (theirs, log) = bench(stranger.path(), &flag, &env);
    assert!(log.contains(&format!("{total} decoded")), "{log}");
    assert!(
        log.contains(&format!(
            "0 entries fetched, {} stored, 0 rejected",
            3 * total
        )) && !log.contains("warning"),
        "{log}"
    );
    let everything = server.keys(PREFIX);
    let theirs_ns: Vec<&String> = everything
        .iter()
        .filter(|k| !k.starts_with(&format!("{PREFIX}/{ns}/")))
        .collect();
    assert_eq!(theirs_ns.len(), 3 * total, "{everything:?}");
    let other = namespace_of(theirs_ns[0]);
    assert!(other != ns && theirs_ns.iter().all(|k| namespace_of(k) == other));
    let (theirs_alone, _) = bench(machine(Some(stranger.path())).path(), &[], &[]);
    assert_eq!(theirs, theirs_alone);

    // A tampered row in the bucket (one bit of its value flipped): rejected and
    // recomputed from the (valid) shared tensor; the evidence is unchanged. The project's
    // other entries are fetched as before the stranger's run: a record and a row per scan
    // (one row rejected, its tensor fetched instead).
    let row = server
        .keys(&format!("{PREFIX}/{ns}/scans/score/"))
        .into_iter()
        .next()
        .expect("a stored row");
    server.tamper(&row);
    let c = machine(Some(a.path()));
    let (tampered, log) = bench(c.path(), &flag, &env);
    assert!(
        log.contains("is ignored") && log.contains("1 rejected"),
        "{log}"
    );
    assert!(
        log.contains(" 0 decoded") && log.contains(" 1 rows inferred"),
        "{log}"
    );
    assert!(
        log.contains(&format!(
            "{} entries fetched, 1 stored, 1 rejected",
            2 * total
        )),
        "{log}"
    );
    assert_eq!(tampered, one, "a tampered entry is never used");

    // An unreachable endpoint: a warning, the run computes locally, exit 0.
    let dead = endpoint_env(&format!("http://127.0.0.1:{}", free_port()));
    let d = machine(Some(a.path()));
    let (offline, log) = bench(d.path(), &flag, &dead);
    assert!(
        log.contains("warning: the shared cache")
            && log.contains("(cannot connect: ")
            && log.contains("computes without it"),
        "{log}"
    );
    assert!(log.contains(&format!("{total} decoded")), "{log}");
    assert_eq!(offline, one);

    // Credentials checked from here on (moto verifies each request's signature).
    let endpoint = format!("http://127.0.0.1:{}", server.port);
    let (key, secret) = server.iam_user();
    let before = server.keys(PREFIX);
    server.check_credentials(true);
    // The right secret: clic's signed requests pass (without this, the refusal below
    // could be moto refusing every client). The stranger's project reuses its own
    // namespace.
    let e = machine(Some(stranger.path()));
    let (signed, log) = bench(e.path(), &flag, &credentials_env(&endpoint, &key, &secret));
    assert!(
        log.contains(" 0 decoded") && log.contains(" 0 rows inferred") && !log.contains("warning"),
        "{log}"
    );
    assert_eq!(signed, theirs);
    // A wrong secret: moto answers 403 (SignatureDoesNotMatch); the run warns once, turns
    // the remote off and computes locally, exit 0, with the same evidence, and writes
    // nothing to the bucket.
    let wrong = "not-the-secret-0123456789";
    let f = machine(Some(stranger.path()));
    let (denied, log) = bench(f.path(), &flag, &credentials_env(&endpoint, &key, wrong));
    server.check_credentials(false);
    assert!(
        log.contains("warning: the shared cache")
            && log.contains(
                "access denied (HTTP 403), SignatureDoesNotMatch: check AWS_ACCESS_KEY_ID"
            )
            && log.contains("this run computes without it"),
        "{log}"
    );
    assert_eq!(log.matches("warning").count(), 1, "one warning: {log}");
    assert!(
        log.contains("0 entries fetched, 0 stored, 0 rejected (turned off after a failure)"),
        "{log}"
    );
    assert!(log.contains(&format!("{total} decoded")), "{log}");
    assert!(
        !log.contains(wrong) && !log.contains(&secret),
        "no secret on stderr: {log}"
    );
    assert_eq!(
        denied, one,
        "a refused remote changes nothing in the evidence"
    );
    assert_eq!(
        server.keys(PREFIX),
        before,
        "nothing stored without the right secret"
    );
    // Its local cache holds what it computed, sound: the next run reuses it.
    let (again, log) = bench(f.path(), &[], &[]);
    assert!(log.contains("reused cached evidence"), "{log}");
    assert_eq!(again, theirs);
}

#[test]
fn a_run_after_a_merge_reuses_the_merged_per_scan_records() {
    let a = machine(None);
    let p = a.path();
    let (one, _) = bench(p, &[], &[]);
    let mut files = Vec::new();
    for k in 1..=3 {
        let shard = machine(Some(p));
        let out = p.join(format!("shard-{k}.json"));
        let run = clic()
            .arg("bench")
            .arg(shard.path())
            .args(["--shard", &format!("{k}/3"), "--output"])
            .arg(&out)
            .env_remove("CLIC_CACHE_REMOTE")
            .output()
            .expect("runs");
        assert_eq!(
            run.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&run.stderr)
        );
        files.push(out);
    }
    // The merge on a machine that never scored a scan.
    let m = machine(Some(p));
    let merged = clic()
        .args(["bench", "merge", "--format", "json", "--path"])
        .arg(m.path())
        .args(&files)
        .env_remove("CLIC_CACHE_REMOTE")
        .output()
        .expect("runs");
    assert_eq!(
        merged.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&merged.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&merged.stdout), one);
    // The whole-benchmark entry removed: the run assembles the evidence from the merged
    // per-scan records, decoding and inferring nothing.
    for e in std::fs::read_dir(m.path().join(".clic/cache"))
        .expect("a cache")
        .flatten()
    {
        if e.file_name().to_string_lossy().starts_with("bench-") {
            std::fs::remove_file(e.path()).expect("remove");
        }
    }
    let (after, log) = bench(m.path(), &[], &[]);
    assert!(
        log.contains(" 0 decoded") && log.contains(" 0 rows inferred"),
        "the merged records are reused: {log}"
    );
    assert_eq!(after, one);
}
