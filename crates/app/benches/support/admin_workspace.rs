//! A workspace with one Admin and an Admin API token, written straight to
//! the database in the caller's transaction: the set-up the API benchmarks
//! share (included with `#[path]`, each bench being its own crate).
use switchboard::auth::model::{EmailAddress, PersonName};
use switchboard::auth::{token_format, users};
use switchboard::secrets::sha256_hex;
use switchboard_core::{ApiTokenId, Role, UserId, WorkspaceId};
use switchboard_db::Tx;

/// The new workspace, its Admin, and the whole token (`sbk_…`) to call the API with.
pub async fn create(tx: &mut Tx, now: chrono::DateTime<chrono::Utc>) -> anyhow::Result<(WorkspaceId, UserId, String)> {
    let ws = WorkspaceId::new();
    let tag = ulid::Ulid::new().to_string().to_lowercase();
    let name = PersonName::parse("Bench Admin").map_err(anyhow::Error::msg)?;
    let email = EmailAddress::parse(&format!("bench-{tag}@example.com")).map_err(anyhow::Error::msg)?;
    let admin = users::insert(&mut *tx, users::NewUser { name: &name, email: &email, password_hash: "x" }, now)
        .await?
        .ok_or_else(|| anyhow::anyhow!("duplicate user"))?;
    let ws_name = switchboard::workspaces::model::WorkspaceName::parse("Bench").map_err(anyhow::Error::msg)?;
    switchboard::workspaces::store::insert(&mut *tx, &ws, &ws_name, &admin.id, now).await?;
    switchboard::members::store::upsert_active(&mut *tx, &ws, &admin.id, Role::Admin, now).await?;
    let token = token_format::generate();
    let stored = switchboard::developer::store::StoredSecret {
        hash: sha256_hex(&token),
        prefix: token_format::display_prefix(&token),
    };
    let new = switchboard::developer::model::NewToken { name: "bench".into(), role: Role::Admin, expires_at: None };
    switchboard::developer::store::insert(&mut *tx, &ws, &ApiTokenId::new(), &new, &stored, &admin.id, now).await?;
    Ok((ws, admin.id, token))
}
