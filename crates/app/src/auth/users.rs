//! The `users` table: accounts and their profile fields.
use chrono::{DateTime, Utc};
use switchboard_core::UserId;
use switchboard_db::{IntoExec, Tx, UniqueViolationExt, execute, fetch_optional, fetch_scalar};

use super::model::{EmailAddress, PersonName};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct User {
    #[sqlx(try_from = "String")]
    pub id: UserId,
    pub name: String,
    pub email: String,
    pub phone_e164: Option<String>,
    pub avatar_version: Option<i64>,
    /// When the address was verified (by the emailed link); `None` until then.
    pub email_verified_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub struct NewUser<'a> {
    pub name: &'a PersonName,
    pub email: &'a EmailAddress,
    pub password_hash: &'a str,
}

/// Inserts a user; `Ok(None)` when the email is already taken (the unique
/// index decides, so two sign-ups racing for one address cannot both win).
pub async fn insert<'a>(
    ex: impl IntoExec<'a>,
    new: NewUser<'_>,
    now: DateTime<Utc>,
) -> Result<Option<User>, sqlx::Error> {
    let id = UserId::new();
    let inserted = execute!(
        ex,
        "INSERT INTO users (id, name, name_normalized, email, email_normalized, password_hash, created_at, updated_at)
         VALUES ($1, $2, $7, $3, $4, $5, $6, $6)",
        id.as_str(),
        new.name.as_str(),
        new.email.as_str(),
        new.email.normalized(),
        new.password_hash,
        now,
        new.name.as_str().to_lowercase(),
    )
    .none_on_unique()?;
    Ok(inserted.map(|_| User {
        id,
        name: new.name.as_str().to_string(),
        email: new.email.as_str().to_string(),
        phone_e164: None,
        avatar_version: None,
        email_verified_at: None,
        created_at: now,
        updated_at: now,
    }))
}

pub async fn find<'a>(ex: impl IntoExec<'a>, id: &UserId) -> Result<Option<User>, sqlx::Error> {
    fetch_optional!(
        ex,
        User,
        "SELECT id, name, email, phone_e164, avatar_version, email_verified_at, created_at, updated_at FROM users WHERE id = $1",
        id.as_str()
    )
}

pub async fn find_by_email<'a>(ex: impl IntoExec<'a>, email: &EmailAddress) -> Result<Option<User>, sqlx::Error> {
    fetch_optional!(
        ex,
        User,
        "SELECT id, name, email, phone_e164, avatar_version, email_verified_at, created_at, updated_at FROM users WHERE email_normalized = $1",
        email.normalized()
    )
}

#[derive(sqlx::FromRow)]
struct Credentials {
    #[sqlx(try_from = "String")]
    id: UserId,
    password_hash: String,
}

/// The user ID and password hash for an email, for sign-in only.
pub async fn credentials<'a>(
    ex: impl IntoExec<'a>,
    email: &EmailAddress,
) -> Result<Option<(UserId, String)>, sqlx::Error> {
    let row = fetch_optional!(
        ex,
        Credentials,
        "SELECT id, password_hash FROM users WHERE email_normalized = $1",
        email.normalized()
    )?;
    Ok(row.map(|r| (r.id, r.password_hash)))
}

pub async fn count<'a>(ex: impl IntoExec<'a>) -> Result<i64, sqlx::Error> {
    fetch_scalar!(ex, i64, "SELECT COUNT(*) FROM users")
}

/// Two statements (the user and the name copies on memberships): one transaction.
pub async fn update_profile(
    tx: &mut Tx,
    id: &UserId,
    name: &PersonName,
    phone_e164: Option<&str>,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    execute!(
        &mut *tx,
        "UPDATE users SET name = $2, name_normalized = $5, phone_e164 = $3, updated_at = $4 WHERE id = $1",
        id.as_str(),
        name.as_str(),
        phone_e164,
        now,
        name.as_str().to_lowercase()
    )?;
    // The Members tables sort by a copy of the name (see memberships_list_idx).
    execute!(
        tx,
        "UPDATE memberships SET member_sort = $2 WHERE user_id = $1",
        id.as_str(),
        name.as_str().to_lowercase()
    )?;
    Ok(())
}

pub async fn set_avatar_version<'a>(
    ex: impl IntoExec<'a>,
    id: &UserId,
    version: Option<i64>,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    execute!(ex, "UPDATE users SET avatar_version = $2, updated_at = $3 WHERE id = $1", id.as_str(), version, now)?;
    Ok(())
}

/// The stored password hash of `id`, to check the current password before a change.
pub async fn password_hash<'a>(ex: impl IntoExec<'a>, id: &UserId) -> Result<Option<String>, sqlx::Error> {
    fetch_optional!(ex, (String,), "SELECT password_hash FROM users WHERE id = $1", id.as_str())
        .map(|r| r.map(|(h,)| h))
}

/// Replaces the password hash (a reset or a change; the caller ends sessions).
pub async fn set_password_hash<'a>(
    ex: impl IntoExec<'a>,
    id: &UserId,
    password_hash: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    execute!(
        ex,
        "UPDATE users SET password_hash = $2, updated_at = $3 WHERE id = $1",
        id.as_str(),
        password_hash,
        now
    )?;
    Ok(())
}

/// Marks the user's address verified, if it still is `email_normalized`
/// (a link sent to an old address proves nothing about a new one).
pub async fn mark_verified<'a>(
    ex: impl IntoExec<'a>,
    user_id: &UserId,
    email_normalized: &str,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let n = execute!(
        ex,
        "UPDATE users SET email_verified_at = $3
         WHERE id = $1 AND email_normalized = $2 AND email_verified_at IS NULL",
        user_id.as_str(),
        email_normalized,
        now
    )?;
    Ok(n == 1)
}

/// When the user's address was verified; `None` if not (or no such user).
pub async fn email_verified_at<'a>(
    ex: impl IntoExec<'a>,
    user_id: &UserId,
) -> Result<Option<DateTime<Utc>>, sqlx::Error> {
    let row: Option<(Option<DateTime<Utc>>,)> = fetch_optional!(
        ex,
        (Option<DateTime<Utc>>,),
        "SELECT email_verified_at FROM users WHERE id = $1",
        user_id.as_str()
    )?;
    Ok(row.and_then(|(at,)| at))
}
