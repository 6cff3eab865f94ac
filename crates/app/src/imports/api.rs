//! `/api/v1/imports`: upload (multipart, through the large-upload route
//! kind), mapping, preview, start, progress, the errors CSV, the list.
//! Members and Admins import contacts; Admins import suppressions.
use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use switchboard_core::ImportId;
use utoipa::{IntoParams, OpenApi, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::mapping::Mapping;
use super::model::{Counts, Import, ImportState};
use super::parse::Separator;
use super::pipeline::PreviewRow;
use super::service;
use super::store;
use super::target::{ImportKind, OnDuplicate, TargetField};
use crate::api::{ApiJson, ApiQuery};
use crate::csv_export::CsvRows;
use crate::error::{AppError, AppResult};
use crate::policy::WorkspaceCtx;
use crate::routes::{Access, Routes};
use crate::state::AppState;
use crate::uploads::{Limit, MIB, UploadForm};

pub const IMPORTS: &str = "/api/v1/imports";
/// One CSV file of at most 200 MiB.
pub const UPLOAD_LIMIT: Limit = Limit { max_file_bytes: 200 * MIB, max_files: 1, max_total_bytes: 200 * MIB };
/// Failed rows per query of the errors CSV.
const ERRORS_PAGE: i64 = 1000;

/// The multipart body of `POST /api/v1/imports` (for the document: the
/// handler reads it as a stream through [`UploadForm`]).
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct ImportForm {
    /// `contacts` or `suppressions`. Send it before the file.
    kind: String,
    /// `,`, `;`, a tab (or `comma`, `semicolon`, `tab`); guessed from the
    /// header line when absent.
    separator: Option<String>,
    /// ISO 3166 alpha-2 country national phone numbers are read in; `US`
    /// when absent.
    default_country: Option<String>,
    /// The CSV file (UTF-8, with or without a byte-order mark), its first
    /// row naming the columns; at most 200 MiB.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
}

/// How far a running import is.
#[derive(Debug, Serialize, ToSchema)]
pub struct Progress {
    /// Bytes of the file behind the committed rows.
    pub bytes_read: i64,
    pub size_bytes: i64,
    /// 0 to 100.
    pub percent: u8,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "id": "imp_01JDQ6Z8Y3K2M4N5P6Q7R8S9T0", "kind": "contacts", "state": "RUNNING", "file_name": "customers.csv",
    "separator": ",", "header": ["Phone", "Email", "Name"], "mapping": ["phone", "email", "name"],
    "on_duplicate": "update", "default_country": "US",
    "counts": {"rows_read": 1500, "created": 1480, "updated": 12, "skipped": 0, "failed": 8},
    "progress": {"bytes_read": 98_304, "size_bytes": 655_360, "percent": 15},
    "error": null, "created_at": "2026-12-07T12:00:00Z", "started_at": "2026-12-07T12:00:05Z", "finished_at": null
}))]
pub struct ImportResponse {
    pub id: String,
    pub kind: ImportKind,
    pub state: ImportState,
    pub file_name: String,
    /// `,`, `;` or a tab.
    pub separator: String,
    pub header: Vec<String>,
    /// One entry per column: the field it fills, or null (ignored).
    pub mapping: Mapping,
    pub on_duplicate: OnDuplicate,
    /// Where national phone numbers are read (ISO 3166 alpha-2).
    pub default_country: String,
    pub counts: Counts,
    pub progress: Progress,
    /// Why the import failed as a whole.
    pub error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub started_at: Option<DateTime<Utc>>,
    pub finished_at: Option<DateTime<Utc>>,
}

impl From<Import> for ImportResponse {
    fn from(i: Import) -> Self {
        let percent = match i.state {
            ImportState::Done => 100,
            _ if i.size_bytes <= 0 => 0,
            _ => ((i.bytes_read.clamp(0, i.size_bytes) as f64 / i.size_bytes as f64) * 100.0).floor() as u8,
        };
        ImportResponse {
            id: i.id.to_string(),
            kind: i.kind,
            state: i.state,
            file_name: i.file_name,
            separator: i.separator.as_str().to_owned(),
            header: i.header,
            mapping: i.mapping,
            on_duplicate: i.on_duplicate,
            default_country: i.default_country,
            counts: i.counts,
            progress: Progress { bytes_read: i.bytes_read, size_bytes: i.size_bytes, percent },
            error: i.error,
            created_at: i.created_at,
            started_at: i.started_at,
            finished_at: i.finished_at,
        }
    }
}

/// An import with the fields its columns can map to.
#[derive(Debug, Serialize, ToSchema)]
pub struct ImportWithFields {
    #[serde(flatten)]
    pub import: ImportResponse,
    pub fields: Vec<TargetField>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImportList {
    pub data: Vec<ImportResponse>,
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct ImportPath {
    #[param(example = "imp_01JDQ6Z8Y3K2M4N5P6Q7R8S9T0")]
    pub import_id: String,
}

fn parse_id(raw: &str) -> AppResult<ImportId> {
    raw.parse().map_err(|_| AppError::not_found("The import"))
}

/// `POST /api/v1/imports` (multipart: `kind`, optionally `separator`, then
/// the file): 201 with the import, `UPLOADED`, its header and a suggested
/// mapping.
#[utoipa::path(post, path = IMPORTS, tag = "imports",
    request_body(content = ImportForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, body = ImportWithFields, description = "The import, `UPLOADED`, with the suggested mapping"),
        (status = 413, description = "A file over 200 MiB", body = crate::error::ProblemDetails, content_type = "application/problem+json"),
        (status = 422, description = "No file, an empty file, an unknown kind or separator", body = crate::error::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn create_import(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    form: UploadForm,
) -> AppResult<(StatusCode, Json<ImportWithFields>)> {
    let (import, fields) = service::create(&state, &ctx, form).await?;
    Ok((StatusCode::CREATED, Json(ImportWithFields { import: import.into(), fields })))
}

#[utoipa::path(get, path = "/api/v1/imports", tag = "imports", responses((status = 200, body = ImportList)))]
pub async fn list_imports(State(state): State<AppState>, ctx: WorkspaceCtx) -> AppResult<Json<ImportList>> {
    let imports = service::list(&state, &ctx).await?;
    Ok(Json(ImportList { data: imports.into_iter().map(Into::into).collect() }))
}

/// State, counts and progress (poll it for the progress bar).
#[utoipa::path(get, path = "/api/v1/imports/{import_id}", tag = "imports", params(ImportPath),
    responses((status = 200, body = ImportResponse)))]
pub async fn get_import(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    Path(path): Path<ImportPath>,
) -> AppResult<Json<ImportResponse>> {
    Ok(Json(service::get(&state, &ctx, &parse_id(&path.import_id)?).await?.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"separator": ";", "mapping": ["phone", null, "name", "tier"], "default_country": "GB"}))]
pub struct MappingRequest {
    /// `,`, `;` or a tab: the header is read again with it (and the
    /// mapping suggested again unless `mapping` is sent).
    pub separator: Option<String>,
    /// One entry per column: a field name, or null to ignore the column.
    pub mapping: Option<Mapping>,
    /// ISO 3166 alpha-2 country national phone numbers are read in.
    pub default_country: Option<String>,
}

fn separator(raw: Option<&str>) -> AppResult<Option<Separator>> {
    raw.map(|s| Separator::parse(s).ok_or_else(|| AppError::field("separator", "Use a comma, a semicolon or a tab.")))
        .transpose()
}

/// Changes the separator or the mapping before the start.
#[utoipa::path(put, path = "/api/v1/imports/{import_id}/mapping", tag = "imports", params(ImportPath),
    request_body = MappingRequest,
    responses(
        (status = 200, body = ImportWithFields),
        (status = 409, description = "The import has started", body = crate::error::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn set_import_mapping(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    Path(path): Path<ImportPath>,
    ApiJson(body): ApiJson<MappingRequest>,
) -> AppResult<Json<ImportWithFields>> {
    let id = parse_id(&path.import_id)?;
    let separator = separator(body.separator.as_deref())?;
    let (import, fields) =
        service::set_mapping(&state, &ctx, &id, separator, body.mapping, body.default_country.as_deref()).await?;
    Ok(Json(ImportWithFields { import: import.into(), fields }))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct PreviewQuery {
    /// A mapping to try, as a JSON array (`["phone",null,"email"]`);
    /// the stored one when absent.
    pub mapping: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[schema(example = json!({
    "header": ["Phone", "Notes", "Name", "Tier"],
    "mapping": ["phone", null, "name", "tier"],
    "fields": [
        {"name": "phone", "label": "Phone", "required": false},
        {"name": "name", "label": "Name", "required": false},
        {"name": "tier", "label": "Tier", "required": true}
    ],
    "rows": [
        {"row_number": 2, "values": {"phone": "+14155552671", "name": "Ada Lovelace", "tier": "gold"}, "errors": []},
        {"row_number": 3, "values": {"phone": "not a phone", "name": "Bob"},
         "errors": [{"field": "phone", "message": "Not a phone number."}, {"field": "tier", "message": "Tier is required."}]}
    ]
}))]
pub struct PreviewResponse {
    pub header: Vec<String>,
    pub mapping: Mapping,
    pub fields: Vec<TargetField>,
    /// The first 20 rows, mapped, each with its errors.
    pub rows: Vec<PreviewRow>,
}

/// The first 20 rows as they would be imported, each with its errors;
/// nothing is written.
#[utoipa::path(get, path = "/api/v1/imports/{import_id}/preview", tag = "imports", params(ImportPath, PreviewQuery),
    responses((status = 200, body = PreviewResponse)))]
pub async fn preview_import(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    Path(path): Path<ImportPath>,
    ApiQuery(q): ApiQuery<PreviewQuery>,
) -> AppResult<Json<PreviewResponse>> {
    let id = parse_id(&path.import_id)?;
    let mapping = q
        .mapping
        .map(|raw| {
            serde_json::from_str::<Mapping>(&raw)
                .map_err(|_| AppError::field("mapping", "Send the mapping as a JSON array of field names and nulls."))
        })
        .transpose()?;
    let (import, fields, rows) = service::preview(&state, &ctx, &id, mapping.clone()).await?;
    Ok(Json(PreviewResponse { mapping: mapping.unwrap_or(import.mapping), header: import.header, fields, rows }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[schema(example = json!({"mapping": ["phone", null, "name", "tier"], "on_duplicate": "update"}))]
pub struct StartRequest {
    /// The final mapping; the stored one when absent.
    pub mapping: Option<Mapping>,
    /// What a row whose key exists already does: `update` it or `skip` it.
    pub on_duplicate: OnDuplicate,
}

/// Starts the import: `QUEUED`, then the job runs it.
#[utoipa::path(post, path = "/api/v1/imports/{import_id}/start", tag = "imports", params(ImportPath),
    request_body = StartRequest,
    responses(
        (status = 202, body = ImportResponse, description = "Queued; poll the import for its progress"),
        (status = 409, description = "Started already", body = crate::error::ProblemDetails, content_type = "application/problem+json"),
    ))]
pub async fn start_import(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    Path(path): Path<ImportPath>,
    ApiJson(body): ApiJson<StartRequest>,
) -> AppResult<(StatusCode, Json<ImportResponse>)> {
    let id = parse_id(&path.import_id)?;
    let import = service::start(&state, &ctx, &id, body.mapping, body.on_duplicate).await?;
    Ok((StatusCode::ACCEPTED, Json(import.into())))
}

/// The failed rows as CSV: `row`, the file's own columns as they were, and
/// `errors`. Cells a spreadsheet would run as formulas get a leading `'`.
#[utoipa::path(get, path = "/api/v1/imports/{import_id}/errors.csv", tag = "imports", params(ImportPath),
    responses((status = 200, description = "The failed rows", content_type = "text/csv", body = String)))]
pub async fn get_import_errors(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    Path(path): Path<ImportPath>,
) -> AppResult<Response> {
    let import = service::get(&state, &ctx, &parse_id(&path.import_id)?).await?;
    let (ws, id) = (import.workspace_id.clone(), import.id.clone());
    let mut header = vec!["row".to_owned()];
    header.extend(import.header.iter().cloned());
    header.push("errors".to_owned());
    let columns = import.header.len();
    // State of the stream: the last row written; `None` when done.
    let start = Some((0i64, Some(header)));
    let stream = futures_util::stream::unfold(start, move |at| {
        let (state, ws, id) = (state.clone(), ws.clone(), id.clone());
        async move {
            let (after, header) = at?;
            let rows = match store::row_errors(&state.db, &ws, &id, after, ERRORS_PAGE).await {
                Ok(rows) => rows,
                Err(err) => {
                    tracing::error!(error = %err, "import errors export stopped");
                    return Some((Err(std::io::Error::other("export failed")), None));
                }
            };
            if rows.is_empty() && header.is_none() {
                return None;
            }
            let next = (rows.len() as i64 == ERRORS_PAGE).then(|| rows.last().map(|r| (r.row_number, None))).flatten();
            let mut csv = CsvRows::with_capacity(rows.len() * 128 + 256);
            if let Some(header) = &header {
                csv.row(header.iter().map(String::as_str));
            }
            for r in rows {
                let number = r.row_number.to_string();
                let messages = service::messages(&r.errors);
                let mut cells: Vec<&str> = vec![number.as_str()];
                cells.extend(r.cells.iter().map(String::as_str));
                // A ragged row keeps its own cells; the errors stay in the last column.
                while cells.len() < columns + 1 {
                    cells.push("");
                }
                cells.push(messages.as_str());
                csv.row(cells);
            }
            Some((Ok::<Bytes, std::io::Error>(Bytes::from(csv.into_bytes())), next))
        }
    });
    let filename = format!("attachment; filename=\"import-{}-errors.csv\"", import.id);
    Ok((
        [(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (header::CONTENT_DISPOSITION, filename)],
        Body::from_stream(stream),
    )
        .into_response())
}

/// The upload route in the API document (it is mounted outside the API's router).
#[derive(OpenApi)]
#[openapi(paths(create_import))]
struct UploadDoc;

pub fn routes(r: &mut Routes) {
    // Admin-only kinds (suppressions) are checked by the service, per import.
    r.upload(Access::Editor, "POST", IMPORTS, post(create_import), UPLOAD_LIMIT);
    r.api_doc(UploadDoc::openapi());
    // Importing is editing: Viewers see no imports (the service asks for
    // EditResources, and the kind's own permission, on every call).
    r.api(
        Access::Editor,
        OpenApiRouter::new()
            .routes(routes!(list_imports))
            .routes(routes!(get_import))
            .routes(routes!(preview_import))
            .routes(routes!(get_import_errors))
            .routes(routes!(set_import_mapping))
            .routes(routes!(start_import)),
    );
}
