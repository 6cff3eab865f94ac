//! The default sender: every message becomes one RFC 5322 `.eml` file in a
//! folder (any mail client opens it), and the log names the recipient, the
//! subject and the links of the text part, so a developer can follow an
//! invitation link straight from the terminal.
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
        tracing::info!(
            to = %message.to,
            subject = %message.subject,
            links = %links(&message.text).join(" "),
            file = %path.display(),
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

/// Every `http://` and `https://` link in `text`, without trailing
/// punctuation.
fn links(text: &str) -> Vec<&str> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = [rest.find("http://"), rest.find("https://")].into_iter().flatten().min() {
        let candidate = &rest[start..];
        let end = candidate
            .find(|c: char| c.is_whitespace() || matches!(c, '<' | '>' | '"' | '\''))
            .unwrap_or(candidate.len());
        let link = candidate[..end].trim_end_matches(['.', ',', ';', ':', '!', '?', ')', ']', '}']);
        if link.len() > "https://".len() {
            found.push(link);
        }
        rest = &candidate[end.max(1)..];
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_found_without_trailing_punctuation() {
        let text = "Accept: https://sb.example.com/invitations/abc?x=1.\n\
                    (or http://127.0.0.1:8080/i/xyz), not ftp://x nor https:// alone; <https://a.example/b>";
        assert_eq!(
            links(text),
            ["https://sb.example.com/invitations/abc?x=1", "http://127.0.0.1:8080/i/xyz", "https://a.example/b"]
        );
        assert!(links("no links here").is_empty());
    }

    #[test]
    fn file_names_keep_only_safe_characters() {
        assert_eq!(sanitize_file_name("inv_01J.1@sb.example.com"), "inv_01J.1_sb.example.com");
        assert_eq!(sanitize_file_name("../../etc/passwd"), "_.._etc_passwd");
        assert_eq!(sanitize_file_name(""), "message");
        assert_eq!(sanitize_file_name(&"a".repeat(500)).len(), MAX_ID_LEN);
    }
}
