//! Prism serving Twilio's API description (`tests/mocks/`, the numbers
//! subset) for the BYOC tests: started on a free loopback port, killed on
//! drop or by [`TwilioMock::stop`] (a carrier that went away). Without
//! Prism installed the tests skip loudly, unless
//! `SWITCHBOARD_REQUIRE_PRISM=1`, where they fail.
#![allow(clippy::unwrap_used)]

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const TWILIO_SPEC: &str = "twilio_api_v2010.numbers-subset.json";

pub struct TwilioMock {
    child: Option<Child>,
    port: u16,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

fn mocks_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/mocks")
}

impl TwilioMock {
    pub fn start() -> Option<TwilioMock> {
        let bin = mocks_dir().join("node_modules/.bin/prism");
        if !bin.exists() {
            let hint = "run `npm ci` in tests/mocks (scripts/test does this for you)";
            assert!(std::env::var("SWITCHBOARD_REQUIRE_PRISM").is_err(), "Prism is required but not installed: {hint}");
            eprintln!(
                "\n!!!!!!!!!! SKIPPED: this Twilio test needs Prism, which is not installed: {hint} !!!!!!!!!!\n"
            );
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("prism.log");
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let out = std::fs::File::create(&log).unwrap();
        let child = Command::new(&bin)
            .args(["mock", "-h", "127.0.0.1", "-p", &port.to_string()])
            .arg(mocks_dir().join(TWILIO_SPEC))
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .expect("starting prism");
        let mock = TwilioMock { child: Some(child), port, log, _dir: dir };
        mock.wait_until_listening();
        Some(mock)
    }

    fn wait_until_listening(&self) {
        let addr = SocketAddr::from(([127, 0, 0, 1], self.port));
        let deadline = Instant::now() + Duration::from_secs(120);
        while TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            assert!(Instant::now() < deadline, "prism did not listen on {addr}:\n{}", self.log());
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The carrier goes away: every later call fails to connect.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for TwilioMock {
    fn drop(&mut self) {
        self.stop();
    }
}
