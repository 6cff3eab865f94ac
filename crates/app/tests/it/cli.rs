//! The binary itself: flags and environment, the printed URL, JSON logs
//! with request IDs, graceful shutdown on SIGTERM, and `members add`.
use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};

use crate::harness::{TestApp, fresh_postgres_url};

fn binary() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_switchboard"));
    cmd.env_remove("DATABASE_URL").env_remove("SWITCHBOARD_LISTEN").env_remove("SWITCHBOARD_DATA_DIR");
    cmd
}

#[tokio::test]
async fn serve_prints_its_url_logs_json_with_request_ids_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().expect("dir");
    let mut cmd = binary();
    cmd.args(["serve", "--listen", "127.0.0.1:0"])
        .env("SWITCHBOARD_DATA_DIR", dir.path())
        .env("SWITCHBOARD_LOG_FORMAT", "json")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(url) = fresh_postgres_url().await {
        cmd.env("DATABASE_URL", url);
    }
    let mut child = cmd.spawn().expect("spawn");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    stdout.read_line(&mut line).expect("read");
    let url = line.trim().strip_prefix("Switchboard is running at ").expect("prints its URL").to_string();

    let res = reqwest::Client::new()
        .get(format!("{url}/readyz"))
        .header("x-request-id", "test-req-42")
        .send()
        .await
        .expect("get");
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["x-request-id"], "test-req-42");
    if std::env::var("SWITCHBOARD_TEST_POSTGRES_URL").map_or(true, |s| s.is_empty()) {
        assert!(dir.path().join("switchboard.db").exists(), "SQLite file in the data dir");
    }

    let status = Command::new("kill").args(["-TERM", &child.id().to_string()]).status().expect("kill");
    assert!(status.success());
    let exit = child.wait().expect("wait");
    assert!(exit.success(), "SIGTERM is a clean shutdown: {exit:?}");
    let mut logs = String::new();
    child.stderr.take().expect("stderr").read_to_string(&mut logs).expect("logs");
    let finished = logs
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|l| l["message"] == "request finished")
        .expect("a JSON log line per request");
    assert_eq!(finished["span"]["request_id"], "test-req-42");
    assert_eq!(finished["span"]["route"], "/readyz");
    assert!(logs.contains("shutting down"));
}

#[tokio::test]
async fn a_toml_file_configures_the_server_and_bad_config_is_refused() {
    let dir = tempfile::tempdir().expect("dir");
    let config = dir.path().join("switchboard.toml");
    std::fs::write(&config, format!("data_dir = {:?}\nlisten = \"127.0.0.1:0\"\nlistn = 1\n", dir.path()))
        .expect("write");
    let out = binary().args(["migrate", "--config"]).arg(&config).output().expect("run");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("listn"), "names the unknown key");

    std::fs::write(&config, format!("data_dir = {:?}\n", dir.path())).expect("write");
    let out = binary().args(["migrate", "--config"]).arg(&config).output().expect("run");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(dir.path().join("switchboard.db").exists());
}

#[tokio::test]
async fn members_add_puts_an_existing_user_into_a_workspace() {
    let app = TestApp::spawn().await;
    let admin = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let ws_id = admin.workspace().await["id"].as_str().expect("id").to_string();
    let mut bob = app.visitor();
    bob.sign_up("Bob", "bob@example.com", "correct horse battery").await;

    let database_url = app.state.config.database_url.clone();
    let data_dir = app.state.config.data_dir.clone();
    let run = |args: &[&str]| {
        binary()
            .args(args)
            .arg("--database-url")
            .arg(&database_url)
            .arg("--data-dir")
            .arg(&data_dir)
            .output()
            .expect("run")
    };
    let out = run(&["members", "add", "--workspace", &ws_id, "--email", "nobody@example.com", "--role", "viewer"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no user with that email"));
    let out = run(&["members", "add", "--workspace", &ws_id, "--email", "BOB@example.com", "--role", "owner"]);
    assert!(!out.status.success());

    let out = run(&["members", "add", "--workspace", &ws_id, "--email", "BOB@example.com", "--role", "viewer"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(String::from_utf8_lossy(&out.stdout).contains("bob@example.com is now Viewer of Acme Voice."));
    bob.switch_to(&ws_id).await;
    assert_eq!(bob.workspace().await["role"], "viewer");
    assert!(app.audit_actions(&ws_id).await.contains(&"member.added".to_string()));
}
