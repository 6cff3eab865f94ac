//! The import pages, one flow per kind under the page it belongs to:
//! contacts under `/contacts/import` (the Contacts page: Members and
//! Admins), suppressions under `/settings/audiences/suppression/import`
//! (the Suppression tab: Admins). The flow:
//!
//! 1. the upload form (a CSV file, the default country, the separator or
//!    "detect") posts through the large-upload route kind;
//! 2. the import's page while `UPLOADED`: each column with the field it
//!    fills, the first rows as they would be imported with their errors;
//!    "Update preview" saves the mapping, "Start import" saves it and
//!    queues the job;
//! 3. the same page while it runs: a progress bar that `imports.js` keeps
//!    current from `GET /api/v1/imports/{id}` (without JavaScript the page
//!    reloads itself every few seconds);
//! 4. once settled: the counts and the failed rows as a CSV.
//!
//! Every step goes through [`super::service`], which asks the policy.
use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::{Value, context};
use serde::Serialize;
use switchboard_core::ImportId;

use super::model::{Import, ImportState};
use super::parse::Separator;
use super::service;
use super::target::{DEFAULT_COUNTRY, ImportKind, OnDuplicate, TargetField};
use crate::error::{AppError, AppResult};
use crate::policy::WorkspaceCtx;
use crate::state::AppState;
use crate::uploads::UploadForm;
use crate::web::flash::redirect;
use crate::web::{Flash, Page, redirect_with_flash};
use crate::with_target;

/// Where a kind's import pages live and lead back to.
pub struct Place {
    pub kind: ImportKind,
    /// The upload form; an import's page is `{base}/{id}`.
    pub base: &'static str,
    pub back: &'static str,
    pub back_label: &'static str,
}

pub const CONTACTS: Place =
    Place { kind: ImportKind::Contacts, base: "/contacts/import", back: "/contacts", back_label: "Contacts" };
pub const SUPPRESSIONS: Place = Place {
    kind: ImportKind::Suppressions,
    base: "/settings/audiences/suppression/import",
    back: "/settings/audiences/suppression",
    back_label: "Suppression list",
};

fn place(kind: ImportKind) -> &'static Place {
    match kind {
        ImportKind::Contacts => &CONTACTS,
        ImportKind::Suppressions => &SUPPRESSIONS,
    }
}

/// The place of a request's path (the routes are registered under both).
fn place_at(path: &str) -> &'static Place {
    if path.starts_with(SUPPRESSIONS.base) { &SUPPRESSIONS } else { &CONTACTS }
}

fn page_url(import: &Import) -> String {
    format!("{}/{}", place(import.kind).base, import.id)
}

/// Renders a kind's page in its frame: the top-nav page for contacts, the
/// Audiences tabs for the suppression list.
async fn render(state: &AppState, page: &Page, at: &Place, status: StatusCode, ctx: Value) -> AppResult<Response> {
    let ctx = context! {
        kind => at.kind.as_str(), kind_label => at.kind.label(), base => at.base, back => at.back,
        back_label => at.back_label, tab => "suppression", imports_js => crate::web::assets::url("imports.js"), ..ctx
    };
    match at.kind {
        ImportKind::Contacts => page.render_status(state, status, "imports/contacts.html", ctx).await,
        ImportKind::Suppressions => {
            crate::settings::render(state, page, status, "audiences", "imports/settings.html", ctx).await
        }
    }
}

#[derive(Serialize)]
struct RecentView {
    url: String,
    file_name: String,
    state: &'static str,
    counts: super::model::Counts,
}

async fn new_form(
    state: &AppState,
    ctx: &WorkspaceCtx,
    page: &Page,
    at: &Place,
    errors: std::collections::BTreeMap<String, String>,
    status: StatusCode,
) -> AppResult<Response> {
    ctx.require(at.kind.permission())?;
    let ws = &ctx.workspace.id;
    let fields = with_target!(at.kind, |target| service::fields_of(state, target, ws).await)?;
    let recent: Vec<RecentView> = service::list(state, ctx)
        .await?
        .into_iter()
        .filter(|i| i.kind == at.kind)
        .take(10)
        .map(|i| RecentView { url: page_url(&i), state: i.state.as_str(), counts: i.counts, file_name: i.file_name })
        .collect();
    let value = context! {
        title => format!("Import {}", at.kind.label().to_lowercase()),
        mode => "new",
        workspace_id => ws.to_string(),
        fields => fields,
        recent => recent,
        errors => errors,
        default_country => DEFAULT_COUNTRY,
        max_mib => super::api::UPLOAD_LIMIT.max_file_bytes / crate::uploads::MIB,
    };
    render(state, page, at, status, value).await
}

/// `GET {base}`: the upload form.
pub async fn new_import(State(state): State<AppState>, ctx: WorkspaceCtx, page: Page) -> AppResult<Response> {
    let at = place_at(&page.path);
    new_form(&state, &ctx, &page, at, Default::default(), StatusCode::OK).await
}

/// `POST {base}` (multipart: `kind`, `default_country`, `separator`, the
/// file): the import, then its page.
pub async fn upload(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    page: Page,
    form: UploadForm,
) -> AppResult<Response> {
    let at = place_at(&page.path);
    match service::create(&state, &ctx, form).await {
        Ok((import, _)) => Ok(redirect(&page_url(&import))),
        Err(err) => {
            let (errors, status) = err.into_page_messages("file")?;
            new_form(&state, &ctx, &page, at, errors, status).await
        }
    }
}

async fn find(state: &AppState, ctx: &WorkspaceCtx, page: &Page, id: &str) -> AppResult<Import> {
    let id: ImportId = id.parse().map_err(|_| AppError::not_found("The import"))?;
    let import = service::get(state, ctx, &id).await?;
    // An import is shown under its own kind's page only.
    if place_at(&page.path).kind != import.kind {
        return Err(AppError::not_found("The import"));
    }
    Ok(import)
}

/// One column of the mapping form.
#[derive(Serialize)]
struct ColumnView {
    name: String,
    header: String,
    field: Option<String>,
    error: Option<String>,
}

/// A preview row: the mapped fields' values in column order, its errors.
#[derive(Serialize)]
struct PreviewView {
    row_number: u64,
    cells: Vec<String>,
    errors: Vec<String>,
}

/// `GET {base}/{id}`: mapping and preview, progress, or the result.
pub async fn import_page(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    page: Page,
    Path(id): Path<String>,
) -> AppResult<Response> {
    let import = find(&state, &ctx, &page, &id).await?;
    render_import(&state, &ctx, &page, import, Default::default(), StatusCode::OK).await
}

async fn render_import(
    state: &AppState,
    ctx: &WorkspaceCtx,
    page: &Page,
    import: Import,
    errors: std::collections::BTreeMap<String, String>,
    status: StatusCode,
) -> AppResult<Response> {
    let at = place(import.kind);
    let url = page_url(&import);
    let value = context! {
        title => format!("Import {}", import.kind.label().to_lowercase()),
        mode => "import",
        workspace_id => ctx.workspace.id.to_string(),
        url => url,
        id => import.id.to_string(),
        state => import.state.as_str(),
        file_name => import.file_name.clone(),
        counts => import.counts,
        error => import.error.clone(),
        errors => errors.clone(),
        api_url => format!("/api/v1/imports/{}", import.id),
        errors_csv => format!("/api/v1/imports/{}/errors.csv", import.id),
        percent => super::api::ImportResponse::from(import.clone()).progress.percent,
    };
    if import.state == ImportState::Uploaded {
        let fields = service::fields(state, &import).await?;
        let (mut status, mut errors) = (status, errors);
        let rows = match service::preview(state, ctx, &import.id, Some(import.mapping.clone())).await {
            Ok((_, _, rows)) => rows,
            // A mapping the fields do not fit (a required attribute left
            // out, an attribute deleted since): the form says why, and the
            // preview waits for a fix.
            Err(err) => {
                let Some(messages) = err.field_messages() else { return Err(err) };
                errors.extend(messages);
                status = StatusCode::UNPROCESSABLE_ENTITY;
                Vec::new()
            }
        };
        let (columns, labels, rows) = preview_view(&import, &fields, &rows);
        let value = mapping_ctx(value, &import, fields, columns, labels, rows, errors);
        return render(state, page, at, status, value).await;
    }
    render(state, page, at, status, value).await
}

fn mapping_ctx(
    value: Value,
    import: &Import,
    fields: Vec<TargetField>,
    mut columns: Vec<ColumnView>,
    labels: Vec<String>,
    rows: Vec<PreviewView>,
    errors: std::collections::BTreeMap<String, String>,
) -> Value {
    for (i, column) in columns.iter_mut().enumerate() {
        column.error = errors.get(&format!("mapping[{i}]")).cloned();
    }
    let failing = rows.iter().filter(|r| !r.errors.is_empty()).count();
    context! {
        fields => fields,
        columns => columns,
        labels => labels,
        rows => rows,
        failing => failing,
        separator => import.separator.as_str(),
        default_country => import.default_country.clone(),
        on_duplicate => match import.on_duplicate { OnDuplicate::Update => "update", OnDuplicate::Skip => "skip" },
        errors => errors,
        ..value
    }
}

fn preview_view(
    import: &Import,
    fields: &[TargetField],
    rows: &[super::pipeline::PreviewRow],
) -> (Vec<ColumnView>, Vec<String>, Vec<PreviewView>) {
    let columns: Vec<ColumnView> = import
        .header
        .iter()
        .zip(&import.mapping)
        .enumerate()
        .map(|(i, (header, field))| ColumnView {
            name: format!("column_{i}"),
            header: header.clone(),
            field: field.clone(),
            error: None,
        })
        .collect();
    let mapped: Vec<&str> = import.mapping.iter().flatten().map(String::as_str).collect();
    let label = |name: &str| fields.iter().find(|f| f.name == name).map_or(name.to_owned(), |f| f.label.clone());
    let labels = mapped.iter().map(|name| label(name)).collect();
    let rows = rows
        .iter()
        .map(|r| PreviewView {
            row_number: r.row_number,
            cells: mapped.iter().map(|name| r.values.get(*name).cloned().unwrap_or_default()).collect(),
            errors: r.errors.iter().map(|e| format!("{}: {}", field_label(fields, &e.field), e.message)).collect(),
        })
        .collect();
    (columns, labels, rows)
}

/// `attributes.tier` → the field's label; `row` → "Row".
fn field_label(fields: &[TargetField], field: &str) -> String {
    let name = field.strip_prefix("attributes.").unwrap_or(field);
    match fields.iter().find(|f| f.name == name) {
        Some(f) => f.label.clone(),
        None if name == "row" => "Row".into(),
        None => name.to_owned(),
    }
}

/// The mapping form as sent: `column_0`… (a field name, or empty to
/// ignore), `separator`, `default_country`, `on_duplicate`.
struct MappingForm {
    mapping: Vec<Option<String>>,
    separator: Option<String>,
    default_country: Option<String>,
    on_duplicate: Option<String>,
}

impl MappingForm {
    fn of(pairs: &[(String, String)], columns: usize) -> MappingForm {
        let get = |name: &str| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim().to_owned());
        MappingForm {
            mapping: (0..columns).map(|i| get(&format!("column_{i}")).filter(|v| !v.is_empty())).collect(),
            separator: get("separator"),
            default_country: get("default_country"),
            on_duplicate: get("on_duplicate"),
        }
    }
}

/// Saves the form's separator, default country and mapping; a new
/// separator reads the header again (and suggests its mapping).
async fn save(state: &AppState, ctx: &WorkspaceCtx, import: &Import, form: MappingForm) -> AppResult<Import> {
    let separator = form
        .separator
        .as_deref()
        .map(|s| Separator::parse(s).ok_or_else(|| AppError::field("separator", "Use a comma, a semicolon or a tab.")))
        .transpose()?;
    let mapping = match separator {
        Some(s) if s != import.separator => None,
        _ => Some(form.mapping),
    };
    let (saved, _) =
        service::set_mapping(state, ctx, &import.id, separator, mapping, form.default_country.as_deref()).await?;
    Ok(saved)
}

/// The page again with the refusal by its fields (or the error as it is).
async fn refused(
    state: &AppState,
    ctx: &WorkspaceCtx,
    page: &Page,
    import: Import,
    err: AppError,
) -> AppResult<Response> {
    let (errors, status) = err.into_page_messages("mapping")?;
    render_import(state, ctx, page, import, errors, status).await
}

/// `POST {base}/{id}/mapping`: "Update preview".
pub async fn save_mapping(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    page: Page,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let mut import = find(&state, &ctx, &page, &id).await?;
    let form = MappingForm::of(&pairs, import.header.len());
    let attempted = form.mapping.clone();
    match save(&state, &ctx, &import, form).await {
        Ok(saved) => Ok(redirect(&page_url(&saved))),
        Err(err) => {
            import.mapping = attempted;
            refused(&state, &ctx, &page, import, err).await
        }
    }
}

/// `POST {base}/{id}/start`: saves the form, then queues the import.
pub async fn start(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    page: Page,
    Path(id): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> AppResult<Response> {
    let mut import = find(&state, &ctx, &page, &id).await?;
    let form = MappingForm::of(&pairs, import.header.len());
    let attempted = form.mapping.clone();
    let on_duplicate = match form.on_duplicate.as_deref() {
        Some("update") => OnDuplicate::Update,
        _ => OnDuplicate::Skip,
    };
    let new_separator = form.separator.as_deref().and_then(Separator::parse).is_some_and(|s| s != import.separator);
    let started = async {
        let saved = save(&state, &ctx, &import, form).await?;
        if new_separator {
            // The columns were read again: they are checked before a start.
            return Ok(None);
        }
        service::start(&state, &ctx, &saved.id, None, on_duplicate).await.map(Some)
    };
    match started.await {
        Ok(Some(started)) => {
            let text = format!("Importing “{}”…", started.file_name);
            Ok(redirect_with_flash(&page_url(&started), Flash::success(text)))
        }
        Ok(None) => {
            let text = "The file was read again with the new separator: check the columns, then start.";
            Ok(redirect_with_flash(&page_url(&import), Flash::success(text)))
        }
        Err(err) => {
            import.mapping = attempted;
            refused(&state, &ctx, &page, import, err).await
        }
    }
}

/// The pages under each kind's place: contacts for the Editor level,
/// the suppression list for Admins (the service checks the kind again).
pub fn routes(r: &mut crate::routes::Routes) {
    use crate::routes::Access;
    for (at, access) in [(&CONTACTS, Access::Editor), (&SUPPRESSIONS, Access::Admin)] {
        let one = format!("{}/{{id}}", at.base);
        r.pages(access)
            .get(at.base, new_import)
            .get(&one, import_page)
            .post(&format!("{one}/mapping"), save_mapping)
            .post(&format!("{one}/start"), start);
        r.upload(access, "POST", at.base, axum::routing::post(upload), super::api::UPLOAD_LIMIT);
    }
}
