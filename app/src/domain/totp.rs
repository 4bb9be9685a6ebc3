//! Two-step sign-in codes: TOTP (RFC 6238 over HOTP, RFC 4226) with HMAC-SHA-1, 6 digits
//! and 30-second steps, as every authenticator app expects; the `otpauth://` URI that
//! enrols an app; base32 (RFC 4648) for showing the secret; and the one-time recovery codes'
//! format.
//!
//! Pure: the time comes in as Unix seconds and the randomness (secret, recovery codes) as
//! bytes, so tests control both. The services layer stores the secret encrypted and
//! remembers the last step used, which `verify` takes to refuse a replayed code.

use hmac::{Hmac, KeyInit, Mac};
use sha1::Sha1;

/// Seconds per time step.
pub const STEP_SECS: i64 = 30;
/// Digits of a code.
pub const DIGITS: u32 = 6;
/// Steps accepted on either side of the current one (clock drift between phone and server).
pub const SKEW_STEPS: i64 = 1;
/// Bytes of a new secret (160 bits, RFC 4226's recommendation for SHA-1).
pub const SECRET_LEN: usize = 20;
/// How many recovery codes an enrolment hands out.
pub const RECOVERY_CODE_COUNT: usize = 10;

/// HOTP (RFC 4226 §5.3): HMAC-SHA-1 of the big-endian counter, dynamically truncated, modulo
/// 10^digits.
pub fn hotp(secret: &[u8], counter: u64, digits: u32) -> u32 {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = match <Hmac<Sha1> as KeyInit>::new_from_slice(secret) {
        Ok(m) => m,
        Err(_) => return 0,
    };
    mac.update(&counter.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = (digest[digest.len() - 1] & 0x0f) as usize;
    let binary = (u32::from(digest[offset]) & 0x7f) << 24
        | u32::from(digest[offset + 1]) << 16
        | u32::from(digest[offset + 2]) << 8
        | u32::from(digest[offset + 3]);
    binary % 10u32.pow(digits)
}

/// The time step that `unix_secs` falls in.
pub fn step_at(unix_secs: i64) -> i64 {
    unix_secs.div_euclid(STEP_SECS)
}

/// The code for one step, zero-padded to `digits`.
pub fn code_for_step(secret: &[u8], step: i64, digits: u32) -> String {
    format!("{:0width$}", hotp(secret, step.max(0) as u64, digits), width = digits as usize)
}

/// The 6-digit code an authenticator shows at `unix_secs`.
pub fn code_at(secret: &[u8], unix_secs: i64) -> String {
    code_for_step(secret, step_at(unix_secs), DIGITS)
}

/// What a person typed, as a 6-digit code: spaces and dashes are ignored ("123 456").
pub fn normalize_code(input: &str) -> Option<String> {
    let digits: String = input.chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
    (digits.len() == DIGITS as usize && digits.bytes().all(|b| b.is_ascii_digit())).then_some(digits)
}

/// Compares without an early exit, so the time taken says nothing about how much matched.
fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Checks `code` against the steps around `unix_secs` (±`SKEW_STEPS`). Returns the step it
/// matched, which the caller stores so the same code (or an older one) is refused next
/// time: `last_used_step` is that stored value.
pub fn verify(secret: &[u8], code: &str, unix_secs: i64, last_used_step: Option<i64>) -> Option<i64> {
    let code = normalize_code(code)?;
    let now = step_at(unix_secs);
    let mut matched = None;
    // Check every candidate step, not stopping at the first match, so timing is constant.
    for step in (now - SKEW_STEPS)..=(now + SKEW_STEPS) {
        if same(&code_for_step(secret, step, DIGITS), &code)
            && last_used_step.is_none_or(|last| step > last)
            && matched.is_none()
        {
            matched = Some(step);
        }
    }
    matched
}

const BASE32_ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 base32 without padding, the form authenticator apps take a secret in.
pub fn base32_encode(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    let mut buffer: u32 = 0;
    let mut bits = 0u32;
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(BASE32_ALPHABET[((buffer >> bits) & 31) as usize] as char);
        }
        buffer &= (1 << bits) - 1;
    }
    if bits > 0 {
        out.push(BASE32_ALPHABET[((buffer << (5 - bits)) & 31) as usize] as char);
    }
    out
}

/// Reads RFC 4648 base32 (case, spaces and padding ignored); None on any other character.
pub fn base32_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 5 / 8);
    let mut buffer: u32 = 0;
    let mut bits = 0u32;
    for c in text.chars().filter(|c| !c.is_whitespace() && *c != '=') {
        let upper = c.to_ascii_uppercase() as u8;
        let value = BASE32_ALPHABET.iter().position(|&a| a == upper)? as u32;
        buffer = (buffer << 5) | value;
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// The secret in groups of four for reading aloud or typing: "GEZD GNBV …".
pub fn group_secret(base32: &str) -> String {
    base32.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join(" ")
}

fn uri_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The Key URI an authenticator app scans:
/// `otpauth://totp/Issuer:account?secret=…&issuer=Issuer&algorithm=SHA1&digits=6&period=30`.
pub fn otpauth_uri(issuer: &str, account: &str, secret: &[u8]) -> String {
    format!(
        "otpauth://totp/{}:{}?secret={}&issuer={}&algorithm=SHA1&digits={DIGITS}&period={STEP_SECS}",
        uri_encode(issuer),
        uri_encode(account),
        base32_encode(secret),
        uri_encode(issuer)
    )
}

/// Letters and digits of recovery codes: no 0/o, 1/l/i, so they survive being written down.
const RECOVERY_ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyz23456789";

/// A recovery code made from 10 random bytes: "xxxxx-xxxxx" (31 symbols each, ~49 bits).
pub fn recovery_code_from(random: &[u8; 10]) -> String {
    let chars: String =
        random.iter().map(|b| RECOVERY_ALPHABET[(*b as usize) % RECOVERY_ALPHABET.len()] as char).collect();
    format!("{}-{}", &chars[..5], &chars[5..])
}

/// What a person typed, as a stored recovery code: case, spaces and dashes do not matter.
/// None when it cannot be one.
pub fn normalize_recovery_code(input: &str) -> Option<String> {
    let s: String = input.chars().filter(|c| !c.is_whitespace() && *c != '-').flat_map(char::to_lowercase).collect();
    (s.len() == 10 && s.bytes().all(|b| RECOVERY_ALPHABET.contains(&b))).then(|| format!("{}-{}", &s[..5], &s[5..]))
}

/// What the account page shows about the person's MFA.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct MfaStatus {
    pub enabled: bool,
    /// A secret was generated but not yet confirmed with a code.
    pub enrolment_pending: bool,
    /// Unused recovery codes.
    pub recovery_codes_left: u64,
    /// The org requires every member to use MFA.
    pub org_requires: bool,
}

/// A started enrolment: what the authenticator app needs. Shown once.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct Enrolment {
    /// The secret in base32, grouped by four for typing.
    pub secret: String,
    pub otpauth_uri: String,
    /// The URI as a QR code: an `<svg>` with attributes only (no style, no script).
    pub qr_svg: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// RFC 6238 appendix B's SHA-1 seed.
    const RFC_SECRET: &[u8] = b"12345678901234567890";

    /// RFC 6238 appendix B, SHA-1 rows: (T in Unix seconds, 8-digit TOTP).
    const RFC_VECTORS: [(i64, &str); 6] = [
        (59, "94287082"),
        (1111111109, "07081804"),
        (1111111111, "14050471"),
        (1234567890, "89005924"),
        (2000000000, "69279037"),
        (20000000000, "65353130"),
    ];

    #[test]
    fn rfc6238_sha1_vectors_with_8_digits() {
        for (t, expected) in RFC_VECTORS {
            assert_eq!(code_for_step(RFC_SECRET, step_at(t), 8), expected, "T={t}");
        }
    }

    #[test]
    fn six_digit_codes_are_the_last_six_of_the_rfc_values() {
        // Truncation is `binary mod 10^digits`, so the 6-digit code is the 8-digit one's tail.
        for (t, expected) in RFC_VECTORS {
            assert_eq!(code_at(RFC_SECRET, t), &expected[2..], "T={t}");
        }
        assert_eq!(code_at(RFC_SECRET, 59), "287082");
        assert_eq!(code_at(RFC_SECRET, 1111111109), "081804", "leading zero kept");
    }

    #[test]
    fn rfc4226_hotp_vectors() {
        // RFC 4226 appendix D.
        let expected = [755224, 287082, 359152, 969429, 338314, 254676, 287922, 162583, 399871, 520489];
        for (counter, code) in expected.iter().enumerate() {
            assert_eq!(hotp(RFC_SECRET, counter as u64, 6), *code, "counter {counter}");
        }
    }

    #[test]
    fn verify_accepts_one_step_of_drift_and_no_more() {
        let t = 1111111111; // step 37037037, 1 s into it
        let step = step_at(t);
        for delta in -1..=1 {
            let code = code_for_step(RFC_SECRET, step + delta, 6);
            assert_eq!(verify(RFC_SECRET, &code, t, None), Some(step + delta), "delta {delta}");
        }
        for delta in [-3, -2, 2, 3] {
            let code = code_for_step(RFC_SECRET, step + delta, 6);
            assert_eq!(verify(RFC_SECRET, &code, t, None), None, "delta {delta}");
        }
    }

    #[test]
    fn verify_refuses_a_replayed_or_older_step() {
        let t = 1234567890;
        let code = code_at(RFC_SECRET, t);
        let used = verify(RFC_SECRET, &code, t, None).unwrap();
        assert_eq!(verify(RFC_SECRET, &code, t, Some(used)), None, "same code again");
        assert_eq!(verify(RFC_SECRET, &code, t + 10, Some(used)), None, "same step later");
        let previous = code_for_step(RFC_SECRET, step_at(t) - 1, 6);
        assert_eq!(verify(RFC_SECRET, &previous, t, Some(used)), None, "an older step");
        let next = code_at(RFC_SECRET, t + STEP_SECS);
        assert_eq!(verify(RFC_SECRET, &next, t + STEP_SECS, Some(used)), Some(used + 1), "the next step");
    }

    #[test]
    fn verify_reads_typed_codes_and_rejects_junk() {
        let t = 59;
        assert_eq!(verify(RFC_SECRET, "287 082", t, None), Some(1));
        assert_eq!(verify(RFC_SECRET, "287-082", t, None), Some(1));
        for junk in ["", "28708", "2870822", "abcdef", "94287082", "000000"] {
            assert_eq!(verify(RFC_SECRET, junk, t, None), None, "{junk:?}");
        }
        assert_eq!(verify(b"another secret......", "287082", t, None), None);
    }

    #[test]
    fn base32_rfc4648_vectors() {
        // RFC 4648 §10, without padding.
        for (input, expected) in [
            ("", ""),
            ("f", "MY"),
            ("fo", "MZXQ"),
            ("foo", "MZXW6"),
            ("foob", "MZXW6YQ"),
            ("fooba", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI"),
        ] {
            assert_eq!(base32_encode(input.as_bytes()), expected);
        }
        assert_eq!(base32_encode(RFC_SECRET), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
        assert_eq!(group_secret("GEZDGNBVGY"), "GEZD GNBV GY");
        assert_eq!(base32_decode("GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ").unwrap(), RFC_SECRET);
        assert_eq!(base32_decode("mzxw6ytboi").unwrap(), b"foobar");
        assert_eq!(base32_decode("MZXW6==="), Some(b"foo".to_vec()));
        assert_eq!(base32_decode("MZ1W"), None);
    }

    #[test]
    fn otpauth_uri_has_what_apps_need() {
        let uri = otpauth_uri("Mandate (Acme)", "ann@example.com", RFC_SECRET);
        assert_eq!(
            uri,
            "otpauth://totp/Mandate%20%28Acme%29:ann%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Mandate%20%28Acme%29&algorithm=SHA1&digits=6&period=30"
        );
    }

    #[test]
    fn recovery_codes_normalize() {
        let code = recovery_code_from(&[0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
        assert_eq!(code, "abcde-fghjk");
        assert_eq!(normalize_recovery_code(" ABCDE FGHJK "), Some(code.clone()));
        assert_eq!(normalize_recovery_code("abcdefghjk"), Some(code));
        assert_eq!(normalize_recovery_code("abcde-fghj"), None);
        assert_eq!(normalize_recovery_code("abcde-fghj1"), None, "1 is not in the alphabet");
        assert_eq!(normalize_recovery_code("123456"), None);
    }

    proptest! {
        /// Whatever the secret and time, the current code verifies and a replay does not.
        #[test]
        fn current_code_verifies_once(secret in prop::collection::vec(any::<u8>(), 10..64), t in 0i64..4_000_000_000) {
            let code = code_at(&secret, t);
            prop_assert_eq!(code.len(), 6);
            let step = verify(&secret, &code, t, None);
            prop_assert!(step.is_some());
            // Another code may collide with a neighbouring step (1 in 10^6); the matched step
            // is always within the window.
            let s = step.unwrap();
            prop_assert!((s - step_at(t)).abs() <= SKEW_STEPS);
            prop_assert_eq!(verify(&secret, &code, t, Some(step_at(t) + SKEW_STEPS)), None);
        }

        /// base32 decodes what it encodes.
        #[test]
        fn base32_round_trip(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
            prop_assert_eq!(base32_decode(&base32_encode(&bytes)), Some(bytes));
        }

        /// Every generated recovery code normalizes to itself.
        #[test]
        fn recovery_codes_round_trip(random in any::<[u8; 10]>()) {
            let code = recovery_code_from(&random);
            prop_assert_eq!(normalize_recovery_code(&code.to_uppercase()), Some(code));
        }
    }
}
