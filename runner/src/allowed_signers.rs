//! `allowed_signers` files, as `ssh-keygen -Y verify` and git read them, and the check
//! of an SSHSIG signature against them: the dossier's signature (`clic verify
//! --allowed-signers`) and git's ssh signatures of commits and tags
//! (`gpg.ssh.allowedSignersFile`, `git.*.signature.*` facts) are checked by this one
//! reading.
//!
//! One signer per line: `principals [options] key-type base64-key [comment]`, where
//! `principals` is a comma-separated list of patterns (`*` and `?` wildcards, `!` to
//! exclude) and the options are `namespaces="pattern,..."`, `valid-after=`,
//! `valid-before=` (timestamps `YYYYMMDD[HHMM[SS]]`, optionally `Z`; read as UTC here)
//! and `cert-authority`. Blank lines and `#` comments are skipped.
//!
//! As in ssh-keygen, a signature is good when its key is the key of a line whose
//! principals match the identity, whose namespaces (if given) match the signature's
//! namespace, that is valid at the time asked (now for a file, the commit's time for
//! git, as git passes `verify-time`), and that is not a `cert-authority` line (plain keys
//! only, never certificates).

use ssh_key::{HashAlg, PublicKey, SshSig};

/// One line of an allowed-signers file.
#[derive(Debug, Clone)]
pub struct Signer {
    /// 1-based line number.
    pub line: usize,
    /// The principal patterns as written (comma-separated).
    pub principals: String,
    /// `namespaces="..."`, when given.
    pub namespaces: Option<String>,
    /// `cert-authority`.
    pub cert_authority: bool,
    /// `valid-after`, as `YYYYMMDDHHMMSS` (UTC).
    pub valid_after: Option<String>,
    /// `valid-before`, as `YYYYMMDDHHMMSS` (UTC).
    pub valid_before: Option<String>,
    /// The key.
    pub key: PublicKey,
}

/// Parses the text of an allowed-signers file.
pub fn parse(text: &str) -> Result<Vec<Signer>, (usize, String)> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        out.push(parse_line(i + 1, line).map_err(|why| (i + 1, why))?);
    }
    Ok(out)
}

/// Splits off the first field: up to unquoted whitespace.
fn field(s: &str) -> (&str, &str) {
    let mut quoted = false;
    for (i, c) in s.char_indices() {
        match c {
            '"' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => return (&s[..i], s[i..].trim_start()),
            _ => {}
        }
    }
    (s, "")
}

fn unquote(s: &str) -> &str {
    s.strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(s)
}

fn parse_line(n: usize, line: &str) -> Result<Signer, String> {
    const SHAPE: &str = "expected `principals [options] key-type base64-key [comment]`";
    let (principals, rest) = field(line);
    let principals = unquote(principals).to_string();
    if principals.is_empty() || rest.is_empty() {
        return Err(SHAPE.to_string());
    }
    let (options, key) = if PublicKey::from_openssh(rest).is_ok() {
        ("", rest)
    } else {
        field(rest)
    };
    let key =
        PublicKey::from_openssh(key).map_err(|_| format!("{SHAPE}: the key cannot be read"))?;
    let mut signer = Signer {
        line: n,
        principals,
        namespaces: None,
        cert_authority: false,
        valid_after: None,
        valid_before: None,
        key,
    };
    for opt in split_options(options) {
        let (name, value) = match opt.split_once('=') {
            Some((k, v)) => (k.to_ascii_lowercase(), Some(unquote(v).to_string())),
            None => (opt.to_ascii_lowercase(), None),
        };
        match (name.as_str(), value) {
            ("cert-authority", None) => signer.cert_authority = true,
            ("namespaces", Some(v)) => signer.namespaces = Some(v),
            ("valid-after", Some(v)) => signer.valid_after = Some(timestamp(&v)?),
            ("valid-before", Some(v)) => signer.valid_before = Some(timestamp(&v)?),
            _ => return Err(format!("unknown option `{opt}`")),
        }
    }
    Ok(signer)
}

/// Comma-separated options; commas inside quotes belong to the value.
fn split_options(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut quoted = false;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        match c {
            '"' => quoted = !quoted,
            ',' if !quoted => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out.into_iter().filter(|o| !o.is_empty()).collect()
}

/// `YYYYMMDD[HHMM[SS]][Z]` as `YYYYMMDDHHMMSS`.
fn timestamp(v: &str) -> Result<String, String> {
    let digits = v.strip_suffix(['Z', 'z']).unwrap_or(v);
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(format!("`{v}` is not a timestamp YYYYMMDD[HHMM[SS]][Z]"));
    }
    match digits.len() {
        8 => Ok(format!("{digits}000000")),
        12 => Ok(format!("{digits}00")),
        14 => Ok(digits.to_string()),
        _ => Err(format!("`{v}` is not a timestamp YYYYMMDD[HHMM[SS]][Z]")),
    }
}

/// OpenSSH's `match_pattern`: `*` any run, `?` any one character.
pub fn glob(s: &str, pattern: &str) -> bool {
    let (s, p): (Vec<char>, Vec<char>) = (s.chars().collect(), pattern.chars().collect());
    // Iterative with one backtrack point: linear in practice, never exponential.
    let (mut i, mut j, mut star, mut mark) = (0, 0, None, 0);
    while i < s.len() {
        if j < p.len() && (p[j] == '?' || p[j] == s[i]) {
            i += 1;
            j += 1;
        } else if j < p.len() && p[j] == '*' {
            star = Some(j);
            mark = i;
            j += 1;
        } else if let Some(st) = star {
            j = st + 1;
            mark += 1;
            i = mark;
        } else {
            return false;
        }
    }
    p[j..].iter().all(|&c| c == '*')
}

/// OpenSSH's `match_pattern_list`: true when some pattern matches and no `!pattern` does.
pub fn matches_list(s: &str, list: &str) -> bool {
    let mut matched = false;
    for p in list.split(',').map(str::trim) {
        if let Some(neg) = p.strip_prefix('!') {
            if glob(s, neg) {
                return false;
            }
        } else if glob(s, p) {
            matched = true;
        }
    }
    matched
}

/// A good signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Good {
    /// The principals of the allowed-signers line that accepted it.
    pub principals: String,
    /// Its line number.
    pub line: usize,
    /// The key's SHA256 fingerprint.
    pub fingerprint: String,
}

/// Checks an armored SSHSIG signature of `msg` (which the messages call `what`) in
/// `namespace` against the signers; with `identity`, only the lines whose principals
/// match it count. `now` is `YYYYMMDDHHMMSS` (UTC): the time a line must be valid at.
pub fn verify(
    signers: &[Signer],
    identity: Option<&str>,
    namespace: &str,
    msg: &[u8],
    armored: &[u8],
    now: &str,
    what: &str,
) -> Result<Good, String> {
    let sig = SshSig::from_pem(armored)
        .map_err(|_| "the signature is not an armored SSH signature".to_string())?;
    let fingerprint = sig.public_key().fingerprint(HashAlg::Sha256).to_string();
    if sig.namespace() != namespace {
        return Err(format!(
            "the signature is for namespace `{}`, not `{namespace}`",
            sig.namespace()
        ));
    }
    let candidates: Vec<&Signer> = signers
        .iter()
        .filter(|s| s.key.key_data() == sig.public_key())
        .collect();
    if candidates.is_empty() {
        return Err(format!(
            "the signing key {fingerprint} is not in the allowed signers"
        ));
    }
    let usable: Vec<&&Signer> = candidates
        .iter()
        .filter(|s| identity.is_none_or(|id| matches_list(id, &s.principals)))
        .collect();
    let Some(first) = usable.first() else {
        return Err(format!(
            "the signing key {fingerprint} is allowed only for {}, not for `{}`",
            candidates
                .iter()
                .map(|s| format!("`{}`", s.principals))
                .collect::<Vec<_>>()
                .join(", "),
            identity.unwrap_or_default()
        ));
    };
    let ok = usable.iter().find(|s| {
        !s.cert_authority
            && s.namespaces
                .as_deref()
                .is_none_or(|ns| matches_list(namespace, ns))
            && s.valid_after.as_deref().is_none_or(|t| now >= t)
            && s.valid_before.as_deref().is_none_or(|t| now <= t)
    });
    let Some(ok) = ok else {
        return Err(format!(
            "the signing key {fingerprint} is listed (line {}) but not for namespace `{namespace}` now",
            first.line
        ));
    };
    PublicKey::from(sig.public_key().clone())
        .verify(namespace, msg, &sig)
        .map_err(|_| {
            format!("the signature does not match {what}: it was changed after signing")
        })?;
    Ok(Good {
        principals: ok.principals.clone(),
        line: ok.line,
        fingerprint,
    })
}

/// `YYYYMMDDHHMMSS` of a Unix time, in UTC.
pub fn timestamp_utc(secs: i64) -> String {
    let date = clic_compiler::utc_date(secs).replace('-', "");
    let rem = secs.rem_euclid(86_400);
    format!(
        "{date}{:02}{:02}{:02}",
        rem / 3600,
        (rem % 3600) / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_as_openssh_does() {
        assert!(glob("ra@example.com", "*@example.com"));
        assert!(glob("abc", "a?c"));
        assert!(!glob("abd", "a?c"));
        assert!(glob("", "*"));
        assert!(!glob("x", ""));
        assert!(matches_list("ra@example.com", "qa@x,*@example.com"));
        assert!(!matches_list("ra@example.com", "*@example.com,!ra@*"));
        assert!(!matches_list("ra@example.com", "!qa@*"));
        // A long run of stars does not take exponential time.
        let long = "a".repeat(5000);
        assert!(!glob(&long, &"*a".repeat(2000).replace('a', "b")));
    }

    #[test]
    fn options_and_bad_lines() {
        let key =
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILM+rvN+ot98qgEN796jTiQfZfG1KaT0PtFDJ/XFSqti";
        let s = parse(&format!(
            "# team\n\nra@example.com,qa@example.com {key} ra\n\"a b\" namespaces=\"clic-dossier,git\",valid-after=20260101 {key}\n"
        ))
        .map_err(|e| e.1)
        .unwrap_or_default();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].principals, "ra@example.com,qa@example.com");
        assert_eq!(s[1].principals, "a b");
        assert_eq!(s[1].namespaces.as_deref(), Some("clic-dossier,git"));
        assert_eq!(s[1].valid_after.as_deref(), Some("20260101000000"));
        assert_eq!(parse("ra@example.com\n").map_err(|e| e.0).err(), Some(1));
        assert_eq!(
            parse(&format!("x bogus=1 {key}\n")).map_err(|e| e.0).err(),
            Some(1)
        );
        assert_eq!(
            parse("x ssh-ed25519 AAAA\n").map_err(|e| e.0).err(),
            Some(1)
        );
    }
}
