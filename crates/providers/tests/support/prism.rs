//! Vendor API mocks for tests: Stoplight Prism (npm's
//! `@stoplight/prism-cli`, installed by `npm ci` in `tests/mocks`, which
//! scripts/test runs) serving a vendor's OpenAPI description from
//! `tests/mocks/` ([`PrismServer::serve`] takes the file's name), started
//! on a free loopback port and killed on drop. Prism answers 422 to a
//! request the description does not allow (a missing required field, a
//! wrong type, a wrong enum value, a path parameter off its pattern) and
//! 401 to one without the credentials the description asks for, so a call
//! that succeeds here has the shape the vendor documents.
//!
//! Descriptions: Stripe's (API version 2023-08-16, the billing subset,
//! [`PrismServer::stripe`]), Twilio's 2010 API and Telnyx's numbers API
//! (their numbers subsets, [`PrismServer::twilio`], [`PrismServer::telnyx`]),
//! ElevenLabs' voices API (its subset, [`PrismServer::elevenlabs`]).
//! Twilio's gets two changes: a URL field of a request body (`VoiceUrl`,
//! `StatusCallback`, …) also takes the empty string, which is how Twilio
//! clears a URL (Prism would refuse it for its `format: uri`); and the
//! `readEmpty` examples go, because rewriting the file sorts each object's
//! keys and Prism answers with the first example (`readEmpty` would then
//! come before `readFull`).
//! Stripe's is changed more: Prism's form decoder
//! materialises every nested object a request body *could* have (e.g.
//! `automatic_tax`, `transform_quantity`) as an empty object, so their
//! required sub-fields fail every request that leaves them out. `required`
//! is therefore dropped inside nested request-body objects only; top-level
//! required fields, types and enums are still checked. Prism also refuses
//! arrays of objects in forms (`items[0][price]`, 415), which no change of
//! the description fixes: those calls are tested against a stand-in.
//!
//! Usable from any crate of the workspace (`#[path = "…/providers/tests/support/prism.rs"] mod prism;`):
//! it needs `serde_json` and `tempfile`, and finds `tests/mocks` two
//! folders above the crate's manifest.
//!
//! Without Prism installed the tests using it skip with a loud message —
//! unless `SWITCHBOARD_REQUIRE_PRISM=1` (scripts/test sets it after
//! installing Prism), where a missing Prism fails them.
#![allow(dead_code, clippy::unwrap_used)]

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub struct PrismServer {
    child: Child,
    pub port: u16,
    log: PathBuf,
    _dir: tempfile::TempDir,
}

/// `tests/mocks` of the repository (every crate is two folders down).
pub fn mocks_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/mocks")
}

pub const STRIPE_SPEC: &str = "stripe_spec3_2023-08-16.billing-subset.unexpanded.json";
pub const TWILIO_SPEC: &str = "twilio_api_v2010.numbers-subset.json";
pub const TELNYX_SPEC: &str = "telnyx_numbers-subset.json";
pub const ELEVENLABS_SPEC: &str = "elevenlabs_voices-subset.json";

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

/// Calls `change` on the schema of every request body of `spec`.
fn for_each_request_body(spec: &mut Value, mut change: impl FnMut(&mut Value)) {
    for operation in spec["paths"].as_object_mut().unwrap().values_mut() {
        for op in operation.as_object_mut().unwrap().values_mut() {
            if let Some(Value::Object(content)) = op.pointer_mut("/requestBody/content") {
                for media in content.values_mut() {
                    if let Some(schema) = media.get_mut("schema") {
                        change(schema);
                    }
                }
            }
        }
    }
}

/// Removes the response examples called `name` everywhere in `spec`.
fn drop_examples(spec: &mut Value, name: &str) {
    match spec {
        Value::Object(object) => {
            if let Some(Value::Object(examples)) = object.get_mut("examples") {
                examples.remove(name);
            }
            object.values_mut().for_each(|v| drop_examples(v, name));
        }
        Value::Array(items) => items.iter_mut().for_each(|v| drop_examples(v, name)),
        _ => {}
    }
}

fn prepared_spec(dir: &std::path::Path) -> PathBuf {
    let raw = std::fs::read_to_string(mocks_dir().join(STRIPE_SPEC)).unwrap();
    let mut spec: Value = serde_json::from_str(&raw).unwrap();
    for_each_request_body(&mut spec, |schema| relax_nested_required(schema, true));
    let path = dir.join("stripe.json");
    std::fs::write(&path, serde_json::to_vec(&spec).unwrap()).unwrap();
    path
}

/// Prism's command, or `None` (after saying so loudly) when it is not
/// installed and not required.
fn prism_bin(vendor: &str) -> Option<PathBuf> {
    let bin = mocks_dir().join("node_modules/.bin/prism");
    if bin.exists() {
        return Some(bin);
    }
    let hint = "run `npm ci` in tests/mocks (scripts/test does this for you)";
    assert!(
        std::env::var("SWITCHBOARD_REQUIRE_PRISM").is_err(),
        "SWITCHBOARD_REQUIRE_PRISM is set but Prism is not installed: {hint}"
    );
    eprintln!("\n!!!!!!!!!! SKIPPED: this {vendor} test needs Prism, which is not installed: {hint} !!!!!!!!!!\n");
    None
}

impl PrismServer {
    /// Starts Prism on Stripe's description, or returns `None` (after
    /// saying so loudly) when it is not installed and not required.
    pub fn stripe() -> Option<PrismServer> {
        let bin = prism_bin("Stripe")?;
        let dir = tempfile::tempdir().unwrap();
        let spec = prepared_spec(dir.path());
        Some(PrismServer::start(&bin, &spec, dir))
    }

    /// Prism on Twilio's 2010 API (the numbers subset), its URL fields
    /// taking `""` as Twilio does.
    pub fn twilio() -> Option<PrismServer> {
        let bin = prism_bin("Twilio")?;
        let dir = tempfile::tempdir().unwrap();
        let raw = std::fs::read_to_string(mocks_dir().join(TWILIO_SPEC)).unwrap();
        let mut spec: Value = serde_json::from_str(&raw).unwrap();
        for_each_request_body(&mut spec, |schema| {
            let Some(Value::Object(props)) = schema.get_mut("properties") else { return };
            for prop in props.values_mut() {
                if prop.get("format").and_then(Value::as_str) == Some("uri") {
                    let prop = prop.as_object_mut().unwrap();
                    prop.remove("format");
                    prop.insert("pattern".into(), Value::String("^$|^https?://".into()));
                }
            }
        });
        // serde_json sorts object keys, and Prism answers with a response's
        // first example: `readEmpty` would come before `readFull`.
        drop_examples(&mut spec, "readEmpty");
        let path = dir.path().join("twilio.json");
        std::fs::write(&path, serde_json::to_vec(&spec).unwrap()).unwrap();
        Some(PrismServer::start(&bin, &path, dir))
    }

    /// Prism on Telnyx's numbers API. Prism serves the paths at the root,
    /// without the description's `/v2` server prefix: the client's base is
    /// [`PrismServer::base_url`] itself.
    pub fn telnyx() -> Option<PrismServer> {
        PrismServer::serve(TELNYX_SPEC, "Telnyx")
    }

    /// Prism on ElevenLabs' voices API. Two changes to the served copy:
    /// the `xi-api-key` header is required on every call (ElevenLabs refuses
    /// calls without it; the description marks it optional), so Prism
    /// answers 422 to a client that forgets it; and each 422 answer gets an
    /// example in ElevenLabs' (FastAPI's) validation-error shape instead of
    /// the `"string"` placeholders Prism would make up.
    pub fn elevenlabs() -> Option<PrismServer> {
        let bin = prism_bin("ElevenLabs")?;
        let dir = tempfile::tempdir().unwrap();
        let raw = std::fs::read_to_string(mocks_dir().join(ELEVENLABS_SPEC)).unwrap();
        let mut spec: Value = serde_json::from_str(&raw).unwrap();
        for operation in spec["paths"].as_object_mut().unwrap().values_mut() {
            for op in operation.as_object_mut().unwrap().values_mut() {
                for param in op["parameters"].as_array_mut().into_iter().flatten() {
                    if param["name"] == "xi-api-key" {
                        param["required"] = Value::Bool(true);
                        param["schema"] = serde_json::json!({"type": "string", "minLength": 1});
                    }
                }
                if let Some(json) = op.pointer_mut("/responses/422/content/application~1json") {
                    json["example"] = serde_json::json!({"detail": [{
                        "loc": ["body", "files"], "msg": "Input should be a valid list", "type": "list_type"
                    }]});
                }
            }
        }
        let path = dir.path().join("elevenlabs.json");
        std::fs::write(&path, serde_json::to_vec(&spec).unwrap()).unwrap();
        Some(PrismServer::start(&bin, &path, dir))
    }

    /// Prism on `tests/mocks/{spec}` as it is; `vendor` names it in the
    /// message when Prism is missing.
    pub fn serve(spec: &str, vendor: &str) -> Option<PrismServer> {
        let bin = prism_bin(vendor)?;
        let path = mocks_dir().join(spec);
        assert!(path.exists(), "no description {} in tests/mocks", path.display());
        Some(PrismServer::start(&bin, &path, tempfile::tempdir().unwrap()))
    }

    fn start(bin: &Path, spec: &Path, dir: tempfile::TempDir) -> PrismServer {
        let log = dir.path().join("prism.log");
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let out = std::fs::File::create(&log).unwrap();
        let child = Command::new(bin)
            .args(["mock", "-h", "127.0.0.1", "-p", &port.to_string()])
            .arg(spec)
            .stdin(Stdio::null())
            .stdout(out.try_clone().unwrap())
            .stderr(out)
            .spawn()
            .expect("starting prism");
        let mut server = PrismServer { child, port, log, _dir: dir };
        server.wait_until_listening();
        server
    }

    fn wait_until_listening(&mut self) {
        let addr = SocketAddr::from(([127, 0, 0, 1], self.port));
        // Prism reads the description first (Stripe's is 900 kB): seconds on a busy machine.
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
