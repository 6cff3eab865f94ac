//! The default sender: every message becomes one RFC 5322 `.eml` file in a
//! folder (any mail client opens it), and the log says where the file is.
//! The log never carries the message's text, links or subject: invitation
//! and sign-in links are single-use secrets, and logs travel further than
//! the data dir. A developer opens the `.eml` file instead.
use crate::fs_util::write_atomically;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::{EmailError, EmailMessage, EmailSender, build_message};

/// Longest part of a file name taken from the message ID.
const MAX_ID_LEN: usize = 120;

#[derive(Debug, Clone)]
pub struct OutboxSender {
    dir: PathBuf,
    from: String,
}

impl OutboxSender {
    /// `dir` is created on the first message if missing.
    pub fn new(dir: PathBuf, from: String) -> OutboxSender {
        OutboxSender { dir, from }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

#[async_trait::async_trait]
impl EmailSender for OutboxSender {
    async fn send(&self, message: &EmailMessage) -> Result<(), EmailError> {
        let bytes = build_message(&self.from, message)?.formatted();
        let name = format!(
            "{}-{}.eml",
            chrono::Utc::now().format("%Y%m%dT%H%M%S%.6fZ"),
            sanitize_file_name(&message.message_id)
        );
        let path = self.dir.join(name);
        let dir = self.dir.clone();
        let target = path.clone();
        tokio::task::spawn_blocking(move || {
            fs::create_dir_all(&dir)?;
            write_atomically(&target, &bytes)
        })
        .await
        .map_err(io::Error::other)
        .and_then(|written| written)
        .map_err(|e| EmailError::Transient(format!("cannot write to the outbox {}: {e}", path.display())))?;
        let fields = LogFields::new(&message.to, &path);
        tracing::info!(
            recipient_domain = %fields.recipient_domain,
            file = %fields.file,
            "email written to the outbox (no SMTP server configured)"
        );
        Ok(())
    }

    fn kind(&self) -> &'static str {
        "outbox"
    }
}

/// Letters, digits, `.`, `_` and `-` from the message ID; anything else
/// (the `@`, slashes) becomes `_`.
fn sanitize_file_name(id: &str) -> String {
    let clean: String = id
        .chars()
        .take(MAX_ID_LEN)
        .map(|c| if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') { c } else { '_' })
        .collect();
    let clean = clean.trim_start_matches('.');
    if clean.is_empty() { "message".to_string() } else { clean.to_string() }
}

/// All that the log says about one written message. It is built from the
/// recipient and the file path only, so no part of the message's body can
/// reach the log.
#[derive(Debug, PartialEq, Eq)]
struct LogFields {
    /// The part after the last `@` (the local part can identify a person).
    recipient_domain: String,
    file: String,
}

impl LogFields {
    fn new(to: &str, path: &Path) -> LogFields {
        // `to` may be `Name <a@b>`; keep only the domain, without the `>`.
        let domain = to.rsplit_once('@').map(|(_, d)| d.trim().trim_end_matches('>')).unwrap_or("");
        LogFields { recipient_domain: domain.to_string(), file: path.display().to_string() }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn log_fields_hold_the_domain_and_the_file_only() {
        let path = Path::new("/data/outbox/x.eml");
        let fields = LogFields::new("Ann Example <ann@example.com>", path);
        assert_eq!(fields, LogFields { recipient_domain: "example.com".into(), file: "/data/outbox/x.eml".into() });
        assert_eq!(LogFields::new("ann@example.org", path).recipient_domain, "example.org");
        assert_eq!(LogFields::new("no address", path).recipient_domain, "");
    }

    #[test]
    fn file_names_keep_only_safe_characters() {
        assert_eq!(sanitize_file_name("inv_01J.1@sb.example.com"), "inv_01J.1_sb.example.com");
        assert_eq!(sanitize_file_name("../../etc/passwd"), "_.._etc_passwd");
        assert_eq!(sanitize_file_name(""), "message");
        assert_eq!(sanitize_file_name(&"a".repeat(500)).len(), MAX_ID_LEN);
    }
}
