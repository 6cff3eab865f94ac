//! A mock of Stripe's API for tests: Stoplight Prism (npm's
//! `@stoplight/prism-cli`, installed by `npm ci` in `tests/mocks`, which
//! scripts/test runs) serving Stripe's OpenAPI description for API version
//! 2023-08-16 (`tests/mocks/stripe_spec3_…unexpanded.json`, the billing
//! subset), started on a free loopback port and killed on drop. Prism
//! answers 422 to a request the description does not allow (a missing
//! required field, a wrong type, a wrong enum value), so a call that
//! succeeds here has the shape Stripe documents.
//!
//! One change to the description before serving it: Prism's form decoder
//! materialises every nested object a request body *could* have (e.g.
//! `automatic_tax`, `transform_quantity`) as an empty object, so their
//! required sub-fields fail every request that leaves them out. `required`
//! is therefore dropped inside nested request-body objects only; top-level
//! required fields, types and enums are still checked. Prism also refuses
//! arrays of objects in forms (`items[0][price]`, 415), which no change of
//! the description fixes: those calls are tested against a stand-in.
//!
//! Without Prism installed the tests using it skip with a loud message —
//! unless `SWITCHBOARD_REQUIRE_PRISM=1` (scripts/test sets it after
//! installing Prism), where a missing Prism fails them.
#![allow(dead_code, clippy::unwrap_used)]

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub struct PrismServer {
    child: Child,
    pub port: u16,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

fn mocks_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/mocks")
}

pub const STRIPE_SPEC: &str = "stripe_spec3_2023-08-16.billing-subset.unexpanded.json";

/// Drops `required` from every object below the top of a request body.
fn relax_nested_required(schema: &mut Value, top: bool) {
    let Some(object) = schema.as_object_mut() else { return };
    if !top {
        object.remove("required");
    }
    for key in ["properties", "patternProperties"] {
        if let Some(Value::Object(props)) = object.get_mut(key) {
            props.values_mut().for_each(|p| relax_nested_required(p, false));
        }
    }
    for key in ["anyOf", "oneOf", "allOf"] {
        if let Some(Value::Array(options)) = object.get_mut(key) {
            options.iter_mut().for_each(|o| relax_nested_required(o, false));
        }
    }
    for key in ["items", "additionalProperties"] {
        if let Some(inner) = object.get_mut(key) {
            relax_nested_required(inner, false);
        }
    }
}

fn prepared_spec(dir: &std::path::Path) -> PathBuf {
    let raw = std::fs::read_to_string(mocks_dir().join(STRIPE_SPEC)).unwrap();
    let mut spec: Value = serde_json::from_str(&raw).unwrap();
    for operation in spec["paths"].as_object_mut().unwrap().values_mut() {
        for op in operation.as_object_mut().unwrap().values_mut() {
            if let Some(Value::Object(content)) = op.pointer_mut("/requestBody/content") {
                for media in content.values_mut() {
                    if let Some(schema) = media.get_mut("schema") {
                        relax_nested_required(schema, true);
                    }
                }
            }
        }
    }
    let path = dir.join("stripe.json");
    std::fs::write(&path, serde_json::to_vec(&spec).unwrap()).unwrap();
    path
}

impl PrismServer {
    /// Starts Prism on Stripe's description, or returns `None` (after
    /// saying so loudly) when it is not installed and not required.
    pub fn stripe() -> Option<PrismServer> {
        let bin = mocks_dir().join("node_modules/.bin/prism");
        if !bin.exists() {
            let hint = "run `npm ci` in tests/mocks (scripts/test does this for you)";
            assert!(
                std::env::var("SWITCHBOARD_REQUIRE_PRISM").is_err(),
                "SWITCHBOARD_REQUIRE_PRISM is set but Prism is not installed: {hint}"
            );
            eprintln!(
                "\n!!!!!!!!!! SKIPPED: this Stripe test needs Prism, which is not installed: {hint} !!!!!!!!!!\n"
            );
            return None;
        }
        let dir = tempfile::tempdir().unwrap();
        let spec = prepared_spec(dir.path());
        let log = dir.path().join("prism.log");
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let out = std::fs::File::create(&log).unwrap();
        let child = Command::new(&bin)
            .args(["mock", "-h", "127.0.0.1", "-p", &port.to_string()])
            .arg(&spec)
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .expect("starting prism");
        let mut server = PrismServer { child, port, log, _dir: dir };
        server.wait_until_listening();
        Some(server)
    }

    fn wait_until_listening(&mut self) {
        let addr = SocketAddr::from(([127, 0, 0, 1], self.port));
        // Prism reads a 900 kB description first: seconds on a busy machine.
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_ok() {
                return;
            }
            if let Some(status) = self.child.try_wait().unwrap() {
                panic!("prism exited ({status}) before listening:\n{}", self.log());
            }
            assert!(Instant::now() < deadline, "prism did not listen on {addr} within 120 s:\n{}", self.log());
            std::thread::sleep(Duration::from_millis(100));
        }
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }
}

impl Drop for PrismServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
