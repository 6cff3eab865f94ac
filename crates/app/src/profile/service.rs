//! Changing one's own profile.
use crate::auth::Session;
use crate::auth::model::PersonName;
use crate::auth::users::{self, User};
use crate::error::{AppError, AppResult, FieldError};
use crate::files;
use crate::state::AppState;

use super::model::PhoneNumber;

/// `None` leaves a field as it is; an empty phone clears it.
#[derive(Debug, Default)]
pub struct ProfileUpdate {
    pub name: Option<String>,
    pub phone: Option<String>,
}

pub async fn update(state: &AppState, session: &Session, input: ProfileUpdate) -> AppResult<User> {
    let mut errors = Vec::new();
    let name = input.name.as_deref().map(PersonName::parse).transpose().unwrap_or_else(|m| {
        errors.push(FieldError::new("name", m));
        None
    });
    let phone = input.phone.as_deref().map(PhoneNumber::parse).transpose().unwrap_or_else(|m| {
        errors.push(FieldError::new("phone", m));
        None
    });
    if !errors.is_empty() {
        return Err(AppError::validation(errors));
    }
    let now = state.clock.now();
    let mut tx = state.db.begin().await?;
    let user = users::find(&mut tx, &session.user_id).await?.ok_or_else(AppError::unauthenticated)?;
    let name = match name {
        Some(n) => n,
        None => PersonName::stored(&user.name),
    };
    let phone = match phone {
        Some(p) => p.map(|p| p.as_str().to_string()),
        None => user.phone_e164.clone(),
    };
    users::update_profile(&mut tx, &user.id, &name, phone.as_deref(), now).await?;
    tx.commit().await?;
    Ok(User { name: name.as_str().to_string(), phone_e164: phone, updated_at: now, ..user })
}

pub async fn set_avatar(state: &AppState, session: &Session, upload: bytes::Bytes) -> AppResult<User> {
    let user = users::find(&state.db, &session.user_id).await?.ok_or_else(AppError::unauthenticated)?;
    let version = files::next_version(user.avatar_version, state.clock.now());
    let user_id = user.id.clone();
    files::store_image(state, "avatar", upload, |size| files::avatar_key(&user_id, version, size)).await?;
    if let Err(err) = users::set_avatar_version(&state.db, &user.id, Some(version), state.clock.now()).await {
        files::discard(state, files::avatar_prefix(&user.id, version)).await;
        return Err(err.into());
    }
    if let Some(old) = user.avatar_version {
        files::discard(state, files::avatar_prefix(&user.id, old)).await;
    }
    Ok(User { avatar_version: Some(version), ..user })
}

pub async fn remove_avatar(state: &AppState, session: &Session) -> AppResult<User> {
    let user = users::find(&state.db, &session.user_id).await?.ok_or_else(AppError::unauthenticated)?;
    users::set_avatar_version(&state.db, &user.id, None, state.clock.now()).await?;
    if let Some(old) = user.avatar_version {
        files::discard(state, files::avatar_prefix(&user.id, old)).await;
    }
    Ok(User { avatar_version: None, ..user })
}
