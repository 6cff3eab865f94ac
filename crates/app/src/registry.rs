//! The feature list: the one place that names every feature. The router,
//! the Settings sidebar, the OpenAPI tags, the job registry, the hourly
//! maintenance, workspace deletion and the audit and event catalogues all
//! iterate over it. Adding a feature is its folder, its migrations, its
//! templates and one line here.
use crate::feature::Feature;

/// Every feature, in the order their routes, tags and catalogue entries
/// appear.
pub fn all() -> Vec<Feature> {
    vec![
        crate::accounts::FEATURE,
        crate::workspaces::FEATURE,
        crate::general::FEATURE,
        crate::profile::FEATURE,
        crate::members::FEATURE,
        crate::invitations::FEATURE,
        crate::developer::FEATURE,
        crate::audit::FEATURE,
        crate::webhooks::FEATURE,
        crate::account_security::FEATURE,
        crate::verification::FEATURE,
        crate::two_factor::FEATURE,
        crate::subscription::FEATURE,
        crate::credits::FEATURE,
        crate::invoices::FEATURE,
        crate::payments::FEATURE,
        crate::stripe_events::FEATURE,
        crate::agents::FEATURE,
        crate::usage::FEATURE,
        crate::phone_numbers::FEATURE,
        crate::voices::FEATURE,
        crate::contacts::FEATURE,
        crate::audiences::FEATURE,
        crate::consent::FEATURE,
        crate::suppressions::FEATURE,
        crate::imports::FEATURE,
    ]
}

/// The platform's carrier, which numbers are bought through (built by the
/// phone numbers feature from `[carrier]`).
pub fn platform_carrier(
    config: &crate::config::Config,
) -> anyhow::Result<std::sync::Arc<dyn switchboard_providers::carriers::Carrier>> {
    crate::phone_numbers::carrier::platform(config)
}

/// The platform's voice provider, its library cached (built by the voices
/// feature from `[voices]`).
pub fn platform_voices(
    config: &crate::config::Config,
) -> anyhow::Result<std::sync::Arc<switchboard_providers::voices::cache::CachedLibrary>> {
    crate::voices::provider::platform(config)
}
