//! `S3Store` against a real S3-compatible server on loopback (moto's
//! server mode, see `support/moto.rs`): the same contract as the local
//! store, a streamed 64 MiB upload through the multipart path with flat
//! memory, and an abandoned stream that leaves nothing behind.
#![allow(clippy::unwrap_used)]

#[path = "support/moto.rs"]
mod moto;

use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use bytes::Bytes;
use futures_util::StreamExt;
use moto::MotoServer;
use object_store::ObjectStoreExt;
use switchboard_providers::storage::{ByteStream, FileStore, S3Config, S3Store, StorageError};

const BUCKET: &str = "switchboard-test";
const MIB: usize = 1024 * 1024;

fn config(moto: &MotoServer) -> S3Config {
    S3Config {
        bucket: BUCKET.into(),
        region: moto::REGION.into(),
        endpoint: Some(moto.endpoint()),
        access_key_id: Some(moto::ACCESS_KEY_ID.into()),
        secret_access_key: Some(moto::SECRET_ACCESS_KEY.into()),
        path_style: true,
    }
}

/// moto with a fresh bucket and a store on it; `None` when moto is missing.
fn setup() -> Option<(MotoServer, S3Store)> {
    let moto = MotoServer::start()?;
    moto.create_bucket(BUCKET);
    let store = S3Store::new(&config(&moto)).unwrap();
    Some((moto, store))
}

/// `total` bytes of a fixed pattern in `chunk`-byte pieces, made as they
/// are read (never all in memory); `made` counts what was handed out.
fn generated(total: usize, chunk: usize, made: Arc<AtomicU64>) -> ByteStream {
    let pattern: Bytes = (0..chunk).map(|i| (i * 7 % 251) as u8).collect::<Vec<u8>>().into();
    futures_util::stream::iter((0..total).step_by(chunk))
        .map(move |start| {
            let piece = pattern.slice(..chunk.min(total - start));
            made.fetch_add(piece.len() as u64, Ordering::Relaxed);
            Ok::<Bytes, io::Error>(piece)
        })
        .boxed()
}

fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[tokio::test]
async fn put_get_delete_round_trip() {
    let Some((moto, store)) = setup() else { return };
    let key = "workspaces/ws_01ABC/logo/3/256.png";
    store.put(key, Bytes::from_static(b"\x89PNG..."), "image/png").await.unwrap();
    let file = store.get(key).await.unwrap().unwrap();
    assert_eq!(file.bytes, Bytes::from_static(b"\x89PNG..."));
    assert_eq!(file.content_type, "image/png");

    let streamed = store.get_stream(key).await.unwrap().unwrap();
    assert_eq!((streamed.size, streamed.content_type.as_str()), (7, "image/png"));
    let chunks: Vec<Bytes> = streamed.stream.map(|c| c.unwrap()).collect().await;
    assert_eq!(chunks.concat(), b"\x89PNG...");

    store.put(key, Bytes::from_static(b"new"), "image/webp").await.unwrap();
    let file = store.get(key).await.unwrap().unwrap();
    assert_eq!((file.bytes.as_ref(), file.content_type.as_str()), (&b"new"[..], "image/webp"));

    store.delete(key).await.unwrap();
    assert_eq!(store.get(key).await.unwrap(), None);
    assert!(store.get_stream(key).await.unwrap().is_none());
    store.delete(key).await.unwrap();
    store.delete("never/stored.png").await.unwrap();
    assert!(moto.list_keys(BUCKET).is_empty(), "{:?}", moto.list_keys(BUCKET));
}

#[tokio::test]
async fn delete_prefix_removes_every_key_under_it_and_nothing_else() {
    let Some((moto, store)) = setup() else { return };
    for key in [
        "workspaces/ws_1/logo/3/256.png",
        "workspaces/ws_1/logo/3/64.png",
        "workspaces/ws_1/logo/4/256.png",
        "workspaces/ws_1/logos/1/256.png",
        "workspaces/ws_1/logo",
        "workspaces/ws_2/logo/3/256.png",
    ] {
        store.put(key, Bytes::from_static(b"png"), "image/png").await.unwrap();
    }
    store.delete_prefix("workspaces/ws_1/logo").await.unwrap();
    store.delete_prefix("workspaces/ws_none").await.unwrap();

    let mut left = moto.list_keys(BUCKET);
    left.sort();
    assert_eq!(left, ["workspaces/ws_1/logo", "workspaces/ws_1/logos/1/256.png", "workspaces/ws_2/logo/3/256.png"]);
}

#[tokio::test]
async fn invalid_keys_are_refused_before_any_request() {
    let Some((moto, store)) = setup() else { return };
    for key in ["", "../x", "a//b", "a/./b", "a/.hidden", "a b", "a/b.png.meta"] {
        let invalid = |r: Result<(), StorageError>| matches!(r, Err(StorageError::InvalidKey(_)));
        assert!(invalid(store.put(key, Bytes::from_static(b"x"), "text/plain").await), "put {key:?}");
        assert!(matches!(store.get(key).await, Err(StorageError::InvalidKey(_))), "get {key:?}");
        let stream = generated(1, 1, Arc::default());
        assert!(matches!(store.put_stream(key, stream, "text/plain").await, Err(StorageError::InvalidKey(_))));
        assert!(invalid(store.delete_prefix(key).await), "delete_prefix {key:?}");
    }
    assert!(moto.list_keys(BUCKET).is_empty());
}

#[tokio::test]
async fn a_short_stream_is_stored_with_one_put() {
    let Some((moto, store)) = setup() else { return };
    let written = store.put_stream("imports/small.csv", generated(1000, 64, Arc::default()), "text/csv").await.unwrap();
    assert_eq!(written, 1000);
    let file = store.get("imports/small.csv").await.unwrap().unwrap();
    assert_eq!((file.bytes.len(), file.content_type.as_str()), (1000, "text/csv"));
    assert_eq!(moto.open_multipart_uploads(BUCKET), 0);
}

#[tokio::test]
async fn a_64_mib_stream_goes_up_in_parts_with_flat_memory() {
    let Some((moto, store)) = setup() else { return };
    let total = 64 * MIB;
    let made = Arc::new(AtomicU64::new(0));
    let before = peak_rss_kib();
    let written = store.put_stream("imports/big.bin", generated(total, 256 * 1024, made.clone()), "text/csv").await;
    let written = written.unwrap_or_else(|e| panic!("{e}\n{}", moto.log()));
    let grew_mib = (peak_rss_kib() - before) / 1024;
    assert_eq!(written, total as u64);
    assert_eq!(made.load(Ordering::Relaxed), total as u64);
    // Parts of 5 MiB, two in flight plus one filling: about 15 MiB, not 64.
    assert!(grew_mib < 40, "peak RSS grew by {grew_mib} MiB while streaming 64 MiB");

    // A multipart object's ETag ends in `-<parts>`: 64 MiB / 5 MiB = 13.
    let raw = object_store::aws::AmazonS3Builder::new()
        .with_bucket_name(BUCKET)
        .with_region(moto::REGION)
        .with_endpoint(moto.endpoint())
        .with_allow_http(true)
        .with_access_key_id(moto::ACCESS_KEY_ID)
        .with_secret_access_key(moto::SECRET_ACCESS_KEY)
        .build()
        .unwrap();
    let head = raw.head(&"imports/big.bin".into()).await.unwrap();
    assert!(head.e_tag.as_deref().unwrap_or("").trim_matches('"').ends_with("-13"), "{:?}", head.e_tag);

    // Read back as a stream: same length, same bytes.
    let read = store.get_stream("imports/big.bin").await.unwrap().unwrap();
    assert_eq!((read.size, read.content_type.as_str()), (total as u64, "text/csv"));
    let expected = {
        let mut crc = crc32fast::Hasher::new();
        let mut again = generated(total, 256 * 1024, Arc::default());
        while let Some(chunk) = again.next().await {
            crc.update(&chunk.unwrap());
        }
        crc.finalize()
    };
    let mut crc = crc32fast::Hasher::new();
    let mut length = 0;
    let mut stream = read.stream;
    while let Some(chunk) = stream.next().await {
        let chunk = chunk.unwrap();
        length += chunk.len();
        crc.update(&chunk);
    }
    assert_eq!((length, crc.finalize()), (total, expected));
    assert_eq!(moto.open_multipart_uploads(BUCKET), 0);
}

#[tokio::test]
async fn a_failing_stream_stores_nothing_and_aborts_the_upload() {
    let Some((moto, store)) = setup() else { return };
    // 12 MiB (two parts started) and then the client goes away.
    let failing = generated(12 * MIB, MIB, Arc::default())
        .chain(futures_util::stream::once(async { Err(io::Error::other("client went away")) }))
        .boxed();
    let err = store.put_stream("imports/cut.bin", failing, "text/csv").await.unwrap_err();
    assert!(matches!(err, StorageError::Source(_)), "{err:?}");
    assert_eq!(store.get("imports/cut.bin").await.unwrap(), None);
    assert!(moto.list_keys(BUCKET).is_empty());
    assert_eq!(moto.open_multipart_uploads(BUCKET), 0, "the multipart upload was left open");
}
