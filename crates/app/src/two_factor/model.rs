//! TOTP (RFC 6238: SHA-1, six digits, 30-second steps, one step of skew)
//! through `totp-rs`, recovery codes, and the QR code of the otpauth URI
//! rendered here as SVG. Pure: unit-tested below.
use chrono::{DateTime, Utc};
use totp_rs::{Algorithm, Builder, Totp};

use crate::sealed::Secret;
use crate::secrets::sha256_hex;

pub const ISSUER: &str = "Switchboard";
pub const SECRET_BYTES: usize = 20;
pub const RECOVERY_CODES: usize = 10;
const STEP_SECS: u64 = 30;

/// A fresh 160-bit secret (RFC 4226's recommended size).
pub fn new_secret() -> Secret<Vec<u8>> {
    let mut bytes = vec![0u8; SECRET_BYTES];
    rand::fill(&mut bytes[..]);
    Secret::new(bytes)
}

fn totp(secret: &[u8], account: &str) -> Result<Totp, String> {
    Builder::new()
        .with_algorithm(Algorithm::SHA1)
        .with_digits(6)
        .with_skew(1)
        .with_step_duration(STEP_SECS)
        .with_secret(secret.to_vec())
        .with_account_name(account.replace(':', ""))
        .with_issuer(Some(ISSUER))
        .build()
        .map_err(|e| format!("TOTP parameters refused: {e}"))
}

/// The secret as an authenticator app takes it typed in: base32, no padding.
pub fn base32(secret: &[u8]) -> String {
    totp_rs::Secret::from(secret.to_vec()).to_base32()
}

/// `otpauth://totp/Switchboard:<account>?secret=…&issuer=Switchboard…`.
pub fn otpauth_uri(secret: &[u8], account: &str) -> Result<String, String> {
    totp(secret, account)?.to_url().map_err(|e| format!("otpauth URI: {e}"))
}

/// The QR code of `uri` as an SVG document (black on white, with a quiet zone).
pub fn qr_svg(uri: &str) -> Result<String, String> {
    let code = qrcode::QrCode::new(uri.as_bytes()).map_err(|e| format!("QR code: {e}"))?;
    Ok(code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(200, 200)
        .dark_color(qrcode::render::svg::Color("#000000"))
        .light_color(qrcode::render::svg::Color("#ffffff"))
        .build())
}

/// What the person typed, digits only (spaces and dashes dropped), if it
/// has the shape of a TOTP code.
pub fn totp_input(raw: &str) -> Option<String> {
    let digits: String = raw.chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
    (digits.len() == 6 && digits.chars().all(|c| c.is_ascii_digit())).then_some(digits)
}

/// The 30-second step `code` belongs to, within one step of `now`.
pub fn matching_step(secret: &[u8], code: &str, now: DateTime<Utc>) -> Option<i64> {
    let time = u64::try_from(now.timestamp()).ok()?;
    let totp = totp(secret, "check").ok()?;
    totp.check(code, time).and_then(|step| i64::try_from(step).ok())
}

/// The code for `now` (tests and the CLI's diagnostics; never logged).
pub fn code_at(secret: &[u8], now: DateTime<Utc>) -> Option<String> {
    let time = u64::try_from(now.timestamp()).ok()?;
    Some(totp(secret, "code").ok()?.generate(time).to_string())
}

/// Ten recovery codes like `k7q2m-x9p4d` (50 bits each), shown once.
pub fn new_recovery_codes() -> Vec<Secret<String>> {
    const ALPHABET: &[u8; 32] = b"abcdefghjkmnpqrstuvwxyz023456789";
    (0..RECOVERY_CODES)
        .map(|_| {
            let mut bytes = [0u8; 10];
            rand::fill(&mut bytes[..]);
            let chars: String = bytes.iter().map(|b| ALPHABET[usize::from(b & 31)] as char).collect();
            Secret::new(format!("{}-{}", &chars[..5], &chars[5..]))
        })
        .collect()
}

/// The stored form of a recovery code: SHA-256 of its letters and digits
/// in lower case (the codes carry 50 random bits, so a fast hash is enough
/// behind the attempt limit).
pub fn recovery_hash(raw: &str) -> Option<String> {
    let normalized: String =
        raw.chars().filter(|c| c.is_ascii_alphanumeric()).map(|c| c.to_ascii_lowercase()).collect();
    (normalized.len() == 10).then(|| sha256_hex(&normalized))
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn rfc_6238_sha1_vectors() {
        // RFC 6238 appendix B, SHA-1, last six digits.
        let secret = b"12345678901234567890";
        for (t, code) in [(59, "287082"), (1111111109, "081804"), (1234567890, "005924"), (2000000000, "279037")] {
            let now = Utc.timestamp_opt(t, 0).single().expect("time");
            assert_eq!(code_at(secret, now).as_deref(), Some(code), "t={t}");
            assert!(matching_step(secret, code, now).is_some());
        }
    }

    #[test]
    fn a_code_matches_one_step_either_side_and_no_further() {
        let secret = b"12345678901234567890";
        let now = Utc.timestamp_opt(1_800_000_000, 0).single().expect("time");
        let code = code_at(secret, now).expect("code");
        let step = matching_step(secret, &code, now).expect("step");
        assert_eq!(step, 1_800_000_000 / 30);
        assert_eq!(matching_step(secret, &code, now + chrono::Duration::seconds(30)), Some(step));
        assert_eq!(matching_step(secret, &code, now + chrono::Duration::seconds(90)), None);
    }

    #[test]
    fn base32_and_uri_name_the_secret() {
        assert_eq!(base32(b"12345678901234567890"), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        let uri = otpauth_uri(b"12345678901234567890", "ada@example.com").expect("uri");
        assert!(uri.starts_with("otpauth://totp/Switchboard:ada%40example.com?"), "{uri}");
        assert!(uri.contains("secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"), "{uri}");
        assert!(uri.contains("issuer=Switchboard"), "{uri}");
        assert!(qr_svg(&uri).expect("svg").contains("<svg"));
    }

    #[test]
    fn inputs_are_normalised() {
        assert_eq!(totp_input(" 123 456 ").as_deref(), Some("123456"));
        assert_eq!(totp_input("12345"), None);
        assert_eq!(totp_input("abcdef"), None);
        let codes = new_recovery_codes();
        assert_eq!(codes.len(), 10);
        let first = codes[0].expose();
        assert_eq!(recovery_hash(first), recovery_hash(&first.to_uppercase().replace('-', " ")));
        assert_eq!(recovery_hash("short"), None);
    }
}
