//! `S3Store`: files in an S3 bucket, or on any S3-compatible server
//! (MinIO, moto, Ceph…), through the `object_store` crate. Several
//! processes configured with the same bucket share every file.
//!
//! The content type is stored as the object's `Content-Type`. A streamed
//! write buffers up to one part ([`PART_BYTES`]): a body that ends within
//! it is one plain `PUT`; a longer one becomes a multipart upload with at
//! most [`PARTS_IN_FLIGHT`] parts uploading at once, so a write holds about
//! `PART_BYTES × (PARTS_IN_FLIGHT + 1)` in memory whatever its length. A
//! failed stream aborts the multipart upload, so no partial object appears.

use std::sync::Arc;

use bytes::Bytes;
use futures_util::{StreamExt, TryStreamExt};
use object_store::aws::{AmazonS3, AmazonS3Builder};
use object_store::path::Path;
use object_store::{
    Attribute, Attributes, ObjectStore, ObjectStoreExt, PutMultipartOptions, PutOptions, PutPayload, PutPayloadMut,
    WriteMultipart,
};

use super::{ByteStream, FileStore, StorageError, StoredFile, StoredStream, validate_key};

/// Size of one multipart part: S3's smallest allowed part (all but the
/// last), which with its 10 000-part cap still allows 50 GiB objects.
pub const PART_BYTES: usize = 5 * 1024 * 1024;
/// Parts of one streamed write uploading at once.
pub const PARTS_IN_FLIGHT: usize = 2;

/// Where the bucket is and how to sign in. `Debug` hides the secret.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct S3Config {
    pub bucket: String,
    /// e.g. `us-east-1`; S3-compatible servers usually accept any.
    pub region: String,
    /// The server's URL for S3-compatible servers (`http://127.0.0.1:9000`);
    /// `None` for AWS itself. An `http://` endpoint is allowed as given.
    pub endpoint: Option<String>,
    /// Both or neither; with neither, the usual AWS sources apply
    /// (`AWS_*` environment variables, web identity, instance metadata).
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    /// `http://endpoint/bucket/key` rather than `http://bucket.endpoint/key`;
    /// what most local servers need.
    pub path_style: bool,
}

impl std::fmt::Debug for S3Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Config")
            .field("bucket", &self.bucket)
            .field("region", &self.region)
            .field("endpoint", &self.endpoint)
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &self.secret_access_key.as_ref().map(|_| "<redacted>"))
            .field("path_style", &self.path_style)
            .finish()
    }
}

/// Files in an S3 bucket (see the module header).
#[derive(Debug, Clone)]
pub struct S3Store {
    store: Arc<AmazonS3>,
}

impl S3Store {
    /// Builds the client; no request is made until the first operation.
    pub fn new(config: &S3Config) -> Result<Self, StorageError> {
        let mut builder = AmazonS3Builder::from_env()
            .with_bucket_name(&config.bucket)
            .with_region(&config.region)
            // Path style is the opposite of virtual-hosted style.
            .with_virtual_hosted_style_request(!config.path_style);
        if let Some(endpoint) = &config.endpoint {
            builder = builder.with_endpoint(endpoint).with_allow_http(endpoint.starts_with("http://"));
        }
        if let Some(key_id) = &config.access_key_id {
            builder = builder.with_access_key_id(key_id);
        }
        if let Some(secret) = &config.secret_access_key {
            builder = builder.with_secret_access_key(secret);
        }
        Ok(Self { store: Arc::new(builder.build()?) })
    }
}

fn path_for(key: &str) -> Result<Path, StorageError> {
    validate_key(key)?;
    // Valid keys are valid object_store paths (no empty or dot segments).
    Path::parse(key).map_err(|_| StorageError::InvalidKey(key.to_owned()))
}

fn content_type_attributes(content_type: &str) -> Attributes {
    let mut attributes = Attributes::new();
    attributes.insert(Attribute::ContentType, content_type.to_owned().into());
    attributes
}

fn content_type_of(attributes: &Attributes) -> String {
    attributes
        .get(&Attribute::ContentType)
        .map(|value| value.as_ref().to_owned())
        .unwrap_or_else(|| "application/octet-stream".to_owned())
}

fn missing_as_none<T>(result: object_store::Result<T>) -> Result<Option<T>, StorageError> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(object_store::Error::NotFound { .. }) => Ok(None),
        Err(err) => Err(err.into()),
    }
}

impl S3Store {
    /// Feeds `body` into a multipart upload that starts with `first`.
    async fn put_multipart(
        &self,
        path: &Path,
        first: PutPayloadMut,
        mut body: ByteStream,
        content_type: &str,
    ) -> Result<u64, StorageError> {
        let opts = PutMultipartOptions { attributes: content_type_attributes(content_type), ..Default::default() };
        let upload = self.store.put_multipart_opts(path, opts).await?;
        let mut written = first.content_length() as u64;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, PART_BYTES);
        for chunk in first.freeze() {
            writer.put(chunk);
        }
        let fed = async {
            while let Some(chunk) = body.next().await {
                let chunk = chunk.map_err(StorageError::Source)?;
                // Back-pressure: wait for a part to finish before taking more.
                writer.wait_for_capacity(PARTS_IN_FLIGHT).await?;
                written += chunk.len() as u64;
                writer.put(chunk);
            }
            Ok::<(), StorageError>(())
        }
        .await;
        match fed {
            Ok(()) => {
                writer.finish().await?;
                Ok(written)
            }
            Err(err) => {
                // Without the abort the parts would linger (and be billed)
                // until a bucket lifecycle rule removed them.
                if let Err(abort) = writer.abort().await {
                    tracing::warn!(error = %abort, %path, "could not abort a multipart upload");
                }
                Err(err)
            }
        }
    }
}

#[async_trait::async_trait]
impl FileStore for S3Store {
    async fn put(&self, key: &str, bytes: Bytes, content_type: &str) -> Result<(), StorageError> {
        let path = path_for(key)?;
        let opts = PutOptions { attributes: content_type_attributes(content_type), ..Default::default() };
        self.store.put_opts(&path, PutPayload::from(bytes), opts).await?;
        Ok(())
    }

    async fn put_stream(&self, key: &str, mut body: ByteStream, content_type: &str) -> Result<u64, StorageError> {
        let path = path_for(key)?;
        // Buffer up to one part: a short body is one PUT, not a multipart
        // upload of one part (three requests).
        let mut first = PutPayloadMut::new();
        while first.content_length() < PART_BYTES {
            match body.next().await {
                Some(chunk) => first.push(chunk.map_err(StorageError::Source)?),
                None => {
                    let written = first.content_length() as u64;
                    let opts = PutOptions { attributes: content_type_attributes(content_type), ..Default::default() };
                    self.store.put_opts(&path, first.freeze(), opts).await?;
                    return Ok(written);
                }
            }
        }
        self.put_multipart(&path, first, body, content_type).await
    }

    async fn get(&self, key: &str) -> Result<Option<StoredFile>, StorageError> {
        let path = path_for(key)?;
        let Some(result) = missing_as_none(self.store.get(&path).await)? else {
            return Ok(None);
        };
        let content_type = content_type_of(&result.attributes);
        let bytes = result.bytes().await?;
        Ok(Some(StoredFile { bytes, content_type }))
    }

    async fn get_stream(&self, key: &str) -> Result<Option<StoredStream>, StorageError> {
        let path = path_for(key)?;
        let Some(result) = missing_as_none(self.store.get(&path).await)? else {
            return Ok(None);
        };
        let content_type = content_type_of(&result.attributes);
        let size = result.meta.size;
        let stream = result.into_stream().map_err(std::io::Error::other).boxed();
        Ok(Some(StoredStream { content_type, size, stream }))
    }

    async fn delete(&self, key: &str) -> Result<(), StorageError> {
        let path = path_for(key)?;
        missing_as_none(self.store.delete(&path).await)?;
        Ok(())
    }

    async fn delete_prefix(&self, prefix: &str) -> Result<(), StorageError> {
        let path = path_for(prefix)?;
        // object_store lists whole segments under `prefix/`: `logo` does not
        // match `logos/…`, and a key equal to the prefix is not listed.
        let locations = self.store.list(Some(&path)).map_ok(|meta| meta.location).boxed();
        let mut deleted = self.store.delete_stream(locations);
        while let Some(result) = deleted.next().await {
            missing_as_none(result)?;
        }
        Ok(())
    }
}
