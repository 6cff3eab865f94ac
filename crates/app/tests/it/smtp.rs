//! Invitations through a real SMTP server (aiosmtpd on loopback), sent by
//! the worker of a real `switchboard serve` process — including a process
//! killed with SIGKILL in the middle of an SMTP conversation, after which
//! a restarted process delivers the email exactly once.
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::harness::{Visitor, fresh_postgres_url};

struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").expect("bind").local_addr().expect("addr").port()
}

fn start_sink(dir: &Path) -> (Guard, u16) {
    let port = free_port();
    let sink_module = Path::new(env!("CARGO_MANIFEST_DIR")).join("../providers/tests");
    let child = Command::new("python3")
        .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", "smtp_sink.Sink"])
        .env("SMTP_SINK_DIR", dir)
        .env("PYTHONPATH", sink_module)
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("python3 -m aiosmtpd (pip install aiosmtpd)");
    let guard = Guard(child);
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(started.elapsed() < Duration::from_secs(15), "aiosmtpd did not start (pip install aiosmtpd)");
        std::thread::sleep(Duration::from_millis(50));
    }
    (guard, port)
}

fn start_server(data_dir: &Path, database_url: &Option<String>, smtp_port: u16) -> (Guard, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_switchboard"));
    cmd.args(["serve", "--listen", "127.0.0.1:0"])
        .arg("--data-dir")
        .arg(data_dir)
        .arg("--smtp-url")
        .arg(format!("smtp://127.0.0.1:{smtp_port}?security=none&timeout=5"))
        .args(["--job-lease", "2s", "--job-retry-schedule", "1s,1s,1s,1s"])
        .env_remove("DATABASE_URL")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if let Some(url) = database_url {
        cmd.arg("--database-url").arg(url);
    }
    let mut child = cmd.spawn().expect("spawn switchboard");
    let stdout = child.stdout.take().expect("stdout");
    let mut line = String::new();
    std::io::BufRead::read_line(&mut std::io::BufReader::new(stdout), &mut line).expect("read");
    let url = line.trim().strip_prefix("Switchboard is running at ").expect("prints its URL").to_string();
    (Guard(child), url)
}

/// The received messages (raw RFC 5322), in arrival order.
fn received(dir: &Path) -> Vec<String> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(Result::ok).map(|e| e.path()).filter(|p| p.extension().is_some_and(|e| e == "json")).collect()
        })
        .unwrap_or_default();
    files.sort();
    files.iter().map(|p| std::fs::read_to_string(p.with_extension("eml")).expect("eml")).collect()
}

async fn wait_for(what: &str, limit: Duration, mut ready: impl FnMut() -> bool) {
    let started = Instant::now();
    while !ready() {
        assert!(started.elapsed() < limit, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

fn header<'a>(mail: &'a str, name: &str) -> Option<&'a str> {
    mail.lines().find_map(|l| l.strip_prefix(name).and_then(|r| r.strip_prefix(": ")))
}

#[tokio::test]
async fn invitations_go_out_by_smtp_once_even_when_the_sender_is_killed_mid_send() {
    let sink_dir = tempfile::tempdir().expect("dir");
    let data_dir = tempfile::tempdir().expect("dir");
    let database_url = fresh_postgres_url().await;
    let (_sink, smtp_port) = start_sink(sink_dir.path());
    let (mut server, url) = start_server(data_dir.path(), &database_url, smtp_port);

    let mut admin = Visitor { app_url: url.clone(), client: crate::harness::browser_client(), csrf: None };
    admin.sign_up("Ada", "ada@example.com", "correct horse battery").await;
    let ws = admin.create_workspace("Acme Voice").await;
    admin.switch_to(ws["id"].as_str().expect("id")).await;
    // A new account verifies its address before it invites anyone: the
    // first email is the verification link. It is then moved out of the way
    // of the counts below.
    wait_for("the verification email", Duration::from_secs(10), || received(sink_dir.path()).len() == 1).await;
    let verification = received(sink_dir.path()).remove(0).replace("=\r\n", "").replace("=\n", "");
    let at = verification.find("/verify-email/").expect("verification link") + "/verify-email/".len();
    let token: String =
        verification[at..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect();
    assert_eq!(admin.get(&format!("/verify-email/{token}")).await.status(), 303);
    assert_eq!(admin.get_json("/api/v1/me").await["email_verified"], true);
    for entry in std::fs::read_dir(sink_dir.path()).expect("sink dir").filter_map(Result::ok) {
        if entry.path().extension().is_some_and(|e| e == "json" || e == "eml") {
            std::fs::remove_file(entry.path()).expect("remove");
        }
    }

    // 1. An invitation reaches the SMTP server; its link works.
    let started = Instant::now();
    let res = admin.post_json("/api/v1/invitations", json!({"email": "bob@example.com"})).await;
    assert_eq!(res.status(), 201);
    wait_for("the first email", Duration::from_secs(10), || received(sink_dir.path()).len() == 1).await;
    eprintln!("invite → email accepted by SMTP: {} ms", started.elapsed().as_millis());
    let mail = received(sink_dir.path()).remove(0);
    assert_eq!(header(&mail, "Subject"), Some("You're invited to a workspace on Switchboard"));
    assert_eq!(header(&mail, "To"), Some("bob@example.com"));
    let body = mail.replace("=\r\n", "").replace("=\n", "");
    let at = body.find("/invite/").expect("link in the email");
    let token: String =
        body[at + 8..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect();
    let visitor = Visitor { app_url: url.clone(), client: crate::harness::browser_client(), csrf: None };
    let page = visitor.get_text(&format!("/invite/{token}")).await;
    assert!(page.contains("Join Acme Voice"));

    // 2. The sender dies mid-conversation (SIGKILL while the SMTP server
    //    holds RCPT); a new process takes the job over after its lease.
    let res = admin.post_json("/api/v1/invitations", json!({"email": "stall-carol@example.com"})).await;
    assert_eq!(res.status(), 201);
    wait_for("the SMTP conversation to stall", Duration::from_secs(10), || sink_dir.path().join("stalled").exists())
        .await;
    server.0.kill().expect("SIGKILL");
    let _ = server.0.wait();
    std::fs::write(sink_dir.path().join("release"), b"go").expect("release");
    assert_eq!(received(sink_dir.path()).len(), 1, "nothing was delivered by the killed process");

    let (_server_b, _url_b) = start_server(data_dir.path(), &database_url, smtp_port);
    wait_for("the retried email", Duration::from_secs(20), || received(sink_dir.path()).len() == 2).await;
    // Longer than a lease and a retry step: no second copy arrives.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let all = received(sink_dir.path());
    assert_eq!(all.len(), 2, "exactly once");
    assert_eq!(header(&all[1], "To"), Some("stall-carol@example.com"));
    assert!(header(&all[1], "Message-ID").is_some_and(|id| id.starts_with("<inv_")));
}
