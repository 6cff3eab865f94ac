//! Bring your own carrier (stub, filled in by the BYOC scope).
use crate::key_rotation::SealedColumn;
use crate::routes::Routes;

/// The sealed credentials of connected accounts, re-sealed after `key rotate`.
pub const SEALED_COLUMNS: [SealedColumn; 0] = [];

pub fn routes(_r: &mut Routes) {}

/// The connected account (and its auth token) a Twilio callback naming
/// `account_ref` (its AccountSid) is signed with; `None` when no connected
/// account has that ID. (Stub until the BYOC scope lands.)
pub async fn callback_secret(
    _state: &crate::state::AppState,
    _carrier: &str,
    _account_ref: &str,
) -> anyhow::Result<Option<(switchboard_core::CarrierAccountId, crate::secrets::Secret)>> {
    Ok(None)
}
