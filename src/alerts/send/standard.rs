//! Standard Webhooks (standardwebhooks.com): the body is sent as it is, with `webhook-id`
//! (the same on every retry, so a receiver drops a repeat), `webhook-timestamp` (Unix
//! seconds) and `webhook-signature: v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>`,
//! where the key is the base64 after `whsec_` in the secret. Receivers verify it with any of
//! the spec's libraries; `hooks` verifies incoming ones with [`mac`].

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use sha2::Sha256;

pub const ID_HEADER: &str = "webhook-id";
pub const TIMESTAMP_HEADER: &str = "webhook-timestamp";
pub const SIGNATURE_HEADER: &str = "webhook-signature";

/// The key of a `whsec_…` secret; `None` when it is not one (validation refuses those).
pub fn key(secret: &str) -> Option<Vec<u8>> {
    STANDARD.decode(secret.strip_prefix("whsec_")?).ok()
}

/// The HMAC over what a signature covers, to finish with `finalize` or `verify_slice`.
pub fn mac(key: &[u8], id: &str, timestamp: &str, body: &[u8]) -> Hmac<Sha256> {
    // HMAC takes keys of any length: `new_from_slice` only fails for fixed-size MACs.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key)
        .unwrap_or_else(|_| unreachable!("HMAC accepts any key length"));
    mac.update(id.as_bytes());
    mac.update(b".");
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// `v1,<base64>`.
pub fn signature(key: &[u8], id: &str, timestamp: &str, body: &[u8]) -> String {
    let digest = mac(key, id, timestamp, body).finalize().into_bytes();
    format!("v1,{}", STANDARD.encode(digest))
}

/// The three headers of a delivery sent at `now_ms`.
pub fn headers(key: &[u8], id: &str, now_ms: u64, body: &[u8]) -> Vec<(String, String)> {
    let timestamp = (now_ms / 1000).to_string();
    vec![
        (ID_HEADER.to_owned(), id.to_owned()),
        (
            SIGNATURE_HEADER.to_owned(),
            signature(key, id, &timestamp, body),
        ),
        (TIMESTAMP_HEADER.to_owned(), timestamp),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The test vector the Standard Webhooks reference libraries all check.
    #[test]
    fn the_specs_test_vector_is_reproduced() {
        let key = key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
        let body = br#"{"test": 2432232314}"#;
        assert_eq!(
            signature(&key, "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", body),
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
        let headers = headers(
            &key,
            "msg_p5jXN8AQM9LWM0D4loKWxJek",
            1_614_265_330_999,
            body,
        );
        assert_eq!(
            headers[1].1,
            "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
        );
        assert_eq!(headers[2].1, "1614265330");
    }

    #[test]
    fn only_whsec_secrets_have_a_key() {
        assert!(key("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").is_none());
        assert!(key("whsec_not base64!").is_none());
    }
}
