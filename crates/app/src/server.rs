//! Building the app from configuration, and serving it until SIGTERM or
//! Ctrl-C (finishing in-flight requests first).
use std::net::SocketAddr;
use std::sync::Arc;

use anyhow::Context;
use switchboard_db::Db;
use switchboard_providers::storage::{FileStore, LocalFolderStore, S3Store};
use tokio::net::TcpListener;

use crate::clock::{Clock, SystemClock};
use crate::config::{Config, LogFormat, StorageConfig};
use crate::feature::Feature;
use crate::state::{AppState, Inner};
use crate::web::templates::Templates;

/// Connects the database (running migrations) and assembles the state.
pub async fn build_state(config: Config, public_url: String, clock: Arc<dyn Clock>) -> anyhow::Result<AppState> {
    build_state_with(config, public_url, clock, crate::jobs::registry(), crate::registry::all()).await
}

/// [`build_state`] with chosen platform job handlers (tests add their own).
pub async fn build_state_with_jobs(
    config: Config,
    public_url: String,
    clock: Arc<dyn Clock>,
    jobs: crate::jobs::Registry,
) -> anyhow::Result<AppState> {
    build_state_with(config, public_url, clock, jobs, crate::registry::all()).await
}

/// [`build_state`] with chosen platform job handlers and features (tests
/// add their own); the features' job kinds join `jobs`.
pub async fn build_state_with(
    config: Config,
    public_url: String,
    clock: Arc<dyn Clock>,
    jobs: crate::jobs::Registry,
    features: Vec<Feature>,
) -> anyhow::Result<AppState> {
    crate::feature::install(&features);
    crate::load::install(&config.load);
    let jobs = features.iter().fold(jobs, |jobs, feature| (feature.jobs)(jobs));
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating data dir {}", config.data_dir.display()))?;
    let db = connect(&config).await?;
    let files = file_store(&config.storage)?;
    let email = switchboard_providers::email::from_config(
        config.email.smtp_url.as_deref(),
        &config.email.from,
        config.data_dir.join("outbox"),
    )
    .context("configuring outgoing email (--smtp-url, --email-from)")?;
    tracing::info!(kind = email.kind(), "outgoing email configured");
    let server_key = crate::server_key::ServerKeys::load_or_create(&config.server_key_file)
        .context("loading the server key (--server-key-file)")?;
    let payments = crate::payments::processor(&config.billing.processor)?;
    tracing::info!(processor = payments.name(), "payments configured");
    let carrier = crate::registry::platform_carrier(&config)?;
    tracing::info!(carrier = carrier.name(), "carrier configured");
    let voices = crate::registry::platform_voices(&config)?;
    tracing::info!(provider = voices.provider().name(), "voice provider configured");
    Ok(AppState::new(Inner {
        db,
        payments,
        carrier,
        voices,
        public_url,
        templates: Templates::load()?,
        files,
        clock,
        metrics: crate::ops::metrics_handle()?,
        jobs: Arc::new(jobs),
        jobs_wakeup: Arc::new(tokio::sync::Notify::new()),
        email,
        server_key,
        webhooks_wakeup: Arc::new(tokio::sync::Notify::new()),
        tokens: Default::default(),
        rate_allowances: Default::default(),
        features: features.into(),
        config,
    }))
}

/// The configured file store. S3 is not contacted here: a wrong bucket or
/// key shows up on the first upload, logged with the store's error.
fn file_store(config: &StorageConfig) -> anyhow::Result<Arc<dyn FileStore>> {
    Ok(match config {
        StorageConfig::Local { root } => {
            let store = LocalFolderStore::new(root)
                .with_context(|| format!("creating the file store folder {}", root.display()))?;
            tracing::info!(root = %root.display(), "files stored in a local folder");
            Arc::new(store)
        }
        StorageConfig::S3(s3) => {
            let store = S3Store::new(s3).context("configuring S3 storage (--s3-*)")?;
            tracing::info!(bucket = %s3.bucket, endpoint = ?s3.endpoint, "files stored in S3");
            Arc::new(store)
        }
    })
}

pub async fn connect(config: &Config) -> anyhow::Result<Db> {
    let db = Db::connect(&config.database_url, config.db_max_connections)
        .await
        .with_context(|| format!("connecting to {}", redact_url(&config.database_url)))?;
    db.migrate().await.context("applying migrations")?;
    Ok(db)
}

/// A warning for a server that people reach from elsewhere but that only
/// writes emails to the outbox: invitations would never arrive.
pub fn email_warning(public_url: &str, smtp_url: Option<&str>) -> Option<String> {
    if smtp_url.is_some_and(|u| !u.trim().is_empty()) {
        return None;
    }
    let host = url::Url::parse(public_url).ok()?.host()?.to_owned();
    let loopback = match host {
        url::Host::Domain(name) => name == "localhost" || name.ends_with(".localhost"),
        url::Host::Ipv4(ip) => ip.is_loopback(),
        url::Host::Ipv6(ip) => ip.is_loopback(),
    };
    (!loopback).then(|| {
        format!(
            "no SMTP server is configured (--smtp-url) but the public URL {public_url} is not loopback: \
             emails (invitations) are only written to the outbox folder and nobody receives them"
        )
    })
}

/// A database URL without its password, for messages.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_string(),
    }
}

pub fn init_logging(format: LogFormat) {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("SWITCHBOARD_LOG").unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.json().flatten_event(true).with_current_span(true).try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// `switchboard serve`: migrate, bind, print the URL, serve until a signal.
pub async fn serve(config: Config) -> anyhow::Result<()> {
    let listener = TcpListener::bind(config.listen).await.with_context(|| format!("binding {}", config.listen))?;
    let addr = listener.local_addr()?;
    let metrics_listener = match config.metrics.listen {
        Some(at) => Some(TcpListener::bind(at).await.with_context(|| format!("binding --metrics-listen {at}"))?),
        None => None,
    };
    let public_url = config.public_url.clone().unwrap_or_else(|| local_url(addr));
    if let Some(warning) = email_warning(&public_url, config.email.smtp_url.as_deref()) {
        tracing::warn!("{warning}");
    }
    let state = build_state(config, public_url.clone(), Arc::new(SystemClock)).await?;
    let db = state.db.clone();
    let (stop_worker, worker_shutdown) = tokio::sync::watch::channel(false);
    let worker = crate::jobs::spawn_worker(state.clone(), worker_shutdown.clone());
    let mut feature_workers = Vec::new();
    for feature in state.features.iter() {
        if let Some(start) = feature.worker
            && let Some(handle) = start(state.clone(), worker_shutdown.clone())?
        {
            feature_workers.push((feature.name, handle));
        }
    }
    let metrics_server = metrics_listener.map(|listener| serve_metrics(listener, state.clone()));
    let app = crate::routes::router(state);
    tracing::info!(%addr, backend = db.backend().name(), "listening");
    println!("Switchboard is running at {public_url}");
    let served = axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>())
        .with_graceful_shutdown(shutdown_signal())
        .await;
    // After the HTTP server drained: let the job in hand finish. One that
    // outlasts the wait stays leased and is claimed again after its lease.
    let _ = stop_worker.send(true);
    if tokio::time::timeout(WORKER_STOP_WAIT, worker).await.is_err() {
        tracing::warn!("job worker still busy at exit; its job will be retried after its lease");
    }
    for (name, handle) in feature_workers {
        if tokio::time::timeout(WORKER_STOP_WAIT, handle).await.is_err() {
            tracing::warn!(feature = name, "worker still busy at exit; its work is retried after its lease");
        }
    }
    if let Some((stop, server)) = metrics_server {
        let _ = stop.send(());
        let _ = server.await;
    }
    served?;
    db.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// The `--metrics-listen` server, until the returned sender fires.
fn serve_metrics(
    listener: TcpListener,
    state: AppState,
) -> (tokio::sync::oneshot::Sender<()>, tokio::task::JoinHandle<()>) {
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    if let Ok(at) = listener.local_addr() {
        tracing::info!(addr = %at, "serving /metrics");
    }
    let handle = tokio::spawn(async move {
        let served = axum::serve(listener, crate::ops::metrics_router(state))
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await;
        if let Err(err) = served {
            tracing::error!(error = %err, "the metrics listener stopped");
        }
    });
    (stop, handle)
}

/// How long `serve` waits at shutdown for the job worker's current job.
const WORKER_STOP_WAIT: std::time::Duration = std::time::Duration::from_secs(30);

fn local_url(addr: SocketAddr) -> String {
    if addr.ip().is_unspecified() { format!("http://127.0.0.1:{}", addr.port()) } else { format!("http://{addr}") }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut sig) => {
                sig.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}

#[cfg(test)]
mod tests {
    use super::email_warning;

    #[test]
    fn outbox_mode_warns_only_off_loopback() {
        for local in ["http://127.0.0.1:8080", "http://localhost:3000", "http://[::1]:8080", "http://sb.localhost"] {
            assert_eq!(email_warning(local, None), None, "{local}");
        }
        let warning = email_warning("https://sb.example.com", None).expect("a warning");
        assert!(warning.contains("https://sb.example.com") && warning.contains("--smtp-url"), "{warning}");
        assert!(email_warning("http://10.0.0.5:8080", Some("")).is_some());
        assert_eq!(email_warning("https://sb.example.com", Some("smtp://mail.example.com")), None);
    }
}
