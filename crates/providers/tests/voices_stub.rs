//! What Prism cannot show about the ElevenLabs client (see
//! `voices_prism.rs`), against a stand-in on 127.0.0.1 that records each
//! raw request and answers as ElevenLabs does:
//!
//! - the instant-clone request (`POST /v1/voices/add`), which Prism refuses
//!   whatever its body: the recorded multipart body is parsed (multer) and
//!   checked against the request-body schema read from the description
//!   itself (required fields present, no field the schema lacks, `files`
//!   parts carrying the samples' bytes, names and types, `labels` a JSON
//!   object, one value for each other field, types as the schema says);
//! - refused keys, voices already gone, quota errors, outages and
//!   oversized answers (the description defines only 200 and 422);
//! - paging by `next_page_token`, and a clone found by its reference label.
#![allow(clippy::unwrap_used)]

#[path = "support/prism.rs"]
mod prism;

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use switchboard_providers::voices::elevenlabs::{ElevenLabs, MAX_PAGES, REFERENCE_LABEL};
use switchboard_providers::voices::{CloneRequest, Gender, Sample, VoiceError, VoiceProvider};

const KEY: &str = "xi-key-not-for-logs";

#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    query: Vec<(String, String)>,
    content_type: String,
    api_key: String,
    body: Bytes,
}

impl Seen {
    fn param(&self, name: &str) -> Option<&str> {
        self.query.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }
}

type Answer = fn(&Seen) -> Response;

#[derive(Clone)]
struct Stub {
    seen: Arc<Mutex<Vec<Seen>>>,
    answer: Answer,
}

async fn record(State(stub): State<Stub>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let header = |name: &str| parts.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_string();
    let seen = Seen {
        method: parts.method.to_string(),
        path: parts.uri.path().to_string(),
        query: url::form_urlencoded::parse(parts.uri.query().unwrap_or_default().as_bytes()).into_owned().collect(),
        content_type: header("content-type"),
        api_key: header("xi-api-key"),
        body: axum::body::to_bytes(body, 64 * 1024 * 1024).await.unwrap(),
    };
    let response = if seen.api_key == KEY {
        (stub.answer)(&seen)
    } else {
        let refused = json!({"detail": {"status": "invalid_api_key", "message": "Invalid API key"}});
        (StatusCode::UNAUTHORIZED, axum::Json(refused)).into_response()
    };
    stub.seen.lock().unwrap().push(seen);
    response
}

/// A stand-in answering with `answer`; its base URL and what it saw.
async fn stub(answer: Answer) -> (String, Arc<Mutex<Vec<Seen>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let app = Router::new().fallback(record).with_state(Stub { seen: seen.clone(), answer });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}"), seen)
}

fn json_answer(status: StatusCode, body: Value) -> Response {
    (status, axum::Json(body)).into_response()
}

const SAMPLES: [Sample<'static>; 2] = [
    Sample { filename: "take-1.wav", content_type: "audio/wav", bytes: b"RIFF\x24\0\0\0WAVEfmt one" },
    Sample { filename: "upload.mp3", content_type: "audio/mpeg", bytes: b"ID3\x04\0\0\0\0\0\0two" },
];

fn clone_request(samples: &'static [Sample<'static>]) -> CloneRequest<'static> {
    CloneRequest {
        name: "Support line",
        description: "Our own voice, calm",
        language: "es",
        gender: Gender::NotSpecified,
        reference: "vce_01JSTUB",
        samples,
    }
}

/// One part of a multipart body, as multer read it.
#[derive(Debug)]
struct FormPart {
    name: String,
    filename: Option<String>,
    content_type: Option<String>,
    bytes: Vec<u8>,
}

async fn parse_multipart(seen: &Seen) -> Vec<FormPart> {
    let boundary = multer::parse_boundary(&seen.content_type).unwrap();
    let body = seen.body.clone();
    let stream = futures_util::stream::once(async move { Ok::<_, std::io::Error>(body) });
    let mut multipart = multer::Multipart::new(stream, boundary);
    let mut parts = Vec::new();
    while let Some(field) = multipart.next_field().await.unwrap() {
        let name = field.name().unwrap().to_string();
        let filename = field.file_name().map(str::to_string);
        let content_type = field.content_type().map(ToString::to_string);
        let bytes = field.bytes().await.unwrap().to_vec();
        parts.push(FormPart { name, filename, content_type, bytes });
    }
    parts
}

/// The request-body schema of `POST /v1/voices/add` in the description.
fn clone_body_schema() -> Value {
    let raw = std::fs::read_to_string(prism::mocks_dir().join(prism::ELEVENLABS_SPEC)).unwrap();
    let spec: Value = serde_json::from_str(&raw).unwrap();
    let schema = &spec["paths"]["/v1/voices/add"]["post"]["requestBody"]["content"]["multipart/form-data"]["schema"];
    let name = schema["$ref"].as_str().unwrap().rsplit('/').next().unwrap();
    spec["components"]["schemas"][name].clone()
}

/// The types a property's schema allows (`type`, or each `anyOf` branch's).
fn types_of(property: &Value) -> Vec<String> {
    match property["anyOf"].as_array() {
        Some(options) => options.iter().filter_map(|o| o["type"].as_str().map(str::to_string)).collect(),
        None => property["type"].as_str().map(str::to_string).into_iter().collect(),
    }
}

#[tokio::test]
async fn the_instant_clone_request_is_the_multipart_body_the_description_asks_for() {
    let (base, seen) = stub(|s| match (s.method.as_str(), s.path.as_str()) {
        ("POST", "/v1/voices/add") => {
            json_answer(StatusCode::OK, json!({"voice_id": "c38kUX8pkfYO2kHyqfFy", "requires_verification": false}))
        }
        _ => json_answer(StatusCode::NOT_FOUND, json!({"detail": "no such route"})),
    })
    .await;
    let client = ElevenLabs::new(&base, KEY).unwrap();
    assert_eq!(client.clone_voice(&clone_request(&SAMPLES)).await, Ok("c38kUX8pkfYO2kHyqfFy".to_string()));

    let seen = seen.lock().unwrap()[0].clone();
    assert_eq!(seen.api_key, KEY);
    assert!(seen.content_type.starts_with("multipart/form-data; boundary="), "{}", seen.content_type);
    let parts = parse_multipart(&seen).await;
    let schema = clone_body_schema();
    let properties = schema["properties"].as_object().unwrap();

    for required in schema["required"].as_array().unwrap() {
        let required = required.as_str().unwrap();
        assert!(parts.iter().any(|p| p.name == required), "required field {required} is missing");
    }
    for part in &parts {
        let property = properties.get(&part.name).unwrap_or_else(|| panic!("{} is not in the schema", part.name));
        let types = types_of(property);
        if types.contains(&"array".to_string()) {
            // A file of the array: binary items, sent with a name and a type.
            assert_eq!(property["items"]["format"], "binary", "{}", part.name);
            assert!(part.filename.is_some(), "{} part without a filename", part.name);
            continue;
        }
        assert!(part.filename.is_none(), "{} is a plain field, not a file", part.name);
        assert_eq!(parts.iter().filter(|p| p.name == part.name).count(), 1, "{} sent twice", part.name);
        let text = std::str::from_utf8(&part.bytes).unwrap();
        if types.contains(&"boolean".to_string()) {
            assert!(matches!(text, "true" | "false"), "{}: {text:?} is not a boolean", part.name);
        } else {
            assert!(types.contains(&"string".to_string()), "{}: unexpected types {types:?}", part.name);
        }
    }

    // The files are the samples, in order, with their names, types and bytes.
    let files: Vec<&FormPart> = parts.iter().filter(|p| p.name == "files").collect();
    assert_eq!(files.len(), SAMPLES.len());
    for (file, sample) in files.iter().zip(SAMPLES.iter()) {
        assert_eq!(file.filename.as_deref(), Some(sample.filename));
        assert_eq!(file.content_type.as_deref(), Some(sample.content_type));
        assert_eq!(file.bytes, sample.bytes);
    }
    let field = |name: &str| {
        let part = parts.iter().find(|p| p.name == name).unwrap_or_else(|| panic!("no {name}"));
        String::from_utf8(part.bytes.clone()).unwrap()
    };
    assert_eq!(field("name"), "Support line");
    assert_eq!(field("description"), "Our own voice, calm");
    assert_eq!(field("remove_background_noise"), "false");
    let labels: Value = serde_json::from_str(&field("labels")).expect("labels is a JSON string");
    assert_eq!(labels, json!({"language": "es", "gender": "neutral", REFERENCE_LABEL: "vce_01JSTUB"}));
}

fn voice(id: &str, category: &str, labels: Value) -> Value {
    json!({"voice_id": id, "name": format!("Voice {id}"), "category": category, "labels": labels,
           "available_for_tiers": [], "high_quality_base_model_ids": []})
}

#[tokio::test]
async fn a_clone_is_found_by_its_reference_label_across_pages() {
    let (base, seen) = stub(|s| {
        let (voices, more) = match s.param("next_page_token") {
            None => (vec![voice("other", "cloned", json!({REFERENCE_LABEL: "vce_01JOTHER"}))], true),
            Some(_) => {
                (vec![voice("ours", "cloned", json!({REFERENCE_LABEL: "vce_01JSTUB", "language": "es"}))], false)
            }
        };
        json_answer(
            StatusCode::OK,
            json!({"voices": voices, "has_more": more, "total_count": 2, "next_page_token": "p2"}),
        )
    })
    .await;
    let client = ElevenLabs::new(&base, KEY).unwrap();
    assert_eq!(client.find_clone("vce_01JSTUB").await, Ok(Some("ours".to_string())));
    assert_eq!(client.find_clone("vce_01JNONE").await, Ok(None));

    let seen = seen.lock().unwrap();
    let first = &seen[0];
    assert_eq!((first.method.as_str(), first.path.as_str()), ("GET", "/v2/voices"));
    assert_eq!(first.param("category"), Some("cloned"));
    assert_eq!(first.param("search"), Some("vce_01JSTUB"));
    assert_eq!(first.param("page_size"), Some("100"));
    assert_eq!(seen[1].param("next_page_token"), Some("p2"));
}

#[tokio::test]
async fn the_library_keeps_stock_voices_and_stops_at_the_page_limit() {
    let (base, seen) = stub(|s| {
        let page: usize = s.param("next_page_token").map_or(0, |t| t.parse().unwrap());
        let voices = vec![
            voice(&format!("premade{page}"), "premade", json!({"gender": "male", "accent": "british"})),
            voice(&format!("cloned{page}"), "cloned", json!({})),
        ];
        // A vendor that always says there is more.
        json_answer(
            StatusCode::OK,
            json!({"voices": voices, "has_more": true, "total_count": 999, "next_page_token": (page + 1).to_string()}),
        )
    })
    .await;
    let client = ElevenLabs::new(&base, KEY).unwrap();
    let library = client.library().await.unwrap();
    assert_eq!(library.len(), MAX_PAGES);
    assert!(library.iter().all(|v| v.id.starts_with("premade") && v.gender == Gender::Male));
    assert_eq!(library[0].accent.as_deref(), Some("British"));
    let seen = seen.lock().unwrap();
    assert_eq!(seen.len(), MAX_PAGES);
    assert_eq!(seen[0].param("voice_type"), Some("default"));
}

#[tokio::test]
async fn previews_are_spoken_by_text_to_speech_and_must_be_audio() {
    let (base, seen) = stub(|s| match s.path.as_str() {
        "/v1/text-to-speech/good" => {
            ([("content-type", "audio/mpeg")], b"\xff\xfb\x90\x00mp3".to_vec()).into_response()
        }
        _ => json_answer(StatusCode::OK, json!({"not": "audio"})),
    })
    .await;
    let client = ElevenLabs::new(&base, KEY).unwrap();
    let audio = client.preview("good").await.unwrap();
    assert_eq!((audio.content_type.as_str(), audio.bytes.len()), ("audio/mpeg", 7));
    assert!(matches!(client.preview("json").await, Err(VoiceError::Unavailable(_))));

    let seen = seen.lock().unwrap();
    assert_eq!(seen[0].method, "POST");
    assert_eq!(seen[0].param("output_format"), Some("mp3_22050_32"));
    let body: Value = serde_json::from_slice(&seen[0].body).unwrap();
    assert!(body["text"].as_str().is_some_and(|t| !t.is_empty()), "{body}");
}

#[tokio::test]
async fn errors_map_onto_voice_errors_and_never_show_the_key() {
    let (base, _) = stub(|s| match (s.method.as_str(), s.path.as_str()) {
        ("DELETE", "/v1/voices/gone") => json_answer(StatusCode::NOT_FOUND, json!({"detail": "Not found"})),
        ("DELETE", "/v1/voices/missing") => json_answer(
            StatusCode::BAD_REQUEST,
            json!({"detail": {"status": "voice_does_not_exist", "message": "A voice with the voice_id missing does not exist."}}),
        ),
        ("DELETE", _) => json_answer(StatusCode::OK, json!({"status": "ok"})),
        ("POST", "/v1/voices/gone/edit") => json_answer(StatusCode::NOT_FOUND, json!({"detail": "Not found"})),
        ("POST", "/v1/voices/add") => json_answer(
            StatusCode::BAD_REQUEST,
            json!({"detail": {"status": "voice_limit_reached", "message": "You have reached your maximum amount of custom voices"}}),
        ),
        ("GET", "/v1/user") => json_answer(StatusCode::SERVICE_UNAVAILABLE, json!({"detail": "down"})),
        // Bigger than any JSON answer the client reads.
        ("GET", "/v2/voices") => (StatusCode::OK, vec![b' '; 9 * 1024 * 1024]).into_response(),
        _ => StatusCode::IM_A_TEAPOT.into_response(),
    })
    .await;
    let client = ElevenLabs::new(&base, KEY).unwrap();
    assert_eq!(client.delete_voice("gone").await, Ok(()));
    assert_eq!(client.delete_voice("missing").await, Ok(()));
    assert_eq!(client.delete_voice("there").await, Ok(()));
    assert_eq!(client.edit_voice("gone", "x", "").await, Err(VoiceError::NotFound));
    assert_eq!(
        client.clone_voice(&clone_request(&SAMPLES)).await,
        Err(VoiceError::Rejected("You have reached your maximum amount of custom voices".into()))
    );
    let errors = [
        client.verify().await.map(|_| ()),
        client.library().await.map(|_| ()),
        client.preview("teapot").await.map(|_| ()),
    ];
    assert!(matches!(&errors[0], Err(VoiceError::Unavailable(_))), "{errors:?}");
    assert!(matches!(&errors[1], Err(VoiceError::Unavailable(m)) if m.contains("longer than")), "{errors:?}");
    assert_eq!(errors[2], Err(VoiceError::Rejected("ElevenLabs refused the request (HTTP 418)".into())));

    // A refused key, and nobody listening.
    let wrong = ElevenLabs::new(&base, "xi-wrong-key").unwrap();
    assert_eq!(wrong.verify().await, Err(VoiceError::Unauthorized));
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let nobody = ElevenLabs::new(&format!("http://127.0.0.1:{port}"), KEY).unwrap();
    let unreachable = nobody.verify().await.map(|_| ());
    assert!(
        matches!(&unreachable, Err(VoiceError::Unavailable(m)) if m.contains("could not be reached")),
        "{unreachable:?}"
    );
    for error in errors.iter().chain([&unreachable]) {
        assert!(!format!("{error:?}").contains(KEY), "{error:?}");
    }
}
