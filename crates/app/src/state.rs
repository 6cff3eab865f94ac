//! What every handler can reach: the database, configuration, templates,
//! file storage, the clock and the metrics handle.
use std::ops::Deref;
use std::sync::Arc;

use metrics_exporter_prometheus::PrometheusHandle;
use switchboard_db::Db;
use switchboard_providers::storage::FileStore;

use crate::clock::Clock;
use crate::config::Config;
use crate::web::templates::Templates;

#[derive(Clone)]
pub struct AppState(Arc<Inner>);

#[derive(Clone)]
pub struct Inner {
    pub db: Db,
    pub config: Config,
    /// Base URL for links, without a trailing slash.
    pub public_url: String,
    pub templates: Templates,
    pub files: Arc<dyn FileStore>,
    pub clock: Arc<dyn Clock>,
    pub metrics: PrometheusHandle,
    /// Job kind → handler, for the job worker.
    pub jobs: Arc<crate::jobs::Registry>,
    /// Wakes this process's job worker right after a commit that enqueued
    /// work (other processes find it on their next poll).
    pub jobs_wakeup: Arc<tokio::sync::Notify>,
    /// Outgoing email: SMTP when configured, else the outbox folder.
    pub email: Arc<dyn switchboard_providers::email::EmailSender>,
    /// Signs audit checkpoints (and, through subkeys, whatever else needs
    /// a secret only this server holds).
    /// The current server key and the keyring (see [`crate::server_key`]).
    pub server_key: crate::server_key::ServerKeys,
    /// Wakes this process's webhook worker after a change that may have
    /// enqueued events (other processes find them on their next poll).
    pub webhooks_wakeup: Arc<tokio::sync::Notify>,
    /// The payment processor (sandbox or Stripe, see `crate::payments`).
    pub payments: Arc<dyn switchboard_providers::payments::PaymentProcessor>,
    /// The platform's carrier, which numbers are bought through (sandbox,
    /// Twilio or Telnyx; built by the phone numbers feature).
    pub carrier: Arc<dyn switchboard_providers::carriers::Carrier>,
    /// The platform's voice provider (sandbox or ElevenLabs, its library
    /// cached; built by the voices feature from `[voices]`).
    pub voices: Arc<switchboard_providers::voices::cache::CachedLibrary>,
    /// Verified API tokens for a second (see [`crate::auth::token_cache`]).
    pub tokens: Arc<crate::auth::token_cache::TokenCache>,
    /// This process's share of each busy rate-limit bucket (see
    /// [`crate::ratelimit::Allowances`]).
    pub rate_allowances: Arc<crate::ratelimit::Allowances>,
    /// The registered features (`registry::all()`, plus any a test adds).
    pub features: Arc<[crate::feature::Feature]>,
}

impl AppState {
    pub fn new(inner: Inner) -> Self {
        Self(Arc::new(inner))
    }

    /// The same state over another connection pool: for a background
    /// worker that must not queue behind request traffic for connections.
    pub fn with_db(&self, db: Db) -> Self {
        Self::new(Inner { db, ..(*self.0).clone() })
    }
}

impl Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}
