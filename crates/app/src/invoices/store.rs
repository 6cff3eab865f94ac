//! The `invoices` and `invoice_lines` tables. Every function takes the
//! workspace ID. Invoices are numbered per workspace from the subscription
//! row's counter, so numbers never repeat or skip within a workspace.
use chrono::{DateTime, Utc};
use serde::Serialize;
use switchboard_core::{Cents, InvoiceId, WorkspaceId};
use switchboard_db::{IntoExec, Tx, execute, fetch_all, fetch_one, fetch_optional};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = InvoiceStatus)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Draft,
    Open,
    Paid,
    Void,
    Uncollectible,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Draft => "draft",
            Status::Open => "open",
            Status::Paid => "paid",
            Status::Void => "void",
            Status::Uncollectible => "uncollectible",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Status::Draft => "Draft",
            Status::Open => "Open",
            Status::Paid => "Paid",
            Status::Void => "Void",
            Status::Uncollectible => "Uncollectible",
        }
    }
}

impl TryFrom<String> for Status {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        [Status::Draft, Status::Open, Status::Paid, Status::Void, Status::Uncollectible]
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| format!("unknown invoice status {s:?}"))
    }
}

/// What an invoice is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = InvoiceKind)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// A cycle's charge (a renewal, or the first charge of a chosen plan).
    Subscription,
    /// The prorated difference of an upgrade.
    Proration,
    TopUp,
    AutoRecharge,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Subscription => "subscription",
            Kind::Proration => "proration",
            Kind::TopUp => "top_up",
            Kind::AutoRecharge => "auto_recharge",
        }
    }
}

impl TryFrom<String> for Kind {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        [Kind::Subscription, Kind::Proration, Kind::TopUp, Kind::AutoRecharge]
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| format!("unknown invoice kind {s:?}"))
    }
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct Invoice {
    #[sqlx(try_from = "String")]
    #[schema(value_type = String)]
    pub id: InvoiceId,
    #[sqlx(try_from = "String")]
    #[schema(value_type = String)]
    #[serde(skip)]
    pub workspace_id: WorkspaceId,
    pub number: String,
    #[sqlx(try_from = "String")]
    pub status: Status,
    #[sqlx(try_from = "String")]
    pub kind: Kind,
    pub currency: String,
    /// US cents.
    #[sqlx(try_from = "i64")]
    #[schema(value_type = i64)]
    pub total_cents: Cents,
    #[serde(skip)]
    pub idempotency_key: String,
    pub period_start: Option<DateTime<Utc>>,
    pub period_end: Option<DateTime<Utc>>,
    #[serde(skip)]
    pub processor_ref: Option<String>,
    /// Why the last charge failed, as the processor said it.
    pub failure_message: Option<String>,
    pub issued_at: DateTime<Utc>,
    pub paid_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow, utoipa::ToSchema)]
#[schema(as = InvoiceLine)]
pub struct Line {
    pub position: i32,
    pub description: String,
    pub quantity: i64,
    #[sqlx(try_from = "i64")]
    #[schema(value_type = i64)]
    pub unit_cents: Cents,
    #[sqlx(try_from = "i64")]
    #[schema(value_type = i64)]
    pub amount_cents: Cents,
}

/// A line to bill: `quantity × unit`.
#[derive(Debug, Clone)]
pub struct NewLine {
    pub description: String,
    pub quantity: i64,
    pub unit: Cents,
}

impl NewLine {
    pub fn one(description: impl Into<String>, amount: Cents) -> Self {
        NewLine { description: description.into(), quantity: 1, unit: amount }
    }
}

pub struct NewInvoice {
    pub kind: Kind,
    /// One invoice per key per workspace: a retried renewal or top-up finds
    /// the invoice it made the first time.
    pub idempotency_key: String,
    pub lines: Vec<NewLine>,
    pub period: Option<(DateTime<Utc>, DateTime<Utc>)>,
}

macro_rules! invoice_select {
    () => {
        "SELECT id, workspace_id, number, status, kind, currency, total_cents, idempotency_key, period_start,
                period_end, processor_ref, failure_message, issued_at, paid_at, updated_at
         FROM invoices"
    };
}

/// `PREFIX-XXXX-0007`: the prefix, four characters of the workspace ID (so
/// invoices of different workspaces read differently), the sequence.
pub fn format_number(prefix: &str, ws: &WorkspaceId, seq: i64) -> String {
    let id = ws.as_str();
    let code = &id[id.len().saturating_sub(4)..];
    format!("{prefix}-{code}-{seq:04}")
}

/// Creates an open invoice, or returns the one made earlier under the same
/// key (`false`). Needs the workspace's subscription row (for the counter).
pub async fn create(
    tx: &mut Tx,
    ws: &WorkspaceId,
    prefix: &str,
    new: &NewInvoice,
    now: DateTime<Utc>,
) -> anyhow::Result<(Invoice, bool)> {
    if let Some(existing) = find_by_key(&mut *tx, ws, &new.idempotency_key).await? {
        return Ok((existing, false));
    }
    let mut total = Cents::ZERO;
    let mut amounts = Vec::with_capacity(new.lines.len());
    for line in &new.lines {
        let amount = line.unit.checked_mul(line.quantity).ok_or_else(|| anyhow::anyhow!("invoice line overflows"))?;
        total = total.checked_add(amount).ok_or_else(|| anyhow::anyhow!("invoice total overflows"))?;
        amounts.push(amount);
    }
    let (seq,): (i64,) = fetch_one!(
        &mut *tx,
        (i64,),
        "UPDATE subscriptions SET invoice_counter = invoice_counter + 1 WHERE workspace_id = $1
         RETURNING invoice_counter",
        ws.as_str()
    )?;
    let id = InvoiceId::new();
    execute!(
        &mut *tx,
        "INSERT INTO invoices (id, workspace_id, number, status, kind, currency, total_cents, idempotency_key,
             period_start, period_end, issued_at, updated_at)
         VALUES ($1, $2, $3, 'open', $4, 'usd', $5, $6, $7, $8, $9, $9)",
        id.as_str(),
        ws.as_str(),
        format_number(prefix, ws, seq),
        new.kind.as_str(),
        total.minor(),
        &new.idempotency_key,
        new.period.map(|p| p.0),
        new.period.map(|p| p.1),
        now
    )?;
    for (position, (line, amount)) in new.lines.iter().zip(amounts).enumerate() {
        execute!(
            &mut *tx,
            "INSERT INTO invoice_lines (invoice_id, workspace_id, position, description, quantity, unit_cents,
                 amount_cents)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
            id.as_str(),
            ws.as_str(),
            i32::try_from(position).unwrap_or(i32::MAX),
            &line.description,
            line.quantity,
            line.unit.minor(),
            amount.minor()
        )?;
    }
    let invoice = find(&mut *tx, ws, &id).await?.ok_or_else(|| anyhow::anyhow!("the invoice was just written"))?;
    Ok((invoice, true))
}

pub async fn find<'a>(ex: impl IntoExec<'a>, ws: &WorkspaceId, id: &InvoiceId) -> Result<Option<Invoice>, sqlx::Error> {
    fetch_optional!(
        ex,
        Invoice,
        concat!(invoice_select!(), " WHERE workspace_id = $1 AND id = $2"),
        ws.as_str(),
        id.as_str()
    )
}

pub async fn find_by_key<'a>(
    ex: impl IntoExec<'a>,
    ws: &WorkspaceId,
    key: &str,
) -> Result<Option<Invoice>, sqlx::Error> {
    fetch_optional!(
        ex,
        Invoice,
        concat!(invoice_select!(), " WHERE workspace_id = $1 AND idempotency_key = $2"),
        ws.as_str(),
        key
    )
}

/// The invoice a processor knows by `processor_ref` (a Stripe `in_…`), in any workspace.
pub async fn find_by_processor_ref<'a>(
    ex: impl IntoExec<'a>,
    processor_ref: &str,
) -> Result<Option<Invoice>, sqlx::Error> {
    fetch_optional!(ex, Invoice, concat!(invoice_select!(), " WHERE processor_ref = $1"), processor_ref)
}

/// The paid cycle invoice of the period starting `start` (a day either side:
/// the processor counts in whole seconds from its own anchor), if any.
pub async fn find_paid_for_period<'a>(
    ex: impl IntoExec<'a>,
    ws: &WorkspaceId,
    start: DateTime<Utc>,
) -> Result<Option<Invoice>, sqlx::Error> {
    let window = chrono::Duration::days(1);
    fetch_optional!(
        ex,
        Invoice,
        concat!(
            invoice_select!(),
            " WHERE workspace_id = $1 AND kind = 'subscription' AND status = 'paid'
              AND period_start >= $2 AND period_start <= $3 ORDER BY issued_at DESC LIMIT 1"
        ),
        ws.as_str(),
        start - window,
        start + window
    )
}

/// Newest first; `before` is the `(issued_at, id)` of the last one seen.
pub async fn list<'a>(
    ex: impl IntoExec<'a>,
    ws: &WorkspaceId,
    before: Option<(DateTime<Utc>, &InvoiceId)>,
    limit: i64,
) -> Result<Vec<Invoice>, sqlx::Error> {
    match before {
        None => fetch_all!(
            ex,
            Invoice,
            concat!(invoice_select!(), " WHERE workspace_id = $1 ORDER BY issued_at DESC, id DESC LIMIT $2"),
            ws.as_str(),
            limit
        ),
        Some((at, id)) => fetch_all!(
            ex,
            Invoice,
            concat!(
                invoice_select!(),
                " WHERE workspace_id = $1 AND (issued_at < $2 OR (issued_at = $2 AND id < $3))
                 ORDER BY issued_at DESC, id DESC LIMIT $4"
            ),
            ws.as_str(),
            at,
            id.as_str(),
            limit
        ),
    }
}

pub async fn lines<'a>(ex: impl IntoExec<'a>, ws: &WorkspaceId, id: &InvoiceId) -> Result<Vec<Line>, sqlx::Error> {
    fetch_all!(
        ex,
        Line,
        "SELECT position, description, quantity, unit_cents, amount_cents FROM invoice_lines
         WHERE workspace_id = $1 AND invoice_id = $2 ORDER BY position",
        ws.as_str(),
        id.as_str()
    )
}

/// Open (or draft) → paid. `false` when it was not open (already paid, void).
pub async fn mark_paid<'a>(
    ex: impl IntoExec<'a>,
    ws: &WorkspaceId,
    id: &InvoiceId,
    processor_ref: Option<&str>,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let done = execute!(
        ex,
        "UPDATE invoices SET status = 'paid', paid_at = $3, updated_at = $3, failure_message = NULL,
             processor_ref = COALESCE($4, processor_ref)
         WHERE workspace_id = $1 AND id = $2 AND status IN ('draft', 'open')",
        ws.as_str(),
        id.as_str(),
        now,
        processor_ref
    )?;
    Ok(done > 0)
}

/// Records a failed charge: the message, and the status it leaves the
/// invoice in (`open` to retry, `void` when nothing is owed, `uncollectible`).
pub async fn mark_failed<'a>(
    ex: impl IntoExec<'a>,
    ws: &WorkspaceId,
    id: &InvoiceId,
    message: &str,
    status: Status,
    now: DateTime<Utc>,
) -> Result<bool, sqlx::Error> {
    let done = execute!(
        ex,
        "UPDATE invoices SET status = $3, failure_message = $4, updated_at = $5
         WHERE workspace_id = $1 AND id = $2 AND status IN ('draft', 'open')",
        ws.as_str(),
        id.as_str(),
        status.as_str(),
        message,
        now
    )?;
    Ok(done > 0)
}

/// Links an invoice to the processor's copy of it (a Stripe `in_…`).
pub async fn set_processor_ref<'a>(
    ex: impl IntoExec<'a>,
    ws: &WorkspaceId,
    id: &InvoiceId,
    processor_ref: &str,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    execute!(
        ex,
        "UPDATE invoices SET processor_ref = $3, updated_at = $4 WHERE workspace_id = $1 AND id = $2",
        ws.as_str(),
        id.as_str(),
        processor_ref,
        now
    )?;
    Ok(())
}

/// How many invoices of `kind` issued since `since` are still open (or
/// draft): charges under way (auto-recharge counts them against its cap).
pub async fn count_open_since<'a>(
    ex: impl IntoExec<'a>,
    ws: &WorkspaceId,
    kind: Kind,
    since: DateTime<Utc>,
) -> Result<i64, sqlx::Error> {
    switchboard_db::fetch_scalar!(
        ex,
        i64,
        "SELECT COUNT(*) FROM invoices
         WHERE workspace_id = $1 AND kind = $2 AND status IN ('draft', 'open') AND issued_at >= $3",
        ws.as_str(),
        kind.as_str(),
        since
    )
}
