//! The API token format: `sbk_` + 30 random base62 characters (178 bits) +
//! 6 base62 characters of CRC32 over the random part, as GitHub's tokens
//! do. A secret scanner finds tokens by the prefix and rejects look-alikes
//! by the checksum offline; so does the server, before any database query.
//!
//! Base62 of a CRC is a few lines, so it is written here rather than pulled
//! in as a crate; the randomness is `rand`'s uniform alphanumeric sampler.
use rand::Rng;
use rand::distr::Alphanumeric;

pub const TOKEN_PREFIX: &str = "sbk_";
const RANDOM_LEN: usize = 30;
const CHECKSUM_LEN: usize = 6;
pub const TOKEN_LEN: usize = TOKEN_PREFIX.len() + RANDOM_LEN + CHECKSUM_LEN;
/// How much of a token the list shows: the prefix and 8 random characters.
pub const DISPLAY_PREFIX_LEN: usize = TOKEN_PREFIX.len() + 8;

const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// A new random token. Shown once to its creator; only its hash is kept.
pub fn generate() -> String {
    let random: String = rand::rng().sample_iter(&Alphanumeric).take(RANDOM_LEN).map(char::from).collect();
    format!("{TOKEN_PREFIX}{random}{}", checksum(&random))
}

/// Whether `token` has the shape and checksum of one of ours. Pure: a
/// typo or a random string is refused without touching the database.
pub fn is_well_formed(token: &str) -> bool {
    let Some(body) = token.strip_prefix(TOKEN_PREFIX) else { return false };
    if body.len() != RANDOM_LEN + CHECKSUM_LEN || !body.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return false;
    }
    let (random, check) = body.split_at(RANDOM_LEN);
    checksum(random) == check
}

/// What the list shows of a token.
pub fn display_prefix(token: &str) -> String {
    token.chars().take(DISPLAY_PREFIX_LEN).collect()
}

fn checksum(random: &str) -> String {
    let mut n = crc32fast::hash(random.as_bytes()) as u64;
    let mut out = [b'0'; CHECKSUM_LEN];
    for slot in out.iter_mut().rev() {
        *slot = BASE62[(n % 62) as usize];
        n /= 62;
    }
    out.iter().map(|&b| b as char).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_tokens_are_well_formed_and_distinct() {
        let a = generate();
        let b = generate();
        assert_ne!(a, b);
        assert_eq!(a.len(), TOKEN_LEN);
        assert!(a.starts_with("sbk_"));
        assert!(is_well_formed(&a), "{a}");
    }

    #[test]
    fn a_changed_character_fails_the_checksum() {
        let token = generate();
        let mut failures = 0;
        for i in TOKEN_PREFIX.len()..token.len() {
            let mut bytes = token.clone().into_bytes();
            bytes[i] = if bytes[i] == b'a' { b'b' } else { b'a' };
            let changed = String::from_utf8(bytes).expect("ascii");
            if !is_well_formed(&changed) {
                failures += 1;
            }
        }
        assert_eq!(failures, token.len() - TOKEN_PREFIX.len(), "every single-character change is caught");
    }

    #[test]
    fn other_shapes_are_refused() {
        let token = generate();
        assert!(!is_well_formed(&token[1..]));
        assert!(!is_well_formed(&format!("{token}x")));
        assert!(!is_well_formed(&token.replace("sbk_", "ghp_")));
        assert!(!is_well_formed(""));
        assert!(!is_well_formed("sbk_ääääääääääääääääääääääääääääääääää"));
    }

    #[test]
    fn the_checksum_is_six_base62_digits() {
        assert_eq!(checksum("").len(), 6);
        // CRC32 of the empty string is 0.
        assert_eq!(checksum(""), "000000");
    }
}
