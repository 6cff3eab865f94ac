//! Bring your own carrier (SPEC §8): a workspace connects its own Twilio
//! account, Telnyx account or SIP trunk, imports the numbers it holds
//! there (no platform rental), and disconnects it. Admins only.
//!
//! - [`model`]: the connect fields, checked; the credentials' shape.
//! - [`store`]: the `carrier_accounts` table.
//! - [`service`]: connect (verify, seal), disconnect (reset callbacks,
//!   wipe), and what other scopes call: [`service::release_imported`],
//!   [`service::reset_for_deletion`], [`service::callback_secret`].
//! - [`import`]: an account's numbers and their import.
//! - [`clients`]: the carrier client a connection's credentials open.
//! - [`api`], [`pages`]: `/api/v1/carrier-accounts` and
//!   `/settings/phone-numbers/carriers`, with the card for the main page.
pub mod api;
pub mod clients;
pub mod import;
pub mod model;
pub mod pages;
pub mod service;
pub mod store;

use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::key_rotation::SealedColumn;
use crate::routes::{Access, Routes};

pub use service::{callback_secret, release_imported, reset_for_deletion};

/// The sealed credentials of connected accounts, re-sealed after `key rotate`.
pub const SEALED_COLUMNS: [SealedColumn; 1] =
    [SealedColumn { table: "carrier_accounts", column: "credentials_sealed", purpose: service::PURPOSE }];

pub fn routes(r: &mut Routes) {
    r.pages(Access::Admin)
        .get(pages::CARRIERS, pages::carriers_page)
        .get("/settings/phone-numbers/carriers/connect/{carrier}", pages::connect_page)
        .post("/settings/phone-numbers/carriers/connect/{carrier}", pages::connect)
        .get("/settings/phone-numbers/carriers/{id}", pages::account_page)
        .post("/settings/phone-numbers/carriers/{id}/import", pages::import)
        .post("/settings/phone-numbers/carriers/{id}/disconnect", pages::disconnect);
    r.api(
        Access::Admin,
        OpenApiRouter::new()
            .routes(routes!(api::list_carrier_accounts, api::connect_carrier_account))
            .routes(routes!(api::disconnect_carrier_account))
            .routes(routes!(api::list_carrier_account_numbers))
            .routes(routes!(api::import_carrier_account_numbers)),
    );
}
