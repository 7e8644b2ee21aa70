//! Is an incoming delivery from who holds the hook's secret? GitHub signs the body
//! (`X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, body)>`); Standard Webhooks sign
//! `{id}.{timestamp}.{body}` with the key of a `whsec_` secret and may send several
//! signatures (a key being rotated). Signatures are compared in constant time
//! (`Mac::verify_slice`).

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::alerts::send::standard;

pub const GITHUB_SIGNATURE: &str = "X-Hub-Signature-256";

/// A Standard Webhooks timestamp further than this from now (either way) is refused: a
/// captured delivery cannot be replayed later.
pub const TOLERANCE_SECS: u64 = 5 * 60;

/// Why a delivery is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// 401: the header is missing.
    #[error("missing signature header")]
    Unsigned(&'static str),
    /// 401: no signature matches.
    #[error("the signature does not match")]
    BadSignature(&'static str),
    /// 400: a header that cannot be read (a stale timestamp too).
    #[error("{message}")]
    Malformed {
        field: &'static str,
        message: String,
    },
}

/// The `X-Hub-Signature-256` header of a GitHub delivery against its body.
pub fn github(secret: &str, header: Option<&str>, body: &[u8]) -> Result<(), Refusal> {
    let header = header.ok_or(Refusal::Unsigned(GITHUB_SIGNATURE))?;
    let bad = || Refusal::BadSignature(GITHUB_SIGNATURE);
    let digest = header
        .strip_prefix("sha256=")
        .and_then(|h| hex::decode(h).ok())
        .ok_or_else(bad)?;
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).map_err(|_| bad())?;
    mac.update(body);
    mac.verify_slice(&digest).map_err(|_| bad())
}

/// The three headers of a Standard Webhooks delivery.
#[derive(Debug, Clone, Copy, Default)]
pub struct StandardHeaders<'a> {
    pub id: Option<&'a str>,
    pub timestamp: Option<&'a str>,
    pub signature: Option<&'a str>,
}

/// A Standard Webhooks delivery against the hook's `whsec_` secret at `now_secs`.
pub fn standard(
    secret: &str,
    headers: StandardHeaders<'_>,
    body: &[u8],
    now_secs: u64,
) -> Result<(), Refusal> {
    let id = headers.id.ok_or(Refusal::Unsigned(standard::ID_HEADER))?;
    let timestamp = (headers.timestamp).ok_or(Refusal::Unsigned(standard::TIMESTAMP_HEADER))?;
    let signatures = (headers.signature).ok_or(Refusal::Unsigned(standard::SIGNATURE_HEADER))?;
    let sent: u64 = timestamp.parse().map_err(|_| Refusal::Malformed {
        field: standard::TIMESTAMP_HEADER,
        message: format!("`{timestamp}` is not Unix seconds"),
    })?;
    if sent.abs_diff(now_secs) > TOLERANCE_SECS {
        return Err(Refusal::Malformed {
            field: standard::TIMESTAMP_HEADER,
            message: format!(
                "{sent} is more than 5 minutes from now ({now_secs}): too old or too new"
            ),
        });
    }
    let bad = || Refusal::BadSignature(standard::SIGNATURE_HEADER);
    let key = standard::key(secret).ok_or_else(bad)?;
    let matches = signatures
        .split(' ')
        .filter_map(|s| s.strip_prefix("v1,"))
        .filter_map(|s| STANDARD.decode(s).ok())
        .any(|digest| {
            let mac = standard::mac(&key, id, timestamp, body);
            mac.verify_slice(&digest).is_ok()
        });
    if matches { Ok(()) } else { Err(bad()) }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// GitHub's documented example ("Validating webhook deliveries", testing the signature).
    #[test]
    fn githubs_documented_example_verifies() {
        let secret = "It's a Secret to Everybody";
        let signature = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
        assert_eq!(github(secret, Some(signature), b"Hello, World!"), Ok(()));
        assert_eq!(
            github(secret, Some(signature), b"Hello, World?"),
            Err(Refusal::BadSignature(GITHUB_SIGNATURE))
        );
        assert_eq!(
            github(secret, None, b"Hello, World!"),
            Err(Refusal::Unsigned(GITHUB_SIGNATURE))
        );
        assert!(github(secret, Some("sha1=abc"), b"x").is_err());
    }

    const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    const BODY: &[u8] = br#"{"test": 2432232314}"#;
    const SENT: u64 = 1_614_265_330;

    fn headers(signature: &str) -> StandardHeaders<'_> {
        StandardHeaders {
            id: Some("msg_p5jXN8AQM9LWM0D4loKWxJek"),
            timestamp: Some("1614265330"),
            signature: Some(signature),
        }
    }

    /// The Standard Webhooks spec's test vector, among other signatures.
    #[test]
    fn the_specs_test_vector_verifies_among_others() {
        let good = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
        assert_eq!(standard(SECRET, headers(good), BODY, SENT), Ok(()));
        let several = format!("v1,bm9wZQ== v2,x {good}");
        assert_eq!(
            standard(SECRET, headers(&several), BODY, SENT + 299),
            Ok(())
        );
        assert_eq!(
            standard(SECRET, headers("v1,bm9wZQ=="), BODY, SENT),
            Err(Refusal::BadSignature(standard::SIGNATURE_HEADER))
        );
        assert!(standard(SECRET, headers(good), b"{}", SENT).is_err());
    }

    #[test]
    fn a_timestamp_past_five_minutes_is_refused_naming_it() {
        let good = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";
        for now in [SENT + 301, SENT - 301] {
            match standard(SECRET, headers(good), BODY, now) {
                Err(Refusal::Malformed { field, .. }) => {
                    assert_eq!(field, standard::TIMESTAMP_HEADER)
                }
                other => panic!("{other:?}"),
            }
        }
        let unsigned = StandardHeaders {
            signature: None,
            ..headers(good)
        };
        assert_eq!(
            standard(SECRET, unsigned, BODY, SENT),
            Err(Refusal::Unsigned(standard::SIGNATURE_HEADER))
        );
    }
}
