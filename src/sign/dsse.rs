//! DSSE (Dead Simple Signing Envelope) v1: the signature covers the pre-authentication
//! encoding `PAE(type, body) = "DSSEv1" SP LEN(type) SP type SP LEN(body) SP body`
//! (LEN as ASCII decimal), never the JSON envelope, so re-serialising the envelope
//! cannot change what was signed.

use base64ct::{Base64, Encoding};
use serde_json::{json, Value};

/// The pre-authentication encoding.
pub fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "DSSEv1 {} {payload_type} {} ",
        payload_type.len(),
        payload.len()
    )
    .into_bytes();
    out.extend_from_slice(payload);
    out
}

/// The envelope of `payload`, signed by `key` (keyid: its SHA256 fingerprint).
pub fn envelope(key: &super::Key, payload_type: &str, payload: &[u8]) -> Result<Value, String> {
    let sig = key.raw_sign(&pae(payload_type, payload))?;
    Ok(json!({
        "payloadType": payload_type,
        "payload": Base64::encode_string(payload),
        "signatures": [{
            "keyid": key.fingerprint(),
            "sig": Base64::encode_string(&sig),
        }],
    }))
}

#[cfg(test)]
mod tests {
    #[test]
    fn pae_is_the_specification_s_example() {
        // From the DSSE protocol document.
        assert_eq!(
            super::pae("http://example.com/HelloWorld", b"hello world"),
            b"DSSEv1 29 http://example.com/HelloWorld 11 hello world".to_vec()
        );
    }
}
