//! Encryption of secrets at rest (TOTP secrets now, connector secrets later): AES-256-GCM
//! with the server's secret key (`AppState.secret_key`), a fresh random 96-bit nonce per
//! value, and associated data that binds a ciphertext to the row it belongs to (a value
//! copied to another row does not decrypt).
//!
//! Stored form: `v1:` + base64(nonce ‖ ciphertext ‖ tag). The version prefix leaves room
//! for key rotation.

use crate::domain::AppError;
use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Key, Nonce};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use rand::RngCore;

const VERSION: &str = "v1:";
const NONCE_LEN: usize = 12;

fn cipher(key: &[u8; 32]) -> Aes256Gcm {
    Aes256Gcm::new(Key::<Aes256Gcm>::from_slice(key))
}

/// Encrypts `plaintext`; `context` (e.g. "totp:<user id>") must be given again to decrypt.
pub fn encrypt(key: &[u8; 32], plaintext: &[u8], context: &str) -> Result<String, AppError> {
    let mut nonce = [0u8; NONCE_LEN];
    rand::rngs::OsRng.fill_bytes(&mut nonce);
    let sealed = cipher(key)
        .encrypt(Nonce::from_slice(&nonce), Payload { msg: plaintext, aad: context.as_bytes() })
        .map_err(|_| {
            tracing::error!("encryption failed");
            AppError::internal()
        })?;
    let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&sealed);
    Ok(format!("{VERSION}{}", STANDARD.encode(out)))
}

/// Decrypts what `encrypt` produced with the same key and context. A changed ciphertext,
/// another key or another context all fail (logged; the caller sees an internal error).
pub fn decrypt(key: &[u8; 32], stored: &str, context: &str) -> Result<Vec<u8>, AppError> {
    let fail = |why: &str| {
        tracing::error!(why, "cannot decrypt a stored secret");
        AppError::internal()
    };
    let body = stored.strip_prefix(VERSION).ok_or_else(|| fail("unknown format"))?;
    let bytes = STANDARD.decode(body).map_err(|_| fail("not base64"))?;
    if bytes.len() < NONCE_LEN + 16 {
        return Err(fail("too short"));
    }
    let (nonce, sealed) = bytes.split_at(NONCE_LEN);
    cipher(key)
        .decrypt(Nonce::from_slice(nonce), Payload { msg: sealed, aad: context.as_bytes() })
        .map_err(|_| fail("authentication failed: wrong key, context or a changed value"))
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: [u8; 32] = [7u8; 32];

    #[test]
    fn round_trip() {
        let stored = encrypt(&KEY, b"12345678901234567890", "totp:u1").unwrap();
        assert!(stored.starts_with("v1:"));
        assert!(!stored.contains("12345678901234567890"));
        assert_eq!(decrypt(&KEY, &stored, "totp:u1").unwrap(), b"12345678901234567890");
    }

    #[test]
    fn each_encryption_uses_a_new_nonce() {
        let a = encrypt(&KEY, b"same", "c").unwrap();
        let b = encrypt(&KEY, b"same", "c").unwrap();
        assert_ne!(a, b);
    }

    #[test]
    fn tampering_fails() {
        let stored = encrypt(&KEY, b"secret bytes", "totp:u1").unwrap();
        let mut raw = STANDARD.decode(&stored[3..]).unwrap();
        for i in [0, NONCE_LEN, raw.len() - 1] {
            raw[i] ^= 0x01;
            let changed = format!("v1:{}", STANDARD.encode(&raw));
            assert!(decrypt(&KEY, &changed, "totp:u1").is_err(), "flipped byte {i}");
            raw[i] ^= 0x01;
        }
        let truncated = format!("v1:{}", STANDARD.encode(&raw[..raw.len() - 1]));
        assert!(decrypt(&KEY, &truncated, "totp:u1").is_err());
    }

    #[test]
    fn another_key_or_context_fails() {
        let stored = encrypt(&KEY, b"secret", "totp:u1").unwrap();
        assert!(decrypt(&[8u8; 32], &stored, "totp:u1").is_err());
        assert!(decrypt(&KEY, &stored, "totp:u2").is_err(), "moved to another user's row");
        assert!(decrypt(&KEY, "v2:abc", "totp:u1").is_err());
        assert!(decrypt(&KEY, "v1:!!!", "totp:u1").is_err());
        assert!(decrypt(&KEY, "v1:", "totp:u1").is_err());
    }
}
