//! argon2id password hashing. Hashing is deliberately slow, so it runs on
//! the blocking pool rather than an async worker thread, and takes 19 MiB,
//! so at most `--password-workers` run at once (see [`crate::load`]); past
//! that a caller gets the 503 `server_busy`.
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

use super::model::Password;
use crate::error::AppResult;

pub async fn hash(password: &Password) -> AppResult<String> {
    let plain = password.expose().to_owned();
    let permit = crate::load::gates().passwords.enter().await?;
    let hashed = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let mut salt_bytes = [0u8; 16];
        rand::fill(&mut salt_bytes);
        let salt = SaltString::encode_b64(&salt_bytes).map_err(|e| anyhow::anyhow!("encoding salt: {e}"))?;
        Argon2::default()
            .hash_password(plain.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| anyhow::anyhow!("hashing password: {e}"))
    })
    .await
    .map_err(anyhow::Error::from)??;
    Ok(hashed)
}

/// Verifies `plain` against a stored PHC string. With no stored hash (an
/// unknown email) it still does the work of one verification, so response
/// time does not reveal which emails have accounts.
pub async fn verify(plain: &str, stored: Option<&str>) -> AppResult<bool> {
    let plain = plain.to_owned();
    let stored = stored.unwrap_or(DUMMY_HASH).to_owned();
    let known = stored != DUMMY_HASH;
    let permit = crate::load::gates().passwords.enter().await?;
    let verified = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        let parsed = PasswordHash::new(&stored).map_err(|e| anyhow::anyhow!("stored hash unreadable: {e}"))?;
        let ok = Argon2::default().verify_password(plain.as_bytes(), &parsed).is_ok();
        anyhow::Ok(ok && known)
    })
    .await
    .map_err(anyhow::Error::from)??;
    Ok(verified)
}

/// argon2id hash of a random string nobody knows, with default parameters.
const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c3dpdGNoYm9hcmRkdW1teQ$Jm1TQwAP6nb4RHb2ZRr0zx3vQ0ZbaEBnZsqg2aIhJ2M";

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_are_argon2id_and_verify() {
        let password = Password::parse("correct horse battery").expect("valid");
        let stored = hash(&password).await.expect("hash");
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify("correct horse battery", Some(&stored)).await.expect("verify"));
        assert!(!verify("wrong horse battery", Some(&stored)).await.expect("verify"));
    }

    #[tokio::test]
    async fn unknown_accounts_never_verify() {
        assert!(!verify("anything at all", None).await.expect("verify"));
    }
}
