//! A local S3-compatible server for tests: moto's server mode (PyPI's
//! `moto[server]`), started on a free loopback port and killed on drop.
//! Shared by this crate's tests and the app's (`#[path]` include), so it
//! uses nothing but std.
//!
//! Without moto the tests using it skip with a loud message — unless
//! `SWITCHBOARD_REQUIRE_MOTO=1` (scripts/test sets it after installing
//! moto), where a missing moto fails them.
#![allow(dead_code, clippy::unwrap_used)]

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct MotoServer {
    child: Child,
    pub port: u16,
    log: std::path::PathBuf,
    _dir: tempfile::TempDir,
}

/// Credentials moto accepts (any will do; these are its documented fakes).
pub const ACCESS_KEY_ID: &str = "testing";
pub const SECRET_ACCESS_KEY: &str = "testing";
pub const REGION: &str = "us-east-1";

impl MotoServer {
    /// Starts moto, or returns `None` (after saying so loudly) when it is
    /// not installed and not required.
    pub fn start() -> Option<MotoServer> {
        let installed = Command::new("python3")
            .args(["-c", "import moto.server"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !installed {
            let hint = "run `python3 -m pip install 'moto[server]>=5,<6'` (scripts/test does this for you)";
            assert!(
                std::env::var("SWITCHBOARD_REQUIRE_MOTO").is_err(),
                "SWITCHBOARD_REQUIRE_MOTO is set but moto is not installed: {hint}"
            );
            eprintln!(
                "\n!!!!!!!!!! SKIPPED: this S3 test needs moto's server mode, which is not installed: {hint} !!!!!!!!!!\n"
            );
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("moto.log");
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let out = std::fs::File::create(&log).unwrap();
        let child = Command::new("python3")
            .args(["-m", "moto.server", "-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .expect("starting python3 -m moto.server");
        let mut server = MotoServer { child, port, log, _dir: dir };
        server.wait_until_listening();
        Some(server)
    }

    fn wait_until_listening(&mut self) {
        let addr = SocketAddr::from(([127, 0, 0, 1], self.port));
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return;
            }
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("moto exited ({status}) before listening:\n{}", self.log());
            }
            assert!(Instant::now() < deadline, "moto did not listen on {addr} within 30 s:\n{}", self.log());
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Creates a bucket (moto takes unsigned requests).
    pub fn create_bucket(&self, name: &str) {
        let status = self.raw_request("PUT", &format!("/{name}"));
        assert_eq!(status, 200, "creating bucket {name}:\n{}", self.log());
    }

    /// Keys in a bucket, by a plain ListObjects (V1) call.
    pub fn list_keys(&self, bucket: &str) -> Vec<String> {
        let body = self.raw_get(&format!("/{bucket}"));
        body.split("<Key>").skip(1).filter_map(|rest| rest.split("</Key>").next()).map(str::to_owned).collect()
    }

    /// Multipart uploads started and neither completed nor aborted.
    pub fn open_multipart_uploads(&self, bucket: &str) -> usize {
        self.raw_get(&format!("/{bucket}?uploads")).matches("<Upload>").count()
    }

    fn raw_request(&self, method: &str, path: &str) -> u16 {
        let response = self.exchange(method, path);
        response.split(' ').nth(1).and_then(|code| code.parse().ok()).unwrap_or(0)
    }

    fn raw_get(&self, path: &str) -> String {
        self.exchange("GET", path)
    }

    fn exchange(&self, method: &str, path: &str) -> String {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        let request = format!(
            "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            self.port
        );
        stream.write_all(request.as_bytes()).unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).unwrap();
        response
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
