//! The key that encrypts secrets at rest: from MANDATE_SECRET_KEY, or generated once into
//! `<data dir>/secret.key` with mode 0600. Losing it makes encrypted values unreadable, so
//! it is never regenerated over an existing file.

use base64::Engine;
use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::Path;

pub const KEY_FILE: &str = "secret.key";

#[derive(Debug, thiserror::Error)]
pub enum SecretKeyError {
    #[error("MANDATE_SECRET_KEY must be 32 bytes, base64 or hex encoded (64 hex characters)")]
    BadFormat,
    #[error("cannot read or create the secret key {path}: {source}")]
    Io { path: String, source: std::io::Error },
}

/// A key from its text (base64 or 64 hex characters).
pub fn decode(text: &str) -> Option<[u8; 32]> {
    let text = text.trim();
    let bytes = if text.len() == 64 && text.chars().all(|c| c.is_ascii_hexdigit()) {
        hex::decode(text).ok()?
    } else {
        base64::engine::general_purpose::STANDARD.decode(text).ok()?
    };
    bytes.try_into().ok()
}

/// Returns the key and where it came from (for the start-up log).
pub fn load_or_create(configured: Option<&str>, data_dir: &Path) -> Result<([u8; 32], String), SecretKeyError> {
    if let Some(text) = configured {
        return decode(text).map(|k| (k, "MANDATE_SECRET_KEY".to_string())).ok_or(SecretKeyError::BadFormat);
    }
    let path = data_dir.join(KEY_FILE);
    let io = |source| SecretKeyError::Io { path: path.display().to_string(), source };
    if path.exists() {
        let meta = std::fs::metadata(&path).map_err(io)?;
        if meta.permissions().mode() & 0o077 != 0 {
            tracing::warn!(path = %path.display(), "secret key file is readable by others; run chmod 600 on it");
        }
        let text = std::fs::read_to_string(&path).map_err(io)?;
        let key = decode(&text).ok_or(SecretKeyError::BadFormat)?;
        return Ok((key, path.display().to_string()));
    }
    std::fs::create_dir_all(data_dir).map_err(io)?;
    let key = generate();
    let mut file = OpenOptions::new().write(true).create_new(true).mode(0o600).open(&path).map_err(io)?;
    file.write_all(encode(&key).as_bytes()).map_err(io)?;
    file.sync_all().map_err(io)?;
    tracing::info!(path = %path.display(), "generated a new secret key; back it up with the database");
    Ok((key, format!("{} (generated)", path.display())))
}

/// A new random key.
pub fn generate() -> [u8; 32] {
    let mut key = [0u8; 32];
    rand::RngCore::fill_bytes(&mut rand::thread_rng(), &mut key);
    key
}

/// The key as it is written in a key file or MANDATE_SECRET_KEY.
pub fn encode(key: &[u8; 32]) -> String {
    base64::engine::general_purpose::STANDARD.encode(key)
}

fn write_new(path: &Path, key: &[u8; 32]) -> Result<(), SecretKeyError> {
    let io = |source| SecretKeyError::Io { path: path.display().to_string(), source };
    let _ = std::fs::remove_file(path);
    let mut file = OpenOptions::new().write(true).create_new(true).mode(0o600).open(path).map_err(io)?;
    file.write_all(encode(key).as_bytes()).map_err(io)?;
    file.sync_all().map_err(io)
}

/// Key rotation with a key file, step 1: the new key written beside the current one
/// (`secret.key.next`), before anything is re-encrypted, so it is on disk whatever happens.
pub fn stage_next(data_dir: &Path, key: &[u8; 32]) -> Result<std::path::PathBuf, SecretKeyError> {
    let path = data_dir.join(format!("{KEY_FILE}.next"));
    write_new(&path, key)?;
    Ok(path)
}

/// Key rotation with a key file, step 2 (after everything was re-encrypted): the current key
/// becomes `secret.key.previous` and the staged one `secret.key`. Returns the previous key's
/// path.
pub fn promote_next(data_dir: &Path) -> Result<std::path::PathBuf, SecretKeyError> {
    let current = data_dir.join(KEY_FILE);
    let previous = data_dir.join(format!("{KEY_FILE}.previous"));
    let next = data_dir.join(format!("{KEY_FILE}.next"));
    let io = |path: &Path| {
        let path = path.display().to_string();
        move |source| SecretKeyError::Io { path, source }
    };
    std::fs::rename(&current, &previous).map_err(io(&current))?;
    std::fs::rename(&next, &current).map_err(io(&next))?;
    Ok(previous)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generates_once_with_mode_0600_then_reuses() {
        let dir = tempfile::tempdir().unwrap();
        let (k1, _) = load_or_create(None, dir.path()).unwrap();
        let mode = std::fs::metadata(dir.path().join(KEY_FILE)).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let (k2, _) = load_or_create(None, dir.path()).unwrap();
        assert_eq!(k1, k2);
    }

    #[test]
    fn a_staged_key_replaces_the_current_one_which_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let (old, _) = load_or_create(None, dir.path()).unwrap();
        let new = generate();
        let staged = stage_next(dir.path(), &new).unwrap();
        assert_eq!(std::fs::metadata(&staged).unwrap().permissions().mode() & 0o777, 0o600);
        assert_eq!(load_or_create(None, dir.path()).unwrap().0, old, "staging changes nothing yet");
        let previous = promote_next(dir.path()).unwrap();
        assert_eq!(load_or_create(None, dir.path()).unwrap().0, new);
        assert_eq!(decode(&std::fs::read_to_string(previous).unwrap()), Some(old));
    }

    #[test]
    fn configured_key_must_be_32_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let hex_key = "ab".repeat(32);
        assert_eq!(load_or_create(Some(&hex_key), dir.path()).unwrap().0, [0xab; 32]);
        assert!(matches!(load_or_create(Some("short"), dir.path()), Err(SecretKeyError::BadFormat)));
        assert!(!dir.path().join(KEY_FILE).exists());
    }
}
