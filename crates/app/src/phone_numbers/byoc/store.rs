//! The `carrier_accounts` table, and nothing else (the numbers of an
//! account are in `phone_numbers::store`). The sealed credentials are read
//! only by [`find_sealed`]: every other reader gets an [`Account`], which
//! has no field for them.
use chrono::{DateTime, Utc};
use switchboard_core::{CarrierAccountId, WorkspaceId};
use switchboard_db::{Backend, IntoExec, Query, Tx, execute, fetch_optional};

use super::model::{AccountSettings, CarrierKind};

const SELECT: &str = "SELECT id, workspace_id, carrier, account_ref, label, settings, status, verified_at, created_at,
        disconnected_at FROM carrier_accounts";

/// A connected (or formerly connected) account, without its credentials.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Account {
    pub id: CarrierAccountId,
    pub workspace_id: WorkspaceId,
    pub carrier: CarrierKind,
    pub account_ref: String,
    pub label: String,
    pub settings: AccountSettings,
    pub connected: bool,
    pub verified_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub disconnected_at: Option<DateTime<Utc>>,
}

#[derive(sqlx::FromRow)]
struct Row {
    id: String,
    workspace_id: String,
    carrier: String,
    account_ref: String,
    label: String,
    settings: String,
    status: String,
    verified_at: DateTime<Utc>,
    created_at: DateTime<Utc>,
    disconnected_at: Option<DateTime<Utc>>,
}

fn decode(what: &str, err: impl std::fmt::Display) -> sqlx::Error {
    sqlx::Error::Decode(format!("carrier_accounts.{what}: {err}").into())
}

impl TryFrom<Row> for Account {
    type Error = sqlx::Error;
    fn try_from(r: Row) -> Result<Account, sqlx::Error> {
        Ok(Account {
            id: r.id.parse().map_err(|e| decode("id", e))?,
            workspace_id: r.workspace_id.parse().map_err(|e| decode("workspace_id", e))?,
            carrier: CarrierKind::parse(&r.carrier).ok_or_else(|| decode("carrier", &r.carrier))?,
            account_ref: r.account_ref,
            label: r.label,
            settings: serde_json::from_str(&r.settings).map_err(|e| decode("settings", e))?,
            connected: r.status == "CONNECTED",
            verified_at: r.verified_at,
            created_at: r.created_at,
            disconnected_at: r.disconnected_at,
        })
    }
}

async fn one<'a>(q: Query, ex: impl IntoExec<'a>) -> Result<Option<Account>, sqlx::Error> {
    q.fetch_optional::<Row>(ex).await?.map(Account::try_from).transpose()
}

fn settings_json(settings: &AccountSettings) -> Result<String, sqlx::Error> {
    serde_json::to_string(settings).map_err(|e| decode("settings", e))
}

/// What a new account is stored with.
pub struct NewAccount<'a> {
    pub id: &'a CarrierAccountId,
    pub carrier: CarrierKind,
    pub account_ref: &'a str,
    pub label: &'a str,
    /// Sealed for this row's ID.
    pub credentials_sealed: &'a str,
    pub settings: &'a AccountSettings,
}

/// Inserts a CONNECTED account. The same (carrier, account) connected
/// anywhere is a unique violation (`carrier_accounts_once`).
pub async fn insert(tx: &mut Tx, ws: &WorkspaceId, a: &NewAccount<'_>, now: DateTime<Utc>) -> Result<(), sqlx::Error> {
    execute!(
        &mut *tx,
        "INSERT INTO carrier_accounts (id, workspace_id, carrier, account_ref, label, credentials_sealed, settings,
             status, verified_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'CONNECTED', $8, $8)",
        a.id.as_str(),
        ws.as_str(),
        a.carrier.as_str(),
        a.account_ref,
        a.label,
        a.credentials_sealed,
        settings_json(a.settings)?,
        now
    )?;
    Ok(())
}

pub async fn find<'a>(
    ex: impl IntoExec<'a>,
    ws: &WorkspaceId,
    id: &CarrierAccountId,
) -> Result<Option<Account>, sqlx::Error> {
    let mut q = Query::new(SELECT);
    q.push(" WHERE workspace_id = ").bind(ws.as_str()).push(" AND id = ").bind(id.as_str());
    one(q, ex).await
}

pub async fn find_for_update(
    tx: &mut Tx,
    ws: &WorkspaceId,
    id: &CarrierAccountId,
) -> Result<Option<Account>, sqlx::Error> {
    let mut q = Query::new(SELECT);
    q.push(" WHERE workspace_id = ").bind(ws.as_str()).push(" AND id = ").bind(id.as_str());
    if tx.backend() == Backend::Postgres {
        q.push(" FOR UPDATE");
    }
    one(q, &mut *tx).await
}

/// The CONNECTED account `account_ref` of `carrier`, in whichever
/// workspace holds it (at most one: the unique index).
pub async fn find_connected<'a>(
    ex: impl IntoExec<'a>,
    carrier: CarrierKind,
    account_ref: &str,
) -> Result<Option<Account>, sqlx::Error> {
    let mut q = Query::new(SELECT);
    q.push(" WHERE carrier = ").bind(carrier.as_str()).push(" AND account_ref = ").bind(account_ref);
    q.push(" AND status = 'CONNECTED'");
    one(q, ex).await
}

/// The workspace's accounts: connected first, then newest first.
pub async fn list<'a>(ex: impl IntoExec<'a>, ws: &WorkspaceId) -> Result<Vec<Account>, sqlx::Error> {
    let mut q = Query::new(SELECT);
    q.push(" WHERE workspace_id = ").bind(ws.as_str());
    q.push(" ORDER BY CASE status WHEN 'CONNECTED' THEN 0 ELSE 1 END, created_at DESC, id DESC LIMIT 200");
    q.fetch_all::<Row>(ex).await?.into_iter().map(Account::try_from).collect()
}

/// The sealed credentials of an account (empty once wiped).
pub async fn find_sealed<'a>(
    ex: impl IntoExec<'a>,
    ws: &WorkspaceId,
    id: &CarrierAccountId,
) -> Result<Option<String>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Sealed {
        credentials_sealed: String,
    }
    let row = fetch_optional!(
        ex,
        Sealed,
        "SELECT credentials_sealed FROM carrier_accounts WHERE workspace_id = $1 AND id = $2",
        ws.as_str(),
        id.as_str()
    )?;
    Ok(row.map(|r| r.credentials_sealed))
}

/// Marks the account DISCONNECTED.
pub async fn set_disconnected(
    tx: &mut Tx,
    ws: &WorkspaceId,
    id: &CarrierAccountId,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let done = execute!(
        &mut *tx,
        "UPDATE carrier_accounts SET status = 'DISCONNECTED', disconnected_at = $3
         WHERE workspace_id = $1 AND id = $2 AND status = 'CONNECTED'",
        ws.as_str(),
        id.as_str(),
        now
    )?;
    Ok(done > 0)
}

/// Replaces the sealed credentials (with a sealed empty value once wiped)
/// and the settings (the reset failures), after a disconnection.
pub async fn finish_disconnect<'a>(
    ex: impl IntoExec<'a>,
    ws: &WorkspaceId,
    id: &CarrierAccountId,
    credentials_sealed: &str,
    settings: &AccountSettings,
) -> Result<(), sqlx::Error> {
    execute!(
        ex,
        "UPDATE carrier_accounts SET credentials_sealed = $3, settings = $4 WHERE workspace_id = $1 AND id = $2",
        ws.as_str(),
        id.as_str(),
        credentials_sealed,
        settings_json(settings)?
    )?;
    Ok(())
}
