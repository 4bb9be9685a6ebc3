//! Password hashing: argon2id with the OWASP parameters (m=19456 KiB, t=2, p=1), run on
//! the blocking pool so a sign-in never stalls the async workers.

use crate::domain::AppError;
use argon2::{Algorithm, Argon2, Params, PasswordHasher, PasswordVerifier, Version};

fn argon2() -> Argon2<'static> {
    // The parameters are constants that Params::new accepts; DEFAULT is the same set.
    let params = Params::new(19_456, 2, 1, None).unwrap_or(Params::DEFAULT);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

pub async fn hash_password(password: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || {
        argon2().hash_password(password.as_bytes()).map(|h| h.to_string()).map_err(|e| {
            tracing::error!(error = %e, "password hashing failed");
            AppError::internal()
        })
    })
    .await
    .map_err(|_| AppError::internal())?
}

/// True when `password` matches the stored PHC string. A malformed hash never matches.
pub async fn verify_password(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || argon2().verify_password(password.as_bytes(), hash.as_str()).is_ok())
        .await
        .unwrap_or(false)
}

/// A valid hash of a random password, verified against when an account does not exist so a
/// wrong email takes as long as a wrong password.
pub fn dummy_hash() -> &'static str {
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$4ZvMUbkFg0/7Hq0hVm3oZ2kPIT9Ai8NIvWOyY0T0bIw"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hash_then_verify() {
        let h = hash_password("violet kettle runs uphill".into()).await.unwrap();
        assert!(h.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{h}");
        assert!(verify_password("violet kettle runs uphill".into(), h.clone()).await);
        assert!(!verify_password("violet kettle runs downhill".into(), h).await);
        assert!(!verify_password("x".into(), "not a hash".into()).await);
        assert!(!verify_password("x".into(), dummy_hash().into()).await);
    }
}
