//! Bounds on heavy work (issue 12): image decoding and password hashing
//! run at most `--image-workers` / `--password-workers` at once, a request
//! that finds them full waits `--busy-wait` and is then answered 503 with
//! `Retry-After`; and signed-in users are rate-limited per user.
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};

use crate::harness::{TestApp, Visitor, browser_client, problem};
use crate::webhook_support::start_server_at;

const PASSWORD: &str = "correct horse battery";

/// A 4096×4096 16-bit RGBA PNG: the largest image accepted, decoding to
/// 128 MiB (plus 64 MiB as RGBA8), in a body under 1 MiB. Written by hand
/// (every pixel zero, deflated as runs of 258) because encoding it with the
/// image crate takes most of a minute in a debug build.
fn heaviest_png() -> Vec<u8> {
    const SIDE: u32 = 4096;
    let raw_len = u64::from(SIDE) * (1 + u64::from(SIDE) * 8); // a filter byte a row
    let mut bits = BitWriter::default();
    bits.put(1, 1); // the final block…
    bits.put(1, 2); // …with the fixed Huffman codes
    bits.code(0x30, 8); // a literal 0
    let mut left = raw_len - 1;
    while left >= 258 {
        bits.code(0xC5, 8); // length 258 (symbol 285)…
        bits.code(0, 5); // …at distance 1
        left -= 258;
    }
    for _ in 0..left {
        bits.code(0x30, 8);
    }
    bits.code(0, 7); // end of block
    let mut zlib = vec![0x78, 0x01];
    zlib.extend(bits.finish());
    let adler = 1u32 | (((raw_len % 65_521) as u32) << 16); // of zeros only
    zlib.extend(adler.to_be_bytes());

    let mut ihdr = Vec::new();
    ihdr.extend(SIDE.to_be_bytes());
    ihdr.extend(SIDE.to_be_bytes());
    ihdr.extend([16, 6, 0, 0, 0]); // 16-bit RGBA, deflate, no filter, not interlaced
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    for (kind, data) in [(b"IHDR", ihdr), (b"IDAT", zlib), (b"IEND", Vec::new())] {
        png.extend((data.len() as u32).to_be_bytes());
        let mut crc = crc32fast::Hasher::new();
        crc.update(kind);
        crc.update(&data);
        png.extend(kind);
        png.extend(&data);
        png.extend(crc.finalize().to_be_bytes());
    }
    png
}

/// Deflate's bit order: values least significant bit first, Huffman codes
/// most significant first.
#[derive(Default)]
struct BitWriter {
    out: Vec<u8>,
    acc: u64,
    len: u32,
}

impl BitWriter {
    fn put(&mut self, value: u32, bits: u32) {
        self.acc |= u64::from(value) << self.len;
        self.len += bits;
        while self.len >= 8 {
            self.out.push(self.acc as u8);
            self.acc >>= 8;
            self.len -= 8;
        }
    }

    fn code(&mut self, code: u32, bits: u32) {
        self.put(code.reverse_bits() >> (32 - bits), bits);
    }

    fn finish(mut self) -> Vec<u8> {
        if self.len > 0 {
            self.out.push(self.acc as u8);
        }
        self.out
    }
}

/// Peak resident memory of a process, in MiB (`VmHWM`).
fn peak_rss_mib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc/PID/status");
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).expect("VmHWM");
    let kib: u64 = line.split_whitespace().nth(1).and_then(|v| v.parse().ok()).expect("VmHWM value");
    kib / 1024
}

/// With two image workers, 32 uploads at once of the heaviest image hold at
/// most two decodes (~200 MiB each) in memory; unbounded, the same burst
/// took 16 × that (2.8 GB for 16 uploads in the security probe).
const PEAK_RSS_BOUND_MIB: u64 = 700;

#[tokio::test]
async fn thirty_two_parallel_avatar_uploads_keep_peak_memory_bounded() {
    let app = TestApp::spawn().await;
    let dir = tempfile::tempdir().expect("log dir");
    let log = dir.path().join("server.log");
    let (server, url) = start_server_at(&app, &log, &["--image-workers", "2"]);
    let pid = server.0.id();
    let mut user = Visitor { app_url: url, client: browser_client(), csrf: None };
    let res = user.sign_up("Mallory", "mallory@example.com", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "a fresh self-registered user");
    let png = heaviest_png();
    assert!(png.len() < switchboard::images::MAX_UPLOAD_BYTES, "{} bytes", png.len());
    let started = std::time::Instant::now();
    let before = peak_rss_mib(pid);

    let uploads = (0..32).map(|_| {
        let req = user
            .client
            .put(user.at("/api/v1/me/avatar"))
            .header("x-csrf-token", user.csrf.clone().expect("csrf"))
            .header("content-type", "image/png")
            .body(png.clone());
        tokio::spawn(async move {
            let res = req.send().await.expect("PUT avatar");
            (res.status(), res.headers().get("retry-after").cloned())
        })
    });
    let mut stored = 0;
    let mut busy = 0;
    for upload in uploads.collect::<Vec<_>>() {
        match upload.await.expect("upload") {
            (StatusCode::OK, _) => stored += 1,
            (StatusCode::SERVICE_UNAVAILABLE, Some(retry)) => {
                assert!(retry.to_str().expect("ascii").parse::<u64>().expect("seconds") >= 1);
                busy += 1;
            }
            (status, _) => panic!("unexpected answer {status}\n{}", std::fs::read_to_string(&log).unwrap_or_default()),
        }
    }
    let peak = peak_rss_mib(pid);
    println!(
        "peak RSS {before} MiB before, {peak} MiB after; {stored} stored, {busy} answered 503, in {:?}",
        started.elapsed()
    );
    assert!(stored >= 2, "the workers were used: {stored} stored, {busy} busy");
    assert!(
        peak < PEAK_RSS_BOUND_MIB,
        "peak RSS {peak} MiB (before the uploads: {before} MiB) exceeds {PEAK_RSS_BOUND_MIB} MiB"
    );
}

#[tokio::test]
async fn a_full_image_gate_answers_503_with_retry_after_and_changes_nothing() {
    let app = TestApp::spawn_with_args(|args| {
        args.load.image_workers = Some(1);
        args.load.busy_wait = Some("1s".into());
    })
    .await;
    let user = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let held = switchboard::load::gates().images.enter().await.expect("the one slot");

    let res = user.put_bytes("/api/v1/me/avatar", crate::harness::png(64, 64), "image/png").await;
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(res.headers()["retry-after"], "1");
    assert_eq!(problem(res).await["code"], "server_busy");

    // The page form gets an error page with the same status and header.
    let form = Form::new()
        .text("_csrf", user.csrf.clone().expect("csrf"))
        .part("avatar", Part::bytes(crate::harness::png(64, 64)).file_name("a.png"));
    let res = user.client.post(user.at("/profile/avatar")).multipart(form).send().await.expect("POST");
    assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(res.headers()["retry-after"], "1");
    assert!(res.text().await.expect("html").contains("The server is busy"));
    assert!(user.get_json("/api/v1/me").await["avatar_url"].is_null(), "nothing stored");

    drop(held);
    let res = user.put_bytes("/api/v1/me/avatar", crate::harness::png(64, 64), "image/png").await;
    assert_eq!(res.status(), StatusCode::OK, "a free worker takes it");
}

#[tokio::test]
async fn a_full_password_gate_answers_503_and_does_not_spend_attempts() {
    let app = TestApp::spawn_with_args(|args| {
        args.load.password_workers = Some(1);
        args.load.busy_wait = Some("1s".into());
    })
    .await;
    let _ada = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let held = switchboard::load::gates().passwords.enter().await.expect("the one slot");
    let mut visitor = app.visitor();
    // More than the five attempts a client has: none was checked, none counts.
    for _ in 0..6 {
        let res = visitor.sign_in("ada@example.com", PASSWORD).await;
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(res.headers()["retry-after"], "1");
    }
    drop(held);
    let res = visitor.sign_in("ada@example.com", PASSWORD).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER, "signed in once a worker is free");
}

#[tokio::test]
async fn signed_in_users_are_rate_limited_per_user() {
    let app = TestApp::spawn_with_args(|args| args.rate_limits.user = Some("20/m".into())).await;
    let ada = app.user_with_workspace("Ada", "ada@example.com", "Acme Voice").await;
    let mut refusal = None;
    for _ in 0..=20 {
        let res = ada.get("/api/v1/me").await;
        if res.status() == StatusCode::TOO_MANY_REQUESTS {
            refusal = Some(res);
            break;
        }
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers()["ratelimit-limit"], "20");
    }
    let refusal = refusal.expect("a signed-in user's 21st request within the minute is refused");
    assert!(refusal.headers().contains_key("retry-after"));
    let body = problem(refusal).await;
    assert_eq!(body["code"], "rate_limited");
    assert!(body["detail"].as_str().expect("detail").contains("your account"), "{body}");

    // Another user has a budget of their own.
    let grace = app.user_with_workspace("Grace", "grace@example.com", "Hopper Labs").await;
    assert_eq!(grace.get("/api/v1/me").await.status(), StatusCode::OK);
    // The window passes.
    app.clock.advance(chrono::Duration::minutes(1));
    assert_eq!(ada.get("/api/v1/me").await.status(), StatusCode::OK);
}
