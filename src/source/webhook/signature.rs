//! `X-Twilio-Signature` verification, as Twilio's own SDKs do it (twilio-python
//! `RequestValidator`, twilio-node `validateRequest`).
//!
//! Signature = base64(HMAC-SHA1(auth token, URL + sorted form params)). Event Streams posts JSON:
//! Twilio appends `bodySHA256=<hex sha256 of the raw body>` to the sink URL and signs the URL
//! alone, so a JSON request is valid when the signature matches *and* the body hashes to that
//! parameter. Twilio may sign the URL with or without the default port, so both are tried (any
//! explicit port is also tried stripped, as the SDKs do). Every comparison is constant-time
//! (`Mac::verify_slice`, `subtle`). The URL half (`verify_json_url`) needs no body, so the
//! receiver checks it before reading one.

use base64::Engine as _;
use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;
use sha2::{Digest, Sha256};

/// Why a request was rejected (counted in metrics; never includes the body).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    MissingSignature,
    BadSignature,
    BodyHashMismatch,
}

impl Rejection {
    pub fn as_str(self) -> &'static str {
        match self {
            Rejection::MissingSignature => "missing_signature",
            Rejection::BadSignature => "bad_signature",
            Rejection::BodyHashMismatch => "body_hash_mismatch",
        }
    }
}

/// Verifies a JSON (Event Streams) request. `url` is the full URL Twilio called, including the
/// query string exactly as received (it holds `bodySHA256`).
pub fn verify_json(
    auth_token: &str,
    url: &str,
    body: &[u8],
    signature: Option<&str>,
) -> Result<(), Rejection> {
    verify_json_url(auth_token, url, signature)?;
    verify_body_hash(url, body)
}

/// The first half of `verify_json`, which needs no body: the signature over the URL (whose
/// query holds `bodySHA256`). The receiver checks it before reading a body, so an unsigned or
/// forged request costs no body read and no hashing.
pub fn verify_json_url(
    auth_token: &str,
    url: &str,
    signature: Option<&str>,
) -> Result<(), Rejection> {
    let signature = signature
        .filter(|s| !s.is_empty())
        .ok_or(Rejection::MissingSignature)?;
    if !url_variants(url)
        .iter()
        .any(|u| signature_matches(auth_token, u, &[], signature))
    {
        return Err(Rejection::BadSignature);
    }
    if query_param(url, "bodySHA256").is_none() {
        return Err(Rejection::BodyHashMismatch);
    }
    Ok(())
}

/// The second half: the body hashes to the signed `bodySHA256` (constant-time comparison).
pub fn verify_body_hash(url: &str, body: &[u8]) -> Result<(), Rejection> {
    match query_param(url, "bodySHA256") {
        Some(expected)
            if constant_eq(
                hex::encode(Sha256::digest(body)).as_bytes(),
                expected.as_bytes(),
            ) =>
        {
            Ok(())
        }
        _ => Err(Rejection::BodyHashMismatch),
    }
}

/// Verifies a classic form-encoded webhook: the signature covers the URL and every parameter.
pub fn verify_form(
    auth_token: &str,
    url: &str,
    params: &[(String, String)],
    signature: Option<&str>,
) -> Result<(), Rejection> {
    let signature = signature
        .filter(|s| !s.is_empty())
        .ok_or(Rejection::MissingSignature)?;
    let ok = url_variants(url)
        .iter()
        .any(|u| signature_matches(auth_token, u, params, signature));
    if ok {
        Ok(())
    } else {
        Err(Rejection::BadSignature)
    }
}

/// The HMAC over `url` and `params`, ready to finalize or verify.
fn mac(auth_token: &str, url: &str, params: &[(String, String)]) -> Hmac<Sha1> {
    let mut mac =
        Hmac::<Sha1>::new_from_slice(auth_token.as_bytes()).expect("HMAC takes any key length");
    mac.update(url.as_bytes());
    let mut sorted: Vec<(&str, &str)> = params
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    sorted.sort_unstable();
    sorted.dedup();
    for (k, v) in sorted {
        mac.update(k.as_bytes());
        mac.update(v.as_bytes());
    }
    mac
}

/// Whether `signature` (base64) is the HMAC of `url` and `params`: `Mac::verify_slice` compares
/// in constant time.
fn signature_matches(
    auth_token: &str,
    url: &str,
    params: &[(String, String)],
    signature: &str,
) -> bool {
    let Ok(given) = base64::engine::general_purpose::STANDARD.decode(signature.trim()) else {
        return false;
    };
    mac(auth_token, url, params).verify_slice(&given).is_ok()
}

/// base64(HMAC-SHA1(token, url + name1 + value1 + …)) with names sorted and, per name, values
/// sorted and de-duplicated (the SDKs' order).
pub fn sign(auth_token: &str, url: &str, params: &[(String, String)]) -> String {
    base64::engine::general_purpose::STANDARD
        .encode(mac(auth_token, url, params).finalize().into_bytes())
}

/// Constant-time equality (`subtle`); the length is not secret.
pub(crate) fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// The URL as given, without any port, and with the scheme's default port.
fn url_variants(url: &str) -> Vec<String> {
    let Some((scheme, rest)) = url.split_once("://") else {
        return vec![url.to_string()];
    };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let (userinfo, hostport) = match authority.rfind('@') {
        Some(i) => authority.split_at(i + 1),
        None => ("", authority),
    };
    let host = match hostport.rfind(':') {
        Some(i)
            if !hostport[i + 1..].is_empty()
                && hostport[i + 1..].bytes().all(|b| b.is_ascii_digit()) =>
        {
            &hostport[..i]
        }
        _ => hostport,
    };
    let default_port = match scheme.to_ascii_lowercase().as_str() {
        "https" => "443",
        "http" => "80",
        _ => "",
    };
    let mut out = vec![
        url.to_string(),
        format!("{scheme}://{userinfo}{host}{tail}"),
    ];
    if !default_port.is_empty() {
        out.push(format!("{scheme}://{userinfo}{host}:{default_port}{tail}"));
    }
    out.dedup();
    out
}

/// The raw (still percent-encoded) value of a query parameter.
fn query_param<'u>(url: &'u str, name: &str) -> Option<&'u str> {
    let query = url.split_once('?')?.1.split('#').next()?;
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == name).then_some(v)
    })
}

#[cfg(test)]
mod tests {
    //! The official vectors shared by twilio-python, twilio-node and twilio-go
    //! (reference/twilio-event-streams.md §3.4).
    use super::*;

    const TOKEN: &str = "12345";
    const URL: &str = "https://mycompany.com/myapp.php?foo=1&bar=2";

    fn params() -> Vec<(String, String)> {
        [
            ("CallSid", "CA1234567890ABCDE"),
            ("Caller", "+14158675309"),
            ("Digits", "1234"),
            ("From", "+14158675309"),
            ("To", "+18005551212"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }

    #[test]
    fn form_vectors() {
        let p = params();
        assert_eq!(sign(TOKEN, URL, &p), "RSOYDt4T1cUTdK1PDd93/VVr8B8=");
        assert_eq!(
            sign(TOKEN, "https://mycompany.com:443/myapp.php?foo=1&bar=2", &p),
            "kvajT1Ptam85bY51eRf/AJRuM3w="
        );
        assert_eq!(
            sign(TOKEN, "http://mycompany.com:80/myapp.php?foo=1&bar=2", &p),
            "0ZXoZLH/DfblKGATFgpif+LLRf4="
        );
        assert_eq!(
            sign(TOKEN, "http://mycompany.com:1234/myapp.php?foo=1&bar=2", &p),
            "Zmvh+3yNM1Phv2jhDCwEM3q5ebU="
        );
        assert_eq!(
            sign(
                TOKEN,
                "https://user:pass@mycompany.com/myapp.php?foo=1&bar=2",
                &p
            ),
            "CukzLTc1tT5dXEDIHm/tKBanW10="
        );
        assert_eq!(
            sign(
                TOKEN,
                "https://user:pass@mycompany.com:443/myapp.php?foo=1&bar=2",
                &p
            ),
            "ZQFR1PTIZXF2MXB8ZnKCvnnA+rI="
        );
        assert_eq!(
            sign(
                TOKEN,
                "https://user@mycompany.com/myapp.php?foo=1&bar=2",
                &p
            ),
            "2YRLlVAflCqxaNicjMpJcSTgzSs="
        );
        assert_eq!(
            sign(TOKEN, &format!("{URL}&Body=It%27s+amazing"), &p),
            "TfZzewPq8wqrGlMfyAud8+/IvJ0="
        );
        // the port is tried both ways when verifying
        assert!(
            verify_form(
                TOKEN,
                "https://mycompany.com:443/myapp.php?foo=1&bar=2",
                &p,
                Some("RSOYDt4T1cUTdK1PDd93/VVr8B8=")
            )
            .is_ok()
        );
        assert!(verify_form(TOKEN, URL, &p, Some("kvajT1Ptam85bY51eRf/AJRuM3w=")).is_ok());
        assert!(
            verify_form(
                TOKEN,
                "https://mycompany.com:1234/myapp.php?foo=1&bar=2",
                &p,
                Some("RSOYDt4T1cUTdK1PDd93/VVr8B8=")
            )
            .is_ok()
        );
        assert_eq!(
            verify_form(TOKEN, URL, &p, Some("RSOYDt4T1cUTdK1PDd93/VVr8B8x")),
            Err(Rejection::BadSignature)
        );
        assert_eq!(
            verify_form(TOKEN, URL, &p, None),
            Err(Rejection::MissingSignature)
        );
    }

    #[test]
    fn duplicate_and_array_params() {
        let dup: Vec<(String, String)> = [
            ("Sid", "CA123"),
            ("SidAccount", "AC123"),
            ("Digits", "5678"),
            ("Digits", "1234"),
            ("Digits", "1234"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        assert_eq!(sign(TOKEN, URL, &dup), "IK+Dwps556ElfBT0I3Rgjkr1wJU=");
        let arr = |a: &str, b: &str| {
            vec![
                ("MessagingBinding.Address".to_string(), a.to_string()),
                ("MessagingBinding.Address".to_string(), b.to_string()),
            ]
        };
        assert_eq!(
            sign(TOKEN, URL, &arr("+1415xxxxxxx", "+1325xxxxxxx")),
            "83O6e2vORAoJHUNzJjDWN1jz+BA="
        );
        assert_eq!(
            sign(TOKEN, URL, &arr("+1325xxxxxxx", "+1415xxxxxxx")),
            "83O6e2vORAoJHUNzJjDWN1jz+BA="
        );
    }

    #[test]
    fn json_body_vectors() {
        let body = br#"{"property": "value", "boolean": true}"#;
        let hash = "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620";
        assert_eq!(hex::encode(Sha256::digest(body)), hash);
        let url = format!("{URL}&bodySHA256={hash}");
        assert_eq!(sign(TOKEN, &url, &[]), "a9nBmqA0ju/hNViExpshrM61xv4=");
        assert!(verify_json(TOKEN, &url, body, Some("a9nBmqA0ju/hNViExpshrM61xv4=")).is_ok());
        let only = format!("https://mycompany.com/myapp.php?bodySHA256={hash}");
        assert_eq!(sign(TOKEN, &only, &[]), "y77kIzt2vzLz71DgmJGsen2scGs=");
        assert!(verify_json(TOKEN, &only, body, Some("y77kIzt2vzLz71DgmJGsen2scGs=")).is_ok());
        // an altered body no longer matches its hash, even with a valid signature
        assert_eq!(
            verify_json(
                TOKEN,
                &url,
                br#"{"property": "VALUE", "boolean": true}"#,
                Some("a9nBmqA0ju/hNViExpshrM61xv4=")
            ),
            Err(Rejection::BodyHashMismatch)
        );
        // the same signed request replayed to another URL fails
        assert_eq!(
            verify_json(
                TOKEN,
                &url.replace("myapp.php", "other.php"),
                body,
                Some("a9nBmqA0ju/hNViExpshrM61xv4=")
            ),
            Err(Rejection::BadSignature)
        );
    }

    #[test]
    fn empty_body_is_signed_over_the_port_443_form() {
        let hash = "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a";
        assert_eq!(hex::encode(Sha256::digest(b"{}")), hash);
        let url = format!("{URL}&bodySHA256={hash}");
        assert_eq!(sign(TOKEN, &url, &[]), "rw/jVviOgicj2+kHZULvebnA4ag=");
        assert!(verify_json(TOKEN, &url, b"{}", Some("Ldidvp12m26NI7eqEvxnEpkd9Hc=")).is_ok());
    }

    #[test]
    fn the_shipped_sample_request_verifies() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../shared/samples/twilio-events/constructed__webhook-sink-request.http");
        let Ok(text) = std::fs::read_to_string(&path) else {
            println!("skipped: {} not found", path.display());
            return;
        };
        let (head, body) = text.split_once("\n\n").unwrap();
        let path_q = head
            .lines()
            .find(|l| l.starts_with("POST "))
            .unwrap()
            .split(' ')
            .nth(1)
            .unwrap();
        let sig = head
            .lines()
            .find_map(|l| l.strip_prefix("X-Twilio-Signature: "))
            .unwrap();
        let url = format!("https://events.example.com{path_q}");
        assert!(
            verify_json(
                TOKEN,
                &url,
                body.trim_end_matches('\n').as_bytes(),
                Some(sig)
            )
            .is_ok()
        );
    }
}
