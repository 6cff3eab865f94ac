//! A contacts CSV import at scale, as a user runs it: a separate
//! `switchboard serve` process (its own memory to measure), a workspace
//! with two attributes (an enum and a number), and a CSV of
//! `SWITCHBOARD_BENCH_ROWS` rows (default 1,000,000; one in a hundred bad)
//! uploaded through `POST /api/v1/imports`, started, and polled until
//! done. Prints rows imported per second (from the start to `DONE`) and
//! the server's peak RSS (VmHWM) before the upload, after it, and at the
//! end: flat memory means the peak does not grow with the file.
//!
//! ```text
//! cargo bench -p switchboard --bench contacts_import
//! SWITCHBOARD_BENCH_DATABASE_URL=postgres://… cargo bench -p switchboard --bench contacts_import
//! SWITCHBOARD_BENCH_ROWS=100000 cargo bench -p switchboard --bench contacts_import
//! ```
#[path = "support/admin_workspace.rs"]
mod admin_workspace;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use switchboard::clock::SystemClock;
use switchboard::config::{CommonArgs, Config};

/// The peak resident set of a process (VmHWM), in MB.
fn peak_rss_mb(pid: u32) -> f64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    let kb = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok());
    kb.unwrap_or(0.0) / 1024.0
}

/// The i-th phone: valid US numbers (exchanges 200–999), 8 million of them.
fn phone(i: u64) -> String {
    format!("+1415{}{:04}", 200 + (i / 10_000) % 800, i % 10_000)
}

/// Writes the CSV: phone, name, email, tier, score; every 100th row bad
/// in one of four ways (a phone, an enum value, a number, a duplicate).
fn write_csv(path: &std::path::Path, rows: u64) -> anyhow::Result<u64> {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path)?);
    writeln!(out, "Phone,Name,Email,Tier,Score")?;
    let mut bad = 0;
    for i in 0..rows {
        let number = phone(i);
        let tier = ["Free", "Pro", "Enterprise"][(i % 3) as usize];
        match (i % 100 == 99).then_some(i % 400 / 100) {
            Some(0) => writeln!(out, "not a phone,Person {i},p{i}@example.com,{tier},{}", i % 1000)?,
            Some(1) => writeln!(out, "{number},Person {i},p{i}@example.com,Gold,{}", i % 1000)?,
            Some(2) => writeln!(out, "{number},Person {i},p{i}@example.com,{tier},lots")?,
            Some(_) => writeln!(out, "{},Again {i},,{tier},1", phone(i - 1))?,
            None => writeln!(out, "{number},\"Person {i}, Jr\",p{i}@example.com,{tier},{}", i % 1000)?,
        }
        if i % 100 == 99 {
            bad += 1;
        }
    }
    out.flush()?;
    Ok(bad)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let rows: u64 =
        std::env::var("SWITCHBOARD_BENCH_ROWS").ok().and_then(|v| v.replace('_', "").parse().ok()).unwrap_or(1_000_000);
    let dir = tempfile::tempdir()?;
    let args = CommonArgs {
        data_dir: Some(dir.path().to_path_buf()),
        database_url: std::env::var("SWITCHBOARD_BENCH_DATABASE_URL").ok(),
        ..Default::default()
    };
    let config = Config::resolve(&args)?;
    // The workspace and its token, written here; the server runs apart.
    let token = {
        let state =
            switchboard::server::build_state(config.clone(), "http://127.0.0.1".into(), Arc::new(SystemClock)).await?;
        let mut tx = state.db.begin().await?;
        let (_ws, _admin, token) = admin_workspace::create(&mut tx, chrono::Utc::now()).await?;
        tx.commit().await?;
        token
    };
    let csv = dir.path().join("contacts.csv");
    let made = Instant::now();
    let bad = write_csv(&csv, rows)?;
    let size = std::fs::metadata(&csv)?.len();
    println!("{rows} rows ({bad} bad), {:.0} MB, written in {:.1?}", size as f64 / 1e6, made.elapsed());

    let mut child = Command::new(env!("CARGO_BIN_EXE_switchboard"))
        .args(["serve", "--listen", "127.0.0.1:0", "--database-url", &config.database_url, "--data-dir"])
        .arg(&config.data_dir)
        .env("SWITCHBOARD_LOG", "warn")
        .env("SWITCHBOARD_API_RATE_LIMIT", "off")
        .stdout(Stdio::piped())
        .spawn()?;
    let mut line = String::new();
    BufReader::new(child.stdout.take().ok_or_else(|| anyhow::anyhow!("no stdout"))?).read_line(&mut line)?;
    let url = line.trim().strip_prefix("Switchboard is running at ").unwrap_or_default().to_string();
    let pid = child.id();
    let result = async {
        let client = reqwest::Client::new();
        let api = |path: &str| format!("{url}/api/v1{path}");
        for body in [
            json!({"key": "tier", "label": "Tier", "type": "enum", "options": ["Free", "Pro", "Enterprise"], "required": true}),
            json!({"key": "score", "label": "Score", "type": "number"}),
        ] {
            let res = client.post(api("/contact-attributes")).bearer_auth(&token).json(&body).send().await?;
            anyhow::ensure!(res.status().is_success(), "attribute: {}", res.text().await?);
        }
        let rss_start = peak_rss_mb(pid);
        // The client reads the file whole (this process, not the server).
        let file = reqwest::multipart::Part::bytes(std::fs::read(&csv)?).file_name("contacts.csv").mime_str("text/csv")?;
        let form = reqwest::multipart::Form::new().text("kind", "contacts").part("file", file);
        let uploaded = Instant::now();
        let res = client.post(api("/imports")).bearer_auth(&token).multipart(form).send().await?;
        anyhow::ensure!(res.status().is_success(), "upload: {}", res.text().await?);
        let import: Value = res.json().await?;
        let id = import["id"].as_str().unwrap_or_default().to_string();
        let upload_secs = uploaded.elapsed().as_secs_f64();
        let rss_upload = peak_rss_mb(pid);
        let started = Instant::now();
        let res = client
            .post(api(&format!("/imports/{id}/start")))
            .bearer_auth(&token)
            .json(&json!({"on_duplicate": "update"}))
            .send()
            .await?;
        anyhow::ensure!(res.status().is_success(), "start: {}", res.text().await?);
        let mut last = 0;
        let done = loop {
            tokio::time::sleep(Duration::from_millis(500)).await;
            let now: Value = client.get(api(&format!("/imports/{id}"))).bearer_auth(&token).send().await?.json().await?;
            let read = now["counts"]["rows_read"].as_u64().unwrap_or(0);
            if read / 100_000 > last / 100_000 {
                println!(
                    "  {read:>9} rows  {:>6.1} s  peak RSS {:.1} MB",
                    started.elapsed().as_secs_f64(),
                    peak_rss_mb(pid)
                );
            }
            last = read;
            match now["state"].as_str() {
                Some("DONE") => break now,
                Some("FAILED") => anyhow::bail!("the import failed: {}", now["error"]),
                _ => {}
            }
        };
        let secs = started.elapsed().as_secs_f64();
        let counts = &done["counts"];
        println!(
            "backend {}: upload {:.1} s; import {:.1} s = {:.0} rows/s ({} created, {} updated, {} failed)",
            config.database_url.split(':').next().unwrap_or_default(),
            upload_secs,
            secs,
            rows as f64 / secs,
            counts["created"],
            counts["updated"],
            counts["failed"]
        );
        println!(
            "server peak RSS (VmHWM): {rss_start:.1} MB before the upload, {rss_upload:.1} MB after it, {:.1} MB at the end \
             (file {:.0} MB)",
            peak_rss_mb(pid),
            size as f64 / 1e6
        );
        anyhow::ensure!(counts["failed"].as_u64() == Some(bad), "every bad row fails, no good one");
        Ok(())
    }
    .await;
    let _ = child.kill();
    let _ = child.wait();
    result
}
