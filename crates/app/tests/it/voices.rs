//! Custom voices (issue 16), through `/api/v1/voices` on the sandbox
//! provider: a clone PROCESSING → READY through the job, charged once as
//! `voice_clone` usage, with its consent record; refusals that leave
//! nothing behind (too little speech, bad files, no consent, the plan's
//! limit, the balance); tenancy and roles; rename, delete (also at the
//! provider), the default voice and agents; the workspace's own ElevenLabs
//! key (Prism) sealed and used by the job; the workspace-deletion hook.
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};
use serde_json::{Value, json};
use switchboard::voices::provider::SANDBOX_DIR;
use switchboard_core::WorkspaceId;
use switchboard_db::{fetch_all, fetch_scalar};

use crate::credits_ledger::set_balance;
use crate::harness::{TestApp, Visitor, problem};
use crate::prism::PrismServer;

/// A 16 kHz mono 16-bit WAV of `seconds` of speech-like bursts: 300 ms of a
/// voiced, amplitude-modulated tone, then 100 ms of near silence.
pub fn speech_wav(seconds: f64) -> Vec<u8> {
    let rate = 16_000u32;
    let n = (seconds * f64::from(rate)) as usize;
    let mut data = Vec::with_capacity(n * 2);
    for i in 0..n {
        let t = i as f64 / f64::from(rate);
        let in_burst = (t % 0.4) < 0.3;
        let s = if in_burst {
            let env = (std::f64::consts::PI * (t % 0.4) / 0.3).sin();
            let voiced = (2.0 * std::f64::consts::PI * 140.0 * t).sin() * 0.5
                + (2.0 * std::f64::consts::PI * 420.0 * t).sin() * 0.3
                + (2.0 * std::f64::consts::PI * 1100.0 * t).sin() * 0.15;
            0.5 * env * voiced
        } else {
            ((i * 7919) % 13) as f64 / 13.0 * 0.001
        };
        let v = (s * f64::from(i16::MAX)) as i16;
        data.extend_from_slice(&v.to_le_bytes());
    }
    let mut out = Vec::with_capacity(44 + data.len());
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data.len() as u32).to_le_bytes());
    out.extend_from_slice(b"WAVEfmt ");
    out.extend_from_slice(&16u32.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&1u16.to_le_bytes());
    out.extend_from_slice(&rate.to_le_bytes());
    out.extend_from_slice(&(rate * 2).to_le_bytes());
    out.extend_from_slice(&2u16.to_le_bytes());
    out.extend_from_slice(&16u16.to_le_bytes());
    out.extend_from_slice(b"data");
    out.extend_from_slice(&(data.len() as u32).to_le_bytes());
    out.extend_from_slice(&data);
    out
}

pub struct Sample {
    pub name: &'static str,
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
}

pub fn wav(name: &'static str, seconds: f64) -> Sample {
    Sample { name, content_type: "audio/wav", bytes: speech_wav(seconds) }
}

/// Posts a multipart form of `fields` then `files` to `path`.
pub async fn post_multipart(
    user: &Visitor,
    path: &str,
    fields: &[(&str, &str)],
    files: Vec<Sample>,
) -> reqwest::Response {
    let mut form = Form::new();
    for (k, v) in fields {
        form = form.text(k.to_string(), v.to_string());
    }
    for f in files {
        let part = Part::bytes(f.bytes).file_name(f.name).mime_str(f.content_type).expect("mime");
        form = form.part("files", part);
    }
    user.with_csrf(user.client.post(user.at(path))).multipart(form).send().await.expect("upload")
}

pub const FIELDS: &[(&str, &str)] = &[
    ("name", "Support voice"),
    ("language", "en"),
    ("gender", "FEMALE"),
    ("description", "Calm."),
    ("consent", "true"),
];

pub async fn create(user: &Visitor, files: Vec<Sample>) -> reqwest::Response {
    post_multipart(user, "/api/v1/voices", FIELDS, files).await
}

pub async fn admin(app: &TestApp) -> (Visitor, WorkspaceId) {
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let ws: WorkspaceId = admin.workspace_id().await.parse().expect("ws");
    (admin, ws)
}

async fn count(app: &TestApp, sql: &'static str, ws: &WorkspaceId) -> i64 {
    fetch_scalar!(&app.state.db, i64, sql, ws.as_str()).expect("count")
}

/// Files under the file store's `voices/<ws>` folder (local store).
fn stored_samples(app: &TestApp, ws: &WorkspaceId) -> usize {
    fn walk(dir: &std::path::Path) -> usize {
        std::fs::read_dir(dir)
            .map(|d| {
                d.filter_map(Result::ok)
                    .map(|e| {
                        if e.path().is_dir() {
                            walk(&e.path())
                        } else {
                            usize::from(!e.file_name().to_string_lossy().ends_with(".meta"))
                        }
                    })
                    .sum()
            })
            .unwrap_or(0)
    }
    let switchboard::config::StorageConfig::Local { root } = &app.state.config.storage else { return 0 };
    walk(&root.join("voices").join(ws.as_str()))
}

/// Clones held by the sandbox provider (its record files).
fn sandbox_clones(app: &TestApp) -> usize {
    std::fs::read_dir(app.state.config.data_dir.join(SANDBOX_DIR))
        .map(|d| d.filter_map(Result::ok).filter(|e| e.file_name().to_string_lossy().ends_with(".json")).count())
        .unwrap_or(0)
}

const VOICES: &str = "SELECT COUNT(*) FROM voices WHERE workspace_id = $1";
const CLONE_EVENTS: &str = "SELECT COUNT(*) FROM usage_events WHERE workspace_id = $1 AND type = 'voice_clone'";
const CLONE_CREDITS: &str = "SELECT CAST(COALESCE(SUM(credits), 0) AS BIGINT) FROM usage_events WHERE workspace_id = $1 AND type = 'voice_clone'";

async fn events(app: &TestApp, ws: &WorkspaceId) -> Vec<String> {
    fetch_all!(
        &app.state.db,
        (String,),
        "SELECT event_type FROM webhook_messages WHERE workspace_id = $1 ORDER BY created_at",
        ws.as_str()
    )
    .expect("events")
    .into_iter()
    .map(|(e,)| e)
    .filter(|e| e.starts_with("voice."))
    .collect()
}

async fn subscribe(admin: &Visitor) {
    let res = admin
        .post_json(
            "/api/v1/webhooks/endpoints",
            json!({"url": "https://hooks.example.com/in", "event_types": ["voice.created", "voice.ready", "voice.failed", "voice.deleted"]}),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn a_clone_goes_processing_to_ready_through_the_job_charged_once_with_its_consent() {
    let app = TestApp::spawn().await;
    let (admin, ws) = admin(&app).await;
    subscribe(&admin).await;
    let res = create(&admin, vec![wav("one.wav", 8.0), wav("two.wav", 8.0)]).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let voice: Value = res.json().await.expect("json");
    assert_eq!(voice["status"], "PROCESSING", "{voice}");
    assert_eq!(voice["provider"], "sandbox");
    assert_eq!(voice["provider_account"], "PLATFORM");
    assert!(voice["speech_ms"].as_i64().expect("speech") >= 10_000, "{voice}");
    let id = voice["id"].as_str().expect("id").to_string();
    assert_eq!(stored_samples(&app, &ws), 2, "the samples wait in storage for the job");
    assert_eq!(count(&app, CLONE_EVENTS, &ws).await, 0, "nothing charged before READY");

    // The consent record: who, email, IP, every sample's hash, in order.
    let detail = switchboard::voices::store::consent(&app.state.db, &ws, &id.parse().expect("id")).await.expect("read");
    let consent = detail.expect("consent");
    assert_eq!(consent.user_email, "ada@example.com");
    assert_eq!(consent.ip.as_deref(), Some("127.0.0.1"));
    let hashes: Vec<String> = [speech_wav(8.0), speech_wav(8.0)]
        .iter()
        .map(|b| {
            use sha2::Digest;
            hex::encode(sha2::Sha256::digest(b))
        })
        .collect();
    assert_eq!(consent.sample_sha256, hashes);
    assert!(consent.statement.contains("right to clone"));

    app.run_jobs().await;
    let ready = admin.get_json(&format!("/api/v1/voices/{id}")).await;
    assert_eq!(ready["status"], "READY", "{ready}");
    assert!(ready["preview_url"].is_string());
    assert_eq!(sandbox_clones(&app), 1);
    assert_eq!(count(&app, CLONE_EVENTS, &ws).await, 1);
    assert_eq!(count(&app, CLONE_CREDITS, &ws).await, 200_000, "200 credits on the default rate card");
    assert_eq!(stored_samples(&app, &ws), 0, "samples removed once settled");
    let samples =
        switchboard::voices::store::samples(&app.state.db, &ws, &id.parse().expect("id")).await.expect("samples");
    assert!(samples.iter().all(|s| s.object_key.is_none() && s.sha256.len() == 64));

    // The job again (a retry, another process): no second clone, no second charge.
    switchboard::voices::clone_job::enqueue_now(&app.state, &ws, &id.parse().expect("id")).await;
    app.run_jobs().await;
    assert_eq!(count(&app, CLONE_EVENTS, &ws).await, 1);
    assert_eq!(sandbox_clones(&app), 1);

    let actions = app.audit_actions(ws.as_str()).await;
    for action in ["voice.created", "voice.ready"] {
        assert!(actions.contains(&action.to_string()), "{actions:?}");
    }
    assert_eq!(events(&app, &ws).await, vec!["voice.created", "voice.ready"]);

    // The preview plays.
    let res = admin.get(&format!("/api/v1/voices/{id}/preview")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"].to_str().expect("ct").starts_with("audio/"));
}

#[tokio::test]
async fn too_little_speech_is_refused_and_leaves_nothing_behind() {
    let app = TestApp::spawn().await;
    let (admin, ws) = admin(&app).await;
    let res = create(&admin, vec![wav("short.wav", 4.0)]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let p = problem(res).await;
    assert!(p["errors"].as_array().expect("errors").iter().any(|e| e["field"] == "files"), "{p}");
    assert_eq!(count(&app, VOICES, &ws).await, 0);
    assert_eq!(stored_samples(&app, &ws), 0);
    assert_eq!(app.run_jobs().await, 0);
}

#[tokio::test]
async fn bad_files_are_named_one_by_one() {
    let app = TestApp::spawn().await;
    let (admin, ws) = admin(&app).await;
    let text = Sample { name: "notes.mp3", content_type: "audio/mpeg", bytes: b"this is not audio at all".repeat(40) };
    let empty = Sample { name: "empty.wav", content_type: "audio/wav", bytes: Vec::new() };
    let res = create(&admin, vec![text, empty, wav("good.wav", 20.0)]).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let p = problem(res).await;
    let errors = p["errors"].as_array().expect("errors");
    let message = |field: &str| errors.iter().find(|e| e["field"] == field).map(|e| e["message"].to_string());
    assert!(message("files[0]").expect("files[0]").contains("notes.mp3"), "{p}");
    assert!(message("files[1]").expect("files[1]").contains("empty.wav"), "{p}");
    assert!(message("files[2]").is_none(), "{p}");
    assert_eq!(count(&app, VOICES, &ws).await, 0);
    assert_eq!(stored_samples(&app, &ws), 0);

    // Analysing without cloning says the same, per file, and keeps nothing.
    let text = Sample { name: "notes.mp3", content_type: "audio/mpeg", bytes: b"not audio".repeat(40) };
    let res = post_multipart(&admin, "/api/v1/voices/analyze", &[], vec![text, wav("good.wav", 20.0)]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let report: Value = res.json().await.expect("json");
    assert_eq!(report["acceptable"], false, "{report}");
    assert!(report["files"][0]["error"].is_string(), "{report}");
    assert!(report["files"][1]["report"]["speech_ms"].as_u64().expect("speech") > 10_000, "{report}");
    assert_eq!(stored_samples(&app, &ws), 0);
}

#[tokio::test]
async fn consent_fields_the_plan_limit_and_the_balance_are_checked_first() {
    let app = TestApp::spawn().await;
    let (admin, ws) = admin(&app).await;
    let no_consent = &[("name", "V"), ("language", "xx"), ("gender", "robot")];
    let res = post_multipart(&admin, "/api/v1/voices", no_consent, vec![wav("a.wav", 16.0)]).await;
    let p = problem(res).await;
    let fields: Vec<&str> =
        p["errors"].as_array().expect("errors").iter().filter_map(|e| e["field"].as_str()).collect();
    for field in ["consent", "language", "gender"] {
        assert!(fields.contains(&field), "{p}");
    }
    // Not enough credits for the clone (200).
    set_balance(&app.state, &ws, 150).await;
    let res = create(&admin, vec![wav("a.wav", 16.0)]).await;
    assert_eq!(res.status(), StatusCode::PAYMENT_REQUIRED);
    assert_eq!(problem(res).await["code"], "insufficient_credits");
    // The Free plan has no custom voices.
    crate::subscription::to_period_end(&app, &ws).await;
    let res = create(&admin, vec![wav("a.wav", 16.0)]).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(problem(res).await["code"], "plan_limit");
    assert_eq!(count(&app, VOICES, &ws).await, 0);
    assert_eq!(stored_samples(&app, &ws), 0);
}

#[tokio::test]
async fn members_cannot_change_voices_and_other_workspaces_see_nothing() {
    let app = TestApp::spawn().await;
    let (admin, ws) = admin(&app).await;
    let res = create(&admin, vec![wav("a.wav", 16.0)]).await;
    let id = res.json::<Value>().await.expect("json")["id"].as_str().expect("id").to_string();
    app.run_jobs().await;

    let member = app.user_with_workspace("Bob", "bob@example.com", "Bob's own").await;
    app.add_member(ws.as_str(), &member, "member").await;
    member.switch_to(ws.as_str()).await;
    assert_eq!(member.get_json(&format!("/api/v1/voices/{id}")).await["status"], "READY", "Members read");
    assert_eq!(create(&member, vec![wav("a.wav", 16.0)]).await.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        member.patch(&format!("/api/v1/voices/{id}"), json!({"name": "x"})).await.status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(member.delete(&format!("/api/v1/voices/{id}")).await.status(), StatusCode::FORBIDDEN);
    let res = member.api(reqwest::Method::PUT, "/api/v1/voices/default", Some(json!({"voice_id": "sbv_aria"}))).await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    assert_eq!(member.get(&format!("/api/v1/voices/{id}/preview")).await.status(), StatusCode::OK, "Members listen");

    let other = app.user_with_workspace("Cy", "cy@example.com", "Other").await;
    assert_eq!(other.get(&format!("/api/v1/voices/{id}")).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        other.patch(&format!("/api/v1/voices/{id}"), json!({"name": "x"})).await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(other.delete(&format!("/api/v1/voices/{id}")).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(other.get(&format!("/api/v1/voices/{id}/preview")).await.status(), StatusCode::NOT_FOUND);
    let res = other.api(reqwest::Method::PUT, "/api/v1/voices/default", Some(json!({"voice_id": id}))).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "another workspace's voice is not a choice");
    assert_eq!(other.get_json("/api/v1/voices").await["data"], json!([]));
}

#[tokio::test]
async fn rename_default_voice_agents_and_delete_also_at_the_provider() {
    let app = TestApp::spawn().await;
    let (admin, ws) = admin(&app).await;
    subscribe(&admin).await;
    // The library, filtered.
    let library = admin.get_json("/api/v1/voices/library?language=en&gender=FEMALE").await;
    let voices = library["data"].as_array().expect("data");
    assert!(!voices.is_empty() && voices.iter().all(|v| v["gender"] == "FEMALE"), "{library}");
    let stock = voices[0]["id"].as_str().expect("id").to_string();
    let res = admin.get(&format!("/api/v1/voices/library/{stock}/preview")).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert!(res.headers()["content-type"].to_str().expect("ct").starts_with("audio/"));
    assert_eq!(admin.get("/api/v1/voices/library/nope/preview").await.status(), StatusCode::NOT_FOUND);

    let res = create(&admin, vec![wav("a.wav", 16.0)]).await;
    let id = res.json::<Value>().await.expect("json")["id"].as_str().expect("id").to_string();
    // Not READY yet: not a choice for the default voice.
    let res = admin.api(reqwest::Method::PUT, "/api/v1/voices/default", Some(json!({"voice_id": id}))).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    app.run_jobs().await;

    let renamed = admin.patch(&format!("/api/v1/voices/{id}"), json!({"name": "Front desk voice"})).await;
    assert_eq!(renamed.status(), StatusCode::OK);
    assert_eq!(renamed.json::<Value>().await.expect("json")["name"], "Front desk voice");
    let res = admin.patch(&format!("/api/v1/voices/{id}"), json!({"name": ""})).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let res = admin.api(reqwest::Method::PUT, "/api/v1/voices/default", Some(json!({"voice_id": stock}))).await;
    assert_eq!(res.status(), StatusCode::OK);
    let res = admin.api(reqwest::Method::PUT, "/api/v1/voices/default", Some(json!({"voice_id": id}))).await;
    assert_eq!(res.json::<Value>().await.expect("json")["default_voice"], id.as_str());

    // Agents may pick the READY custom voice; an agent without one shows the default.
    let res = admin.post_json("/api/v1/agents", json!({"name": "Front desk", "default_voice": id})).await;
    assert_eq!(res.status(), StatusCode::CREATED, "{}", res.text().await.unwrap_or_default());
    let res = admin.post_json("/api/v1/agents", json!({"name": "Sales"})).await;
    let agent: Value = res.json().await.expect("json");
    assert_eq!(agent["effective_voice"], id.as_str(), "{agent}");

    assert_eq!(admin.delete(&format!("/api/v1/voices/{id}")).await.status(), StatusCode::NO_CONTENT);
    assert_eq!(admin.get(&format!("/api/v1/voices/{id}")).await.status(), StatusCode::NOT_FOUND);
    app.run_jobs().await;
    assert_eq!(sandbox_clones(&app), 0, "deleted at the provider too");
    assert_eq!(admin.get_json("/api/v1/voices/settings").await["default_voice"], Value::Null);
    assert_eq!(events(&app, &ws).await, vec!["voice.created", "voice.ready", "voice.deleted"]);
    let actions = app.audit_actions(ws.as_str()).await;
    for action in ["voice.updated", "voice.default_changed", "voice.deleted"] {
        assert!(actions.contains(&action.to_string()), "{actions:?}");
    }
}

#[tokio::test]
async fn deleting_the_workspace_deletes_its_clones_at_the_provider() {
    let app = TestApp::spawn().await;
    let (admin, ws) = admin(&app).await;
    create(&admin, vec![wav("a.wav", 16.0)]).await;
    app.run_jobs().await;
    assert_eq!(sandbox_clones(&app), 1);
    let confirm = serde_json::json!({"confirm_name": "Acme Voice"});
    let res = admin.api(reqwest::Method::DELETE, "/api/v1/workspace", Some(confirm)).await;
    assert!(res.status().is_success(), "delete: {}", res.status());
    assert_eq!(count(&app, "SELECT COUNT(*) FROM voices WHERE workspace_id = $1", &ws).await, 0);
    // The clone at the provider goes in a job that outlives the workspace's rows.
    app.run_jobs().await;
    assert_eq!(sandbox_clones(&app), 0);
}

async fn spawn_with_elevenlabs(mock: &PrismServer) -> TestApp {
    let base = mock.base_url();
    TestApp::spawn_with_args(move |args| args.voices.elevenlabs_api_base = Some(base)).await
}

#[tokio::test]
async fn the_workspaces_own_key_is_verified_sealed_and_used_by_the_job() {
    let Some(mock) = PrismServer::elevenlabs() else { return };
    let app = spawn_with_elevenlabs(&mock).await;
    let (admin, ws) = admin(&app).await;
    subscribe(&admin).await;
    let key = "sk_workspace_own_key_0123456789";
    let res = admin.api(reqwest::Method::PUT, "/api/v1/voices/provider-key", Some(json!({"api_key": key}))).await;
    assert_eq!(res.status(), StatusCode::OK, "{}", res.text().await.unwrap_or_default());
    let settings = admin.get_json("/api/v1/voices/settings").await;
    assert_eq!(settings["has_own_key"], true);
    assert!(!settings.to_string().contains(key));
    // Sealed: not in the table in clear, nor in the audit log.
    let stored: Vec<(String,)> = fetch_all!(
        &app.state.db,
        (String,),
        "SELECT elevenlabs_key_sealed FROM workspace_voice_settings WHERE workspace_id = $1",
        ws.as_str()
    )
    .expect("row");
    assert!(!stored[0].0.contains(key) && stored[0].0.starts_with("v2."));
    let audit: Vec<(String,)> = fetch_all!(
        &app.state.db,
        (String,),
        "SELECT CAST(changes AS TEXT) FROM audit_log WHERE workspace_id = $1",
        ws.as_str()
    )
    .expect("audit");
    assert!(audit.iter().all(|(c,)| !c.contains(key)));

    // The clone goes to the workspace's account; Prism answers 422 to every
    // instant clone, so the voice FAILS with the provider's reason, uncharged.
    let res = create(&admin, vec![wav("a.wav", 16.0)]).await;
    let voice: Value = res.json().await.expect("json");
    assert_eq!(voice["provider"], "elevenlabs", "{voice}");
    assert_eq!(voice["provider_account"], "WORKSPACE");
    app.run_jobs().await;
    let failed = admin.get_json(&format!("/api/v1/voices/{}", voice["id"].as_str().expect("id"))).await;
    assert_eq!(failed["status"], "FAILED", "{failed}");
    assert!(failed["failure_reason"].as_str().is_some_and(|r| !r.is_empty()), "{failed}");
    assert_eq!(count(&app, CLONE_EVENTS, &ws).await, 0, "a failed clone is not charged");
    assert_eq!(events(&app, &ws).await, vec!["voice.created", "voice.failed"]);
    assert_eq!(stored_samples(&app, &ws), 0);

    let res = admin.delete("/api/v1/voices/provider-key").await;
    assert_eq!(res.json::<Value>().await.expect("json")["has_own_key"], false);
    assert!(app.audit_actions(ws.as_str()).await.contains(&"voice.provider_key_removed".to_string()));
}

#[tokio::test]
async fn an_unreachable_provider_is_retried_on_the_schedule_then_the_voice_fails_uncharged() {
    // A loopback port nobody listens on: every call is "unavailable".
    let port = std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port();
    let app = TestApp::spawn_with_args(move |args| {
        args.voices.provider = Some("elevenlabs".into());
        args.voices.elevenlabs_api_key = Some("sk_platform_key_0123456789".into());
        args.voices.elevenlabs_api_base = Some(format!("http://127.0.0.1:{port}"));
    })
    .await;
    let (admin, ws) = admin(&app).await;
    subscribe(&admin).await;
    let res = create(&admin, vec![wav("a.wav", 16.0)]).await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let voice: Value = res.json().await.expect("json");
    let path = format!("/api/v1/voices/{}", voice["id"].as_str().expect("id"));

    let schedule = app.state.config.jobs.retry_schedule.clone();
    for step in &schedule {
        assert_eq!(app.run_jobs().await, 1);
        let now = admin.get_json(&path).await;
        assert_eq!(now["status"], "PROCESSING", "retried while attempts remain: {now}");
        assert_eq!(stored_samples(&app, &ws), 1, "the samples wait for the next attempt");
        app.clock.advance(chrono::TimeDelta::from_std(step.mul_f64(1.21)).expect("delta"));
    }
    assert_eq!(app.run_jobs().await, 1);
    let failed = admin.get_json(&path).await;
    assert_eq!(failed["status"], "FAILED", "{failed}");
    assert!(failed["failure_reason"].as_str().is_some_and(|r| !r.is_empty()), "{failed}");
    assert_eq!(count(&app, CLONE_EVENTS, &ws).await, 0, "a failed clone is not charged");
    assert_eq!(events(&app, &ws).await, vec!["voice.created", "voice.failed"]);
    assert_eq!(stored_samples(&app, &ws), 0, "samples removed once settled");
}
