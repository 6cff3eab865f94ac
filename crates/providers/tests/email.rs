//! Email delivery: the outbox folder, and SMTP against a real SMTP server
//! on loopback (Python's aiosmtpd with the handler in `smtp_sink.py`).
//! The SMTP tests need `pip install aiosmtpd` (scripts/test installs it)
//! and fail, rather than skip, without it.
#![allow(clippy::unwrap_used)]

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use mailparse::{MailHeaderMap, ParsedMail};
use switchboard_providers::email::{
    DEFAULT_FROM, EmailError, EmailMessage, EmailSender, OutboxSender, SmtpConfig, SmtpSecurity, SmtpSender,
    build_message, from_config,
};

fn message(to: &str, id: &str) -> EmailMessage {
    EmailMessage {
        to: to.into(),
        subject: "Join Acme — on Switchboard".into(),
        text: "Hello Bob,\n\nAccept the invitation: https://sb.example.com/invitations/abc123\n".into(),
        html: "<p>Hello Bob,</p><p><a href=\"https://sb.example.com/invitations/abc123\">Accept</a></p>".into(),
        message_id: id.into(),
    }
}

/// Checks headers and both parts of a formatted message against `sent`.
fn assert_round_trip(raw: &[u8], sent: &EmailMessage) {
    let parsed = mailparse::parse_mail(raw).unwrap();
    let header = |name: &str| parsed.headers.get_first_value(name).unwrap_or_else(|| panic!("no {name} header"));
    assert_eq!(header("To"), sent.to);
    assert_eq!(header("From"), DEFAULT_FROM);
    assert_eq!(header("Subject"), sent.subject);
    assert_eq!(header("Message-ID"), format!("<{}>", sent.message_id));
    assert!(mailparse::dateparse(&header("Date")).is_ok(), "Date: {}", header("Date"));
    assert_eq!(parsed.ctype.mimetype, "multipart/alternative");
    let part = |mime: &str| -> &ParsedMail {
        parsed.subparts.iter().find(|p| p.ctype.mimetype == mime).unwrap_or_else(|| panic!("no {mime} part"))
    };
    let (text, html) = (part("text/plain"), part("text/html"));
    assert_eq!(text.ctype.charset.to_ascii_lowercase(), "utf-8");
    assert_eq!(html.ctype.charset.to_ascii_lowercase(), "utf-8");
    // Transfer encodings may fold lines or turn \n into \r\n.
    assert_eq!(text.get_body().unwrap().replace("\r\n", "\n").trim_end(), sent.text.trim_end());
    assert_eq!(html.get_body().unwrap().replace("\r\n", "\n").trim_end(), sent.html.trim_end());
}

fn eml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        .collect();
    files.sort();
    files
}

// ---------------------------------------------------------------------------
// Outbox

#[tokio::test]
async fn outbox_writes_one_eml_file_per_message() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("data").join("outbox");
    let outbox = OutboxSender::new(dir.clone(), DEFAULT_FROM.into());
    assert_eq!(outbox.kind(), "outbox");

    let first = message("Bob <bob@example.com>", "inv_01J.1@sb.example.com");
    outbox.send(&first).await.unwrap();
    let files = eml_files(&dir);
    assert_eq!(files.len(), 1, "{files:?}");
    let name = files[0].file_name().unwrap().to_str().unwrap();
    assert!(name.ends_with("-inv_01J.1_sb.example.com.eml"), "{name}");
    assert_round_trip(&std::fs::read(&files[0]).unwrap(), &first);

    let second = message("carol@example.com", "inv_01J.2@sb.example.com");
    outbox.send(&second).await.unwrap();
    let files = eml_files(&dir);
    assert_eq!(files.len(), 2, "{files:?}");
    // Names start with a UTC timestamp, so sorting them sorts by time.
    assert_round_trip(&std::fs::read(&files[1]).unwrap(), &second);
    // Only the two messages: no temporary files left behind.
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 2);
}

/// A `MakeWriter` that keeps what the log printed.
#[derive(Clone, Default)]
struct CapturedLog(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for CapturedLog {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for CapturedLog {
    type Writer = CapturedLog;
    fn make_writer(&'a self) -> CapturedLog {
        self.clone()
    }
}

/// Invitation links are single-use secrets: the outbox log line says where
/// the file is and the recipient's domain, never the link, the subject or
/// who exactly the recipient is.
#[tokio::test]
async fn outbox_log_names_the_file_but_never_the_links() {
    let temp = tempfile::tempdir().unwrap();
    let dir = temp.path().join("outbox");
    let outbox = OutboxSender::new(dir.clone(), DEFAULT_FROM.into());
    let log = CapturedLog::default();
    let subscriber = tracing_subscriber::fmt().with_writer(log.clone()).with_ansi(false).finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    outbox.send(&message("bob@example.com", "inv_1.1@sb.example.com")).await.unwrap();
    let printed = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    let file = eml_files(&dir).pop().unwrap();
    assert!(printed.contains("email written to the outbox"), "{printed}");
    assert!(printed.contains(&file.display().to_string()), "{printed}");
    assert!(printed.contains("example.com"), "{printed}");
    for secret in ["abc123", "https://", "invitations/", "bob@", "Join Acme"] {
        assert!(!printed.contains(secret), "the log shows {secret:?}: {printed}");
    }
}

#[tokio::test]
async fn outbox_refuses_bad_addresses_permanently() {
    let temp = tempfile::tempdir().unwrap();
    let outbox = OutboxSender::new(temp.path().to_path_buf(), DEFAULT_FROM.into());
    let err = outbox.send(&message("not an address", "a@b")).await.unwrap_err();
    assert!(matches!(err, EmailError::Permanent(_)), "{err:?}");
    assert!(eml_files(temp.path()).is_empty());
}

#[test]
fn build_message_sets_the_headers() {
    let sent = message("bob@example.com", "x.1@sb.example.com");
    assert_round_trip(&build_message(DEFAULT_FROM, &sent).unwrap().formatted(), &sent);
}

// ---------------------------------------------------------------------------
// SMTP against aiosmtpd

/// A running `python3 -m aiosmtpd` with the `smtp_sink.Sink` handler; killed
/// on drop (also when the test panics).
struct SmtpSink {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl SmtpSink {
    fn start() -> SmtpSink {
        require_aiosmtpd();
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let log = std::fs::File::create(dir.path().join("server.log")).unwrap();
        let child = Command::new("python3")
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", "smtp_sink.Sink"])
            .env("PYTHONPATH", Path::new(env!("CARGO_MANIFEST_DIR")).join("tests"))
            .env("SMTP_SINK_DIR", dir.path().join("received"))
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn()
            .expect("starting python3 -m aiosmtpd");
        let mut sink = SmtpSink { child, port, dir };
        sink.wait_until_listening();
        sink
    }

    fn wait_until_listening(&mut self) {
        let addr = SocketAddr::from(([127, 0, 0, 1], self.port));
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return;
            }
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("aiosmtpd exited ({status}) before listening:\n{}", self.log());
            }
            assert!(Instant::now() < deadline, "aiosmtpd did not listen on {addr} within 20 s:\n{}", self.log());
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    fn sender(&self) -> SmtpSender {
        let url = format!("smtp://127.0.0.1:{}?security=none&timeout=10", self.port);
        let config = SmtpConfig::from_url(&url).unwrap();
        assert_eq!(config.security, SmtpSecurity::None);
        SmtpSender::new(config).unwrap()
    }

    /// The received messages: (envelope JSON, raw message).
    fn received(&self) -> Vec<(String, Vec<u8>)> {
        let dir = self.dir.path().join("received");
        let Ok(entries) = std::fs::read_dir(&dir) else { return Vec::new() };
        let mut envelopes: Vec<PathBuf> =
            entries.map(|entry| entry.unwrap().path()).filter(|p| p.extension().is_some_and(|e| e == "json")).collect();
        envelopes.sort();
        envelopes
            .into_iter()
            .map(|json| (std::fs::read_to_string(&json).unwrap(), std::fs::read(json.with_extension("eml")).unwrap()))
            .collect()
    }
}

impl Drop for SmtpSink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn require_aiosmtpd() {
    let ok = Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        ok,
        "the SMTP tests need Python's aiosmtpd: run `python3 -m pip install 'aiosmtpd>=1.4'` \
         (scripts/test does this for you)"
    );
}

/// A loopback port that nothing listens on right now.
fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

#[tokio::test]
async fn smtp_delivers_to_a_real_server() {
    let sink = SmtpSink::start();
    let sender = sink.sender();
    assert_eq!(sender.kind(), "smtp");
    let sent = message("Bob <bob@example.com>", "inv_01J.1@sb.example.com");
    sender.send(&sent).await.unwrap_or_else(|e| panic!("send failed: {e}\n{}", sink.log()));

    let received = sink.received();
    assert_eq!(received.len(), 1, "{}", sink.log());
    let (envelope, raw) = &received[0];
    assert!(envelope.contains("\"mail_from\": \"no-reply@switchboard.localhost\""), "{envelope}");
    assert!(envelope.contains("\"rcpt_tos\": [\"bob@example.com\"]"), "{envelope}");
    assert_round_trip(raw, &sent);

    // A second message over a fresh connection.
    let second = message("carol@example.com", "inv_01J.2@sb.example.com");
    sender.send(&second).await.unwrap();
    let received = sink.received();
    assert_eq!(received.len(), 2);
    assert_round_trip(&received[1].1, &second);
}

#[tokio::test]
async fn smtp_from_config_delivers_too() {
    let sink = SmtpSink::start();
    let url = format!("smtp://127.0.0.1:{}?security=none&from=Ops%20%3Cops%40example.com%3E", sink.port);
    let sender = from_config(Some(&url), DEFAULT_FROM, sink.dir.path().join("unused-outbox")).unwrap();
    assert_eq!(sender.kind(), "smtp");
    sender.send(&message("bob@example.com", "m.1@example.com")).await.unwrap();
    let received = sink.received();
    assert_eq!(received.len(), 1);
    assert!(received[0].0.contains("\"mail_from\": \"ops@example.com\""), "{}", received[0].0);
    let parsed = mailparse::parse_mail(&received[0].1).unwrap();
    assert_eq!(parsed.headers.get_first_value("From").as_deref(), Some("Ops <ops@example.com>"));
    assert!(!sink.dir.path().join("unused-outbox").exists());
}

#[tokio::test]
async fn smtp_server_not_running_is_transient() {
    let port = free_port();
    let url = format!("smtp://127.0.0.1:{port}?security=none&timeout=5");
    let sender = SmtpSender::new(SmtpConfig::from_url(&url).unwrap()).unwrap();
    let err = sender.send(&message("bob@example.com", "m.1@example.com")).await.unwrap_err();
    assert!(matches!(err, EmailError::Transient(_)), "{err:?}");
}

#[tokio::test]
async fn smtp_550_is_permanent_and_451_transient() {
    let sink = SmtpSink::start();
    let sender = sink.sender();
    let err = sender.send(&message("reject-me@example.com", "m.1@example.com")).await.unwrap_err();
    match &err {
        EmailError::Permanent(text) => assert!(text.contains("550"), "{text}"),
        other => panic!("expected Permanent, got {other:?}"),
    }
    let err = sender.send(&message("tempfail@example.com", "m.2@example.com")).await.unwrap_err();
    match &err {
        EmailError::Transient(text) => assert!(text.contains("451"), "{text}"),
        other => panic!("expected Transient, got {other:?}"),
    }
    assert!(sink.received().is_empty());
}
