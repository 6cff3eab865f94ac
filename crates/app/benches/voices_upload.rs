//! Peak memory and time of the largest voice-sample upload: 25 WAV files
//! of ~10 MiB each (speech-like bursts, 16 kHz mono) in one multipart body
//! to `POST /api/v1/voices/analyze` (streamed to the file store, every
//! sample read back and decoded, at most two at a time), on a server in
//! this process. The body is written to the socket as it is generated, so
//! the client holds a chunk at a time and the process's peak RSS
//! (`VmHWM` from `/proc/self/status`) is the server's.
//!
//!     cargo bench -p switchboard --bench voices_upload
//!     SWITCHBOARD_BENCH_FILES=5 cargo bench -p switchboard --bench voices_upload   # small, for CI
#[path = "support/admin_workspace.rs"]
mod admin_workspace;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use switchboard::clock::SystemClock;
use switchboard::config::{CommonArgs, Config};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const BOUNDARY: &str = "----switchboard-bench-boundary";
const RATE: u32 = 16_000;
/// PCM bytes per file: 10 MiB less the header and some room.
const PCM_BYTES: usize = 10 * 1024 * 1024 - 4096;

fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1).and_then(|v| v.parse().ok()))
        })
        .unwrap_or(0)
}

fn wav_header(data_len: usize) -> Vec<u8> {
    let mut h = Vec::with_capacity(44);
    h.extend_from_slice(b"RIFF");
    h.extend_from_slice(&(36 + data_len as u32).to_le_bytes());
    h.extend_from_slice(b"WAVEfmt ");
    h.extend_from_slice(&16u32.to_le_bytes());
    h.extend_from_slice(&1u16.to_le_bytes());
    h.extend_from_slice(&1u16.to_le_bytes());
    h.extend_from_slice(&RATE.to_le_bytes());
    h.extend_from_slice(&(RATE * 2).to_le_bytes());
    h.extend_from_slice(&2u16.to_le_bytes());
    h.extend_from_slice(&16u16.to_le_bytes());
    h.extend_from_slice(b"data");
    h.extend_from_slice(&(data_len as u32).to_le_bytes());
    h
}

/// PCM of samples `from..from + n`: 300 ms voiced bursts, 100 ms quiet.
fn pcm(from: usize, n: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(n * 2);
    for i in from..from + n {
        let t = i as f64 / f64::from(RATE);
        let s = if (t % 0.4) < 0.3 {
            let env = (std::f64::consts::PI * (t % 0.4) / 0.3).sin();
            0.4 * env
                * ((2.0 * std::f64::consts::PI * 140.0 * t).sin() * 0.6
                    + (2.0 * std::f64::consts::PI * 420.0 * t).sin() * 0.3)
        } else {
            0.0005
        };
        out.extend_from_slice(&((s * f64::from(i16::MAX)) as i16).to_le_bytes());
    }
    out
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let files: usize = std::env::var("SWITCHBOARD_BENCH_FILES").ok().and_then(|v| v.parse().ok()).unwrap_or(25);
    let dir = tempfile::tempdir()?;
    let args = CommonArgs {
        data_dir: Some(dir.path().to_path_buf()),
        database_url: std::env::var("SWITCHBOARD_BENCH_DATABASE_URL").ok(),
        ..Default::default()
    };
    let state =
        switchboard::server::build_state(Config::resolve(&args)?, "http://127.0.0.1".into(), Arc::new(SystemClock))
            .await?;
    let mut tx = state.db.begin().await?;
    let (_ws, _admin, token) = admin_workspace::create(&mut tx, chrono::Utc::now()).await?;
    tx.commit().await?;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let app = switchboard::routes::router(state.clone());
    tokio::spawn(async move { axum::serve(listener, app.into_make_service_with_connect_info::<SocketAddr>()).await });

    let file_len = 44 + PCM_BYTES;
    let part_head = |i: usize| {
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"sample-{i}.wav\"\r\n\
             Content-Type: audio/wav\r\n\r\n"
        )
    };
    let tail = format!("--{BOUNDARY}--\r\n");
    let body_len: usize = (0..files).map(|i| part_head(i).len() + file_len + 2).sum::<usize>() + tail.len();

    let rss_before = status_kib("VmRSS:");
    let started = Instant::now();
    let mut socket = tokio::net::TcpStream::connect(addr).await?;
    let head = format!(
        "POST /api/v1/voices/analyze HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: multipart/form-data; boundary={BOUNDARY}\r\nContent-Length: {body_len}\r\nConnection: close\r\n\r\n"
    );
    socket.write_all(head.as_bytes()).await?;
    for i in 0..files {
        socket.write_all(part_head(i).as_bytes()).await?;
        socket.write_all(&wav_header(PCM_BYTES)).await?;
        let total = PCM_BYTES / 2;
        let mut at = 0;
        while at < total {
            let n = (total - at).min(32 * 1024);
            socket.write_all(&pcm(at, n)).await?;
            at += n;
        }
        socket.write_all(b"\r\n").await?;
    }
    socket.write_all(tail.as_bytes()).await?;
    let mut response = Vec::new();
    socket.read_to_end(&mut response).await?;
    let elapsed = started.elapsed();
    let text = String::from_utf8_lossy(&response);
    let status = text.lines().next().unwrap_or("").to_string();
    anyhow::ensure!(status.contains(" 200 "), "the upload failed: {}", &text[..text.len().min(600)]);
    let acceptable = text.contains("\"acceptable\":true");
    let peak = status_kib("VmHWM:");

    let mib = (files * file_len) as f64 / (1024.0 * 1024.0);
    let audio_s = files as f64 * (PCM_BYTES / 2) as f64 / f64::from(RATE);
    println!("| Files | Upload | Audio | Time | Throughput | × real time | RSS before | Peak RSS (VmHWM) |");
    println!("|---|---|---|---|---|---|---|---|");
    println!(
        "| {files} | {mib:.0} MiB | {audio_s:.0} s | {:.2} s | {:.1} MiB/s | {:.0}× | {} MiB | {} MiB |",
        elapsed.as_secs_f64(),
        mib / elapsed.as_secs_f64(),
        audio_s / elapsed.as_secs_f64(),
        rss_before / 1024,
        peak / 1024
    );
    anyhow::ensure!(acceptable, "the samples were not acceptable: {}", &text[..text.len().min(600)]);
    Ok(())
}
