//! `switchboard members add`: an operator's way to put an existing user
//! into a workspace (before invitations exist, and for recovery).
use anyhow::Context;
use switchboard_core::{Role, WorkspaceId};

use crate::audit::{self, Changes, Origin, Target};
use crate::auth::model::EmailAddress;
use crate::auth::users;
use crate::config::Config;
use crate::workspaces::store as workspaces;

pub async fn add(config: &Config, workspace: &str, email: &str, role: &str) -> anyhow::Result<()> {
    let workspace_id: WorkspaceId = workspace.parse().context("--workspace must be a workspace ID (ws_…)")?;
    let email = EmailAddress::lookup(email).context("--email must be the email address of an existing user")?;
    let role: Role = role.parse().map_err(anyhow::Error::msg)?;
    let db = crate::server::connect(config).await?;
    let now = chrono::Utc::now();
    let mut tx = db.begin().await?;
    let ws = workspaces::find(&mut tx, &workspace_id).await?.context("no such workspace")?;
    let user =
        users::find_by_email(&mut tx, &email).await?.context("no user with that email; they must sign up first")?;
    let before = super::store::find(&mut tx, &workspace_id, &user.id).await?;
    super::store::upsert_active(&mut tx, &workspace_id, &user.id, role, now).await?;
    let changes = Changes::new().field("role", before.as_ref().map(|m| m.role.as_str()), role.as_str()).field(
        "status",
        before.as_ref().map(|m| m.status.as_str()),
        "active",
    );
    let target = Target::new("member", &user.id, user.email.clone());
    audit::record(&mut tx, &Origin::system(workspace_id.clone()), &super::ADDED, &target, &changes, now).await?;
    tx.commit().await?;
    db.close().await;
    println!("{} is now {} of {}.", user.email, role.label(), ws.name);
    Ok(())
}
