//! What the API calls: upload, mapping, preview, start, read; and the
//! generic steps over a target that [`super::targets::with_target`] runs.
//! Every function asks the policy first: Members and Admins import
//! contacts, Admins import suppressions ([`ImportKind::permission`]).
use futures_util::StreamExt;
use switchboard_core::{ImportId, Permission, WorkspaceId};
use switchboard_providers::storage::ByteStream;

use super::mapping::{self, Mapping};
use super::model::{Import, ImportState};
use super::parse::{self, Record, RecordReader, Separator};
use super::pipeline::{self, PreviewRow};
use super::target::{ImportKind, ImportOptions, ImportTarget, OnDuplicate, TargetField, parse_country};
use super::{job, store};
use crate::audit::{self, Changes, Origin, Target};
use crate::error::{AppError, AppResult, FieldError};
use crate::policy::WorkspaceCtx;
use crate::state::AppState;
use crate::uploads::UploadForm;
use crate::with_target;

/// Rows a preview shows.
pub const PREVIEW_ROWS: usize = 20;
/// Bytes read to guess the separator.
const SNIFF_BYTES: usize = 64 * 1024;
/// Imports the list shows.
pub const LIST_LIMIT: i64 = 50;

fn not_found() -> AppError {
    AppError::not_found("The import")
}

/// Where an import's file is kept: under the workspace's prefix, so
/// deleting the workspace removes it.
pub fn file_key(ws: &WorkspaceId, id: &ImportId) -> String {
    format!("workspaces/{ws}/imports/{id}.csv")
}

fn storage_error(err: impl Into<anyhow::Error>) -> AppError {
    AppError::Internal(err.into().context("reading an import's file"))
}

/// The stored file as a stream.
pub async fn open(state: &AppState, key: &str) -> AppResult<ByteStream> {
    let stored = state.files.get_stream(key).await.map_err(storage_error)?;
    let stored = stored.ok_or_else(|| AppError::Internal(anyhow::anyhow!("import file {key} is missing")))?;
    Ok(stored.stream)
}

async fn sniff(state: &AppState, key: &str) -> AppResult<Separator> {
    let mut stream = open(state, key).await?;
    let mut head = Vec::new();
    while head.len() < SNIFF_BYTES {
        match stream.next().await {
            Some(chunk) => head.extend_from_slice(&chunk.map_err(storage_error)?),
            None => break,
        }
        if head.contains(&b'\n') {
            break;
        }
    }
    Ok(parse::detect_separator(&head))
}

/// The header row of the file, read with `separator`.
async fn read_header(state: &AppState, key: &str, separator: Separator) -> AppResult<Vec<String>> {
    let mut reader = RecordReader::new(open(state, key).await?, separator);
    let header = reader.next_record().await.map_err(|e| AppError::field("file", e.to_string()))?;
    match header {
        Some(record) if record.invalid_utf8 => {
            Err(AppError::field("file", "The file is not UTF-8 text; save it as CSV UTF-8 and upload it again."))
        }
        Some(record) if record.cells.iter().any(|c| !c.trim().is_empty()) => {
            Ok(record.cells.into_iter().map(|c| c.trim().to_owned()).collect())
        }
        _ => Err(AppError::field("file", "The file is empty: its first row must name the columns.")),
    }
}

/// The fields of `target` for `ws`.
pub async fn fields_of<T: ImportTarget>(state: &AppState, target: &T, ws: &WorkspaceId) -> AppResult<Vec<TargetField>> {
    let ctx = target.prepare(state, ws, &ImportOptions::default()).await?;
    Ok(target.fields(&ctx))
}

/// `POST /api/v1/imports`: stores the file (one file; text fields `kind`
/// and, optionally, `separator` and `default_country`), reads its header and suggests a mapping.
pub async fn create(state: &AppState, ctx: &WorkspaceCtx, form: UploadForm) -> AppResult<(Import, Vec<TargetField>)> {
    ctx.require(Permission::EditResources)?;
    let ws = &ctx.workspace.id;
    let id = ImportId::new();
    let key = file_key(ws, &id);
    let uploaded = form.store_files(state.files.as_ref(), |_| key.clone()).await?;
    let result = async {
        let field = |name: &str| uploaded.fields.iter().find(|(n, _)| n == name).map(|(_, v)| v.trim().to_owned());
        let kind = field("kind").unwrap_or_default();
        let kind = ImportKind::parse(&kind)
            .ok_or_else(|| AppError::field("kind", "Choose what to import: contacts or suppressions."))?;
        ctx.require(kind.permission())?;
        let [file] = uploaded.files.as_slice() else {
            return Err(AppError::field("file", "Add one CSV file."));
        };
        let fields = with_target!(kind, |target| fields_of(state, target, ws).await)?;
        let separator = match field("separator").filter(|s| !s.is_empty()) {
            Some(raw) => Separator::parse(&raw)
                .ok_or_else(|| AppError::field("separator", "Use a comma, a semicolon or a tab."))?,
            None => sniff(state, &key).await?,
        };
        let header = read_header(state, &key, separator).await?;
        let default_country =
            parse_country(field("default_country").as_deref()).map_err(|m| AppError::field("default_country", m))?;
        let import = Import {
            id: id.clone(),
            workspace_id: ws.clone(),
            kind,
            state: ImportState::Uploaded,
            file_name: file.file_name.clone().unwrap_or_default().chars().take(255).collect(),
            file_key: key.clone(),
            size_bytes: i64::try_from(file.size).unwrap_or(i64::MAX),
            separator,
            mapping: mapping::suggest(&header, &fields),
            header,
            on_duplicate: OnDuplicate::Skip,
            default_country,
            counts: Default::default(),
            bytes_read: 0,
            last_row: 1,
            error: None,
            created_by: Some(ctx.user_id.clone()),
            created_at: state.clock.now(),
            started_at: None,
            finished_at: None,
        };
        store::insert(&state.db, &import).await?;
        Ok((import, fields))
    }
    .await;
    if result.is_err() {
        discard_file(state, &key).await;
    }
    result
}

/// How long an upload that was never started is kept.
pub const DRAFT_DAYS: i64 = 7;

/// Hourly: deletes uploads nobody started within [`DRAFT_DAYS`], with
/// their files (a draft imported nothing, so no audit entry is due).
pub async fn delete_abandoned(state: &AppState) -> anyhow::Result<()> {
    let before = state.clock.now() - chrono::Duration::days(DRAFT_DAYS);
    for (ws, id, key) in store::abandoned(&state.db, before, 1000).await? {
        if store::delete_draft(&state.db, &ws, &id).await? {
            discard_file(state, &key).await;
        }
    }
    Ok(())
}

/// Removes an import's file (best effort: a leftover is logged).
pub async fn discard_file(state: &AppState, key: &str) {
    if let Err(err) = state.files.delete(key).await {
        tracing::warn!(error = %err, key, "could not remove an import's file");
    }
}

/// The import, if the caller may import its kind.
pub async fn get(state: &AppState, ctx: &WorkspaceCtx, id: &ImportId) -> AppResult<Import> {
    ctx.require(Permission::EditResources)?;
    let import = store::find(&state.db, &ctx.workspace.id, id).await?.ok_or_else(not_found)?;
    ctx.require(import.kind.permission())?;
    Ok(import)
}

/// The workspace's recent imports of the kinds the caller may import.
pub async fn list(state: &AppState, ctx: &WorkspaceCtx) -> AppResult<Vec<Import>> {
    ctx.require(Permission::EditResources)?;
    let imports = store::list_recent(&state.db, &ctx.workspace.id, LIST_LIMIT).await?;
    Ok(imports.into_iter().filter(|i| ctx.can(i.kind.permission())).collect())
}

/// The import's fields (for the mapping form).
pub async fn fields(state: &AppState, import: &Import) -> AppResult<Vec<TargetField>> {
    with_target!(import.kind, |target| fields_of(state, target, &import.workspace_id).await)
}

/// `PUT /api/v1/imports/{id}/mapping`: another separator (the header is
/// read again, and the mapping suggested again unless one is sent) and/or
/// another mapping, before the start.
pub async fn set_mapping(
    state: &AppState,
    ctx: &WorkspaceCtx,
    id: &ImportId,
    separator: Option<Separator>,
    mapping: Option<Mapping>,
    default_country: Option<&str>,
) -> AppResult<(Import, Vec<TargetField>)> {
    let mut import = get(state, ctx, id).await?;
    if let Some(raw) = default_country {
        import.default_country = parse_country(Some(raw)).map_err(|m| AppError::field("default_country", m))?;
    }
    if import.state != ImportState::Uploaded {
        return Err(started());
    }
    let fields = fields(state, &import).await?;
    if let Some(separator) = separator.filter(|s| *s != import.separator) {
        import.header = read_header(state, &import.file_key, separator).await?;
        import.separator = separator;
        import.mapping = mapping::suggest(&import.header, &fields);
    }
    if let Some(mapping) = mapping {
        mapping::check(&mapping, import.header.len(), &fields).map_err(AppError::validation)?;
        import.mapping = mapping;
    }
    if !store::set_mapping(&state.db, &import).await? {
        return Err(started());
    }
    Ok((import, fields))
}

fn started() -> AppError {
    AppError::conflict("import_started", "This import has started; its mapping can no longer change.")
}

/// The first rows mapped and checked by the target's rules.
pub async fn preview_with<T: ImportTarget>(
    state: &AppState,
    target: &T,
    import: &Import,
    mapping: &Mapping,
) -> AppResult<Vec<PreviewRow>> {
    let ctx = target.prepare(state, &import.workspace_id, &import.options()).await?;
    let mut reader = RecordReader::new(open(state, &import.file_key).await?, import.separator);
    let mut records: Vec<Record> = Vec::with_capacity(PREVIEW_ROWS);
    let read = async {
        reader.next_record().await?;
        while records.len() < PREVIEW_ROWS {
            match reader.next_record().await? {
                Some(record) => records.push(record),
                None => break,
            }
        }
        Ok::<(), parse::ReadError>(())
    };
    read.await.map_err(|e| AppError::field("file", e.to_string()))?;
    Ok(pipeline::preview(target, &ctx, mapping, &records))
}

/// `GET /api/v1/imports/{id}/preview`: with `mapping`, or the stored one.
pub async fn preview(
    state: &AppState,
    ctx: &WorkspaceCtx,
    id: &ImportId,
    mapping: Option<Mapping>,
) -> AppResult<(Import, Vec<TargetField>, Vec<PreviewRow>)> {
    let import = get(state, ctx, id).await?;
    let fields = fields(state, &import).await?;
    let mapping = mapping.unwrap_or_else(|| import.mapping.clone());
    mapping::check(&mapping, import.header.len(), &fields).map_err(AppError::validation)?;
    let rows = with_target!(import.kind, |target| preview_with(state, target, &import, &mapping).await)?;
    Ok((import, fields, rows))
}

/// `POST /api/v1/imports/{id}/start`: the final mapping and duplicate
/// policy; QUEUED, its job enqueued and the start audited in one
/// transaction. Starting twice is refused (409).
pub async fn start(
    state: &AppState,
    ctx: &WorkspaceCtx,
    id: &ImportId,
    mapping: Option<Mapping>,
    on_duplicate: OnDuplicate,
) -> AppResult<Import> {
    let import = get(state, ctx, id).await?;
    if import.state != ImportState::Uploaded {
        return Err(started());
    }
    let fields = fields(state, &import).await?;
    let mapping = mapping.unwrap_or_else(|| import.mapping.clone());
    mapping::check(&mapping, import.header.len(), &fields).map_err(AppError::validation)?;
    let now = state.clock.now();
    let origin = Origin::from_ctx(ctx);
    let mut tx = state.db.begin().await?;
    if !store::queue(&mut tx, &import.workspace_id, id, &mapping, on_duplicate).await? {
        return Err(started());
    }
    let mapped: Vec<&str> = mapping.iter().flatten().map(String::as_str).collect();
    let changes = Changes::new()
        .field("state", ImportState::Uploaded.as_str(), ImportState::Queued.as_str())
        .field("kind", (), import.kind.as_str())
        .field("file_name", (), &import.file_name)
        .field("size_bytes", (), import.size_bytes)
        .field("fields", (), &mapped)
        .field("on_duplicate", (), on_duplicate.as_db())
        .field("default_country", (), &import.default_country);
    audit::record(&mut tx, &origin, &super::STARTED, &target_of(&import), &changes, now).await?;
    job::enqueue(&mut tx, &import.workspace_id, id, &origin, now).await?;
    tx.commit().await?;
    store::find(&state.db, &import.workspace_id, id).await?.ok_or_else(not_found)
}

/// The audit target of an import.
pub fn target_of(import: &Import) -> Target {
    let name = if import.file_name.is_empty() { import.kind.label().to_owned() } else { import.file_name.clone() };
    Target::new("import", &import.id, name)
}

/// A failed row's messages as one cell: `field: message; …`.
pub fn messages(errors: &[FieldError]) -> String {
    errors.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; ")
}
