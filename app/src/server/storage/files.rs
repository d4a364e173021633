//! The file store: where uploads' bytes are kept, chosen by `STORAGE_URL`.
//! A local directory (`file://uploads`, the default) serves one node; an
//! S3-compatible bucket (`s3://bucket`, configured by the usual `AWS_*`
//! variables) serves several. `object_store` speaks to both, so nothing
//! above this module knows which it is.
//!
//! Files are written in parts as they are read from disk, and read back as
//! streams of chunks (a byte range when asked), so no file is ever held
//! whole in memory.

use std::ops::Range;
use std::path::Path as FsPath;
use std::sync::Arc;

use futures::StreamExt;
use futures::stream::BoxStream;
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::local::LocalFileSystem;
use object_store::memory::InMemory;
use object_store::path::Path;
use object_store::{GetOptions, GetRange, ObjectStore, PutPayload, WriteMultipart};
use tokio::io::AsyncReadExt;

use crate::server::error::{Error, Result};

/// Files smaller than this are stored in one request; larger ones in parts
/// of this size (S3's smallest part is 5 MiB).
const PART: usize = 5 * 1024 * 1024;

/// Bytes read from disk at a time.
const READ: usize = 64 * 1024;

/// A file's bytes, as a stream of chunks.
pub type Chunks = BoxStream<'static, std::io::Result<bytes::Bytes>>;

#[derive(Clone)]
pub struct Files {
    store: Arc<dyn ObjectStore>,
    /// What every key is under: the directory, for a local store (made
    /// when the first file is written, so opening one creates nothing).
    prefix: Path,
    /// For logs and the README's recipes: where files go, without any
    /// credentials.
    shown: String,
}

impl std::fmt::Debug for Files {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Files").field("at", &self.shown).finish()
    }
}

impl Files {
    /// The store `STORAGE_URL` names: `file://<dir>` (relative to the
    /// working directory; made when first written to), `s3://<bucket>`
    /// (endpoint, region and credentials from `AWS_ENDPOINT`, `AWS_REGION`,
    /// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_ALLOW_HTTP`, or
    /// as the URL's query: `s3://files?endpoint=http://minio:9000&allow_http=true`),
    /// or `memory://` (gone when the process ends).
    pub fn open(url: &str) -> Result<Self> {
        let invalid = |why: String| Error::Internal(format!("STORAGE_URL: {why}"));
        let (scheme, rest) = url
            .split_once("://")
            .ok_or_else(|| invalid("expected file://<dir>, s3://<bucket> or memory://".into()))?;
        let mut prefix = Path::default();
        let store: Arc<dyn ObjectStore> = match scheme {
            "file" => {
                let dir = if rest.is_empty() { "uploads" } else { rest };
                let dir = std::path::absolute(dir).map_err(|e| invalid(format!("{dir}: {e}")))?;
                prefix = Path::from_absolute_path(&dir)
                    .map_err(|e| invalid(format!("{}: {e}", dir.display())))?;
                Arc::new(LocalFileSystem::new())
            }
            "s3" => {
                let (bucket, query) = rest.split_once('?').unwrap_or((rest, ""));
                let mut builder = AmazonS3Builder::from_env().with_url(format!("s3://{bucket}"));
                for pair in query.split('&').filter(|pair| !pair.is_empty()) {
                    let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
                    let key: AmazonS3ConfigKey = key
                        .parse()
                        .map_err(|_| invalid(format!("unknown S3 option {key}")))?;
                    builder = builder.with_config(key, value);
                }
                Arc::new(builder.build().map_err(|e| invalid(e.to_string()))?)
            }
            "memory" => Arc::new(InMemory::new()),
            other => return Err(invalid(format!("unknown scheme {other}://"))),
        };
        let shown = match scheme {
            "s3" => format!("s3://{}", rest.split(['/', '?']).next().unwrap_or_default()),
            _ => url.to_owned(),
        };
        Ok(Self {
            store,
            prefix,
            shown,
        })
    }

    pub fn shown(&self) -> &str {
        &self.shown
    }

    fn path(&self, key: &str) -> Path {
        self.prefix.child(key)
    }

    /// Stores the file at `path` (on local disk) under `key`, in parts.
    pub async fn put_file(&self, key: &str, path: &FsPath) -> Result<()> {
        let mut file = tokio::fs::File::open(path).await.map_err(io)?;
        let size = file.metadata().await.map_err(io)?.len();
        let key = self.path(key);
        if size < PART as u64 {
            let mut bytes = Vec::with_capacity(size as usize);
            file.read_to_end(&mut bytes).await.map_err(io)?;
            self.store
                .put(&key, PutPayload::from(bytes))
                .await
                .map_err(store)?;
            return Ok(());
        }
        let upload = self.store.put_multipart(&key).await.map_err(store)?;
        let mut writer = WriteMultipart::new_with_chunk_size(upload, PART);
        let mut buffer = vec![0; READ];
        loop {
            let read = match file.read(&mut buffer).await {
                Ok(0) => break,
                Ok(read) => read,
                Err(e) => {
                    let _ = writer.abort().await;
                    return Err(io(e));
                }
            };
            // At most two parts in flight: memory stays bounded.
            if let Err(e) = writer.wait_for_capacity(2).await {
                let _ = writer.abort().await;
                return Err(store(e));
            }
            writer.write(&buffer[..read]);
        }
        writer.finish().await.map_err(store)?;
        Ok(())
    }

    /// Stores `bytes` under `key` (a thumbnail: small).
    pub async fn put_bytes(&self, key: &str, bytes: Vec<u8>) -> Result<()> {
        self.store
            .put(&self.path(key), PutPayload::from(bytes))
            .await
            .map_err(store)?;
        Ok(())
    }

    /// The bytes of `key` in `range` (all of them when `None`), as a
    /// stream; `None` if there is no such file.
    pub async fn get(&self, key: &str, range: Option<Range<u64>>) -> Result<Option<Chunks>> {
        let options = GetOptions {
            range: range.map(GetRange::Bounded),
            ..GetOptions::default()
        };
        match self.store.get_opts(&self.path(key), options).await {
            Ok(found) => Ok(Some(
                found
                    .into_stream()
                    .map(|chunk| chunk.map_err(std::io::Error::other))
                    .boxed(),
            )),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(store(e)),
        }
    }

    /// Deletes `key`; a file already gone is no error.
    pub async fn delete(&self, key: &str) -> Result<()> {
        match self.store.delete(&self.path(key)).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(store(e)),
        }
    }
}

fn io(e: std::io::Error) -> Error {
    Error::Internal(format!("reading an upload: {e}"))
}

fn store(e: object_store::Error) -> Error {
    Error::Internal(format!("the file store: {e}"))
}
