//! Clone a voice: the form (name, language, gender, description), the
//! samples (takes recorded in the page, which voices.js hands to the form
//! as WAV files, and uploaded files), "Check quality" (the report for every
//! sample and in total, nothing kept), the consent statement, and "Clone
//! voice" with the price and the balance before it.
//!
//! Both posts are upload routes (multipart, streamed, `_csrf` first). With
//! JavaScript, "Check quality" is fetched and only its report is swapped
//! into the page, so the takes stay; without it, the page comes back with
//! the report and the fields, and the files are chosen again to clone (a
//! browser never refills a file input). Cloning analyses the samples again
//! whatever the page showed.
use std::collections::BTreeMap;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use minijinja::context;
use switchboard_core::{Credits, VoiceId};

use super::views::ReportView;
use super::{CHECK, CLONE, VOICES};
use crate::credits::ledger;
use crate::error::AppResult;
use crate::policy::{Permission, WorkspaceCtx};
use crate::state::AppState;
use crate::uploads::{UploadForm, UploadedForm};
use crate::voices::analysis::{MIN_SPEECH_MS, RECOMMENDED_SPEECH_MS};
use crate::voices::model::{
    CONSENT_STATEMENT, Gender, LANGUAGES, MAX_DESCRIPTION_CHARS, MAX_NAME_CHARS, MAX_SAMPLE_BYTES, MAX_SAMPLES,
};
use crate::voices::{analyze, create};
use crate::web::format::credits;
use crate::web::{Flash, Page, redirect_with_flash};

/// What the file input offers (the server decides by the content).
const ACCEPT: &str = ".wav,.mp3,.m4a,.aac,.mp4,.ogg,.oga,.opus,.webm,.flac,audio/wav,audio/x-wav,audio/mpeg,\
                      audio/mp4,audio/aac,audio/ogg,audio/webm,audio/flac";

/// The form's text fields as sent (every one, empty when not sent).
#[derive(Debug)]
struct Values(BTreeMap<&'static str, String>);

const FIELDS: [&str; 5] = ["name", "language", "gender", "description", "consent"];

impl Default for Values {
    fn default() -> Values {
        let mut values = Values(FIELDS.iter().map(|f| (*f, String::new())).collect());
        values.0.insert("gender", Gender::NotSpecified.as_str().to_string());
        values
    }
}

impl Values {
    fn of(form: &UploadedForm) -> Values {
        let get = |name: &str| {
            form.fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim().to_string()).unwrap_or_default()
        };
        Values(FIELDS.iter().map(|f| (*f, get(f))).collect())
    }
}

/// The price of a clone and the balance, shown before the button.
async fn price(state: &AppState, ctx: &WorkspaceCtx) -> AppResult<minijinja::Value> {
    let ws = &ctx.workspace.id;
    let mut tx = state.db.begin().await?;
    let price = create::clone_price(state, &mut tx, ws).await?;
    tx.rollback().await?;
    let balance = ledger::read_balance(&state.db, ws).await?.map(|b| b.balance().total()).unwrap_or_default();
    let after = Credits::from_millis(balance.millis().saturating_sub(price.millis()));
    Ok(context! {
        price => credits(price),
        balance => credits(balance),
        after => credits(after),
        enough => balance >= price,
    })
}

async fn render(
    state: &AppState,
    ctx: &WorkspaceCtx,
    page: &Page,
    values: Values,
    errors: BTreeMap<String, String>,
    report: Option<ReportView>,
    status: StatusCode,
) -> AppResult<Response> {
    let languages: Vec<(&str, &str)> = LANGUAGES.iter().map(|l| (l.code, l.label)).collect();
    let genders: Vec<(&str, &str)> = Gender::ALL.iter().map(|g| (g.as_str(), g.label())).collect();
    // Errors about single files (`files[2]`) are listed under the samples.
    let file_errors: Vec<String> =
        errors.iter().filter(|(k, _)| k.starts_with("files[")).map(|(_, v)| v.clone()).collect();
    let values = values.0;
    crate::settings::render(
        state,
        page,
        status,
        crate::voices::SECTION.slug,
        "voices/clone.html",
        context! {
            title => "Clone a voice",
            workspace_id => ctx.workspace.id.to_string(),
            action => CLONE,
            check_action => CHECK,
            back => VOICES,
            values => values,
            errors => errors,
            file_errors => file_errors,
            report => report,
            languages => languages,
            genders => genders,
            consent_statement => CONSENT_STATEMENT,
            accept => ACCEPT,
            max_files => MAX_SAMPLES,
            max_bytes => MAX_SAMPLE_BYTES,
            max_mib => MAX_SAMPLE_BYTES / (1024 * 1024),
            max_name => MAX_NAME_CHARS,
            max_description => MAX_DESCRIPTION_CHARS,
            min_speech_s => MIN_SPEECH_MS / 1000,
            recommended_speech_s => RECOMMENDED_SPEECH_MS / 1000,
            record_seconds => 20,
            price => price(state, ctx).await?,
            ..super::scripts()
        },
    )
    .await
}

pub async fn clone_page(State(state): State<AppState>, ctx: WorkspaceCtx, page: Page) -> AppResult<Response> {
    ctx.require(Permission::ManageSettings)?;
    render(&state, &ctx, &page, Values::default(), BTreeMap::new(), None, StatusCode::OK).await
}

/// Streams the form's files to storage under `upload`, without the empty
/// part a browser sends for a file input left empty (no name, no bytes).
/// A refusal of the upload itself (too large, too many files, not
/// multipart) comes back as the page with the message by the samples; the
/// text fields are lost with it.
async fn store(
    state: &AppState,
    ctx: &WorkspaceCtx,
    page: &Page,
    upload: &str,
    form: UploadForm,
) -> AppResult<Result<UploadedForm, Response>> {
    match analyze::store_form(state, &ctx.workspace.id, upload, form).await {
        Ok(mut uploaded) => {
            let (empty, files): (Vec<_>, Vec<_>) = uploaded
                .files
                .into_iter()
                .partition(|f| f.size == 0 && f.file_name.as_deref().is_none_or(|n| n.trim().is_empty()));
            analyze::remove_files(state, &empty).await;
            uploaded.files = files;
            Ok(Ok(uploaded))
        }
        Err(err) => {
            let (errors, status) = err.into_page_messages("files")?;
            Ok(Err(render(state, ctx, page, Values::default(), errors, None, status).await?))
        }
    }
}

/// "Check quality": every sample decoded and measured, nothing kept.
pub async fn check_quality(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    page: Page,
    form: UploadForm,
) -> AppResult<Response> {
    ctx.require(Permission::ManageSettings)?;
    let upload = format!("check-{}", ulid::Ulid::new());
    let uploaded = match store(&state, &ctx, &page, &upload, form).await? {
        Ok(uploaded) => uploaded,
        Err(refused) => return Ok(refused),
    };
    let values = Values::of(&uploaded);
    if uploaded.files.is_empty() {
        let errors = BTreeMap::from([("files".to_string(), "Record a take or choose at least one file.".to_string())]);
        return render(&state, &ctx, &page, values, errors, None, StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    let analysis = analyze::analyze_stored(&state, &uploaded.files).await;
    analyze::remove_files(&state, &uploaded.files).await;
    let report = ReportView::of(&analysis?);
    render(&state, &ctx, &page, values, BTreeMap::new(), Some(report), StatusCode::OK).await
}

/// "Clone voice": the voice is created PROCESSING and its page follows it.
pub async fn clone_voice(
    State(state): State<AppState>,
    ctx: WorkspaceCtx,
    page: Page,
    form: UploadForm,
) -> AppResult<Response> {
    ctx.require(Permission::ManageSettings)?;
    let id = VoiceId::new();
    let uploaded = match store(&state, &ctx, &page, id.as_str(), form).await? {
        Ok(uploaded) => uploaded,
        Err(refused) => return Ok(refused),
    };
    let values = Values::of(&uploaded);
    match create::create_stored(&state, &ctx, &id, &uploaded).await {
        Ok(voice) => Ok(redirect_with_flash(
            &format!("{VOICES}/{}", voice.id),
            Flash::success(format!("Cloning {}: this page shows when it is ready.", voice.name)),
        )),
        Err(err) => {
            // Plan limit, credits: not about one field, said above the form.
            let (errors, status) = err.into_page_messages("form")?;
            render(&state, &ctx, &page, values, errors, None, status).await
        }
    }
}
