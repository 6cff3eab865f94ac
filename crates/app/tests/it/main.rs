//! The app crate's one integration-test binary. Every test runs against a
//! real server on a loopback port, on SQLite — and on PostgreSQL when
//! `SWITCHBOARD_TEST_POSTGRES_URL` is set (CI always sets it).
mod harness;
/// moto (a local S3 server), shared with the providers crate's tests.
#[path = "../../../providers/tests/support/moto.rs"]
mod moto;
/// Prism serving the vendors' API descriptions, shared with the providers crate's tests.
#[path = "../../../providers/tests/support/prism.rs"]
mod prism;

mod account_security;
mod accounts;
mod agents;
mod audit;
mod audit_chain;
mod audit_coverage;
mod audit_export_memory;
mod audit_log;
mod audit_page;
mod audit_retention;
mod boundaries;
mod carrier_accounts;
mod cli;
mod client_ip;
mod confirm_pages;
mod credits_ledger;
mod credits_top_up;
mod csv_export;
mod developer;
mod docs;
mod feature_registration;
mod files;
mod heavy_work;
mod home;
mod idempotency;
mod inbound;
mod input_rules;
mod invitation_caps;
mod invoices_api;
mod jobs;
mod key_rotation;
mod members;
mod metrics_access;
mod nul_input;
mod ops;
mod password_reset;
mod payment_method;
mod permissions;
mod phone_numbers_assign;
mod phone_numbers_buy;
mod phone_numbers_inbound;
mod phone_numbers_pages;
mod phone_numbers_renewal;
mod platform_carrier;
mod profile;
mod ratelimit;
mod redirects;
mod response_headers;
mod s3_storage;
mod schema_checks;
mod sign_in_throttle;
mod smtp;
mod stripe_events;
mod subscription;
mod subscription_limits;
mod subscription_renewal;
mod tenant_walk;
mod two_factor;
mod uploads;
mod usage_ingest;
mod usage_report;
mod usage_seed;
mod verification;
mod voices;
mod walk;
mod webhook_claims;
mod webhook_crash;
mod webhook_pages;
mod webhook_retries;
mod webhook_reveal;
mod webhook_scale;
mod webhook_ssrf;
mod webhook_ssrf_more;
mod webhook_support;
mod webhook_verify;
mod webhooks;
mod workspaces;
