//! Voices (SPEC §9, Settings → Voices): the provider's library of stock
//! voices, custom voices cloned from samples recorded in the browser or
//! uploaded, the quality report made before anything is sent, the consent
//! record, and managing clones.
//!
//! - [`analysis`]: decoding a sample and measuring it (pure, CPU-bound).
pub mod analysis;
