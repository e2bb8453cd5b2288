//! Where uploaded bytes live: a small trait, with a directory on disk as the embedded default.
//! An object store implements the same two calls.

use std::path::PathBuf;

use sha2::{Digest, Sha256};
use shahr_store::StoreError;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWriteExt};

/// What streaming a file into the store found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Streamed {
    /// Its size in bytes.
    pub size: u64,
    /// SHA-256 of its bytes, hex.
    pub sha256: String,
    /// Its first bytes (up to 16), for checking what kind of file it is.
    pub head: Vec<u8>,
}

/// Why a stream was not stored.
#[derive(Debug, thiserror::Error)]
pub enum StreamError {
    /// More than the limit arrived; nothing was kept.
    #[error("the file is larger than {0} bytes")]
    TooLarge(u64),
    /// The client's stream failed.
    #[error("the file could not be read: {0}")]
    Read(std::io::Error),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Stores and fetches uploaded files by key.
pub trait BlobStore: Send + Sync + 'static {
    /// Stores `bytes` under `key` (a UUID string), replacing nothing: keys are fresh.
    fn put(
        &self,
        key: &str,
        bytes: &[u8],
    ) -> impl std::future::Future<Output = Result<(), StoreError>> + Send;
    /// The bytes stored under `key`.
    fn get(
        &self,
        key: &str,
    ) -> impl std::future::Future<Output = Result<Vec<u8>, StoreError>> + Send;
    /// Streams `reader` in under `key`, a chunk at a time (never the whole file in memory),
    /// hashing as it goes; past `limit` bytes it stops and keeps nothing.
    fn put_stream(
        &self,
        key: &str,
        reader: impl AsyncRead + Unpin + Send,
        limit: u64,
    ) -> impl std::future::Future<Output = Result<Streamed, StreamError>> + Send;
    /// Removes what is stored under `key` (nothing when there is none).
    fn remove(&self, key: &str)
        -> impl std::future::Future<Output = Result<(), StoreError>> + Send;
}

/// Files in a directory, two levels of fan-out by key prefix.
#[derive(Debug, Clone)]
pub struct DirectoryBlobStore {
    root: PathBuf,
}

impl DirectoryBlobStore {
    /// A store rooted at `root` (created when missing).
    pub fn new(root: PathBuf) -> Self {
        Self { root }
    }

    fn path(&self, key: &str) -> Result<PathBuf, StoreError> {
        if key.len() < 4 || !key.chars().all(|c| c.is_ascii_hexdigit() || c == '-') {
            return Err(StoreError::Data(format!("bad blob key {key:?}")));
        }
        Ok(self.root.join(&key[..2]).join(key))
    }
}

impl BlobStore for DirectoryBlobStore {
    async fn put(&self, key: &str, bytes: &[u8]) -> Result<(), StoreError> {
        let path = self.path(key)?;
        let io = |e: std::io::Error| StoreError::Unavailable(format!("upload storage: {e}"));
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir).await.map_err(io)?;
        }
        let partial = path.with_extension("partial");
        tokio::fs::write(&partial, bytes).await.map_err(io)?;
        tokio::fs::rename(&partial, &path).await.map_err(io)
    }

    async fn put_stream(
        &self,
        key: &str,
        mut reader: impl AsyncRead + Unpin + Send,
        limit: u64,
    ) -> Result<Streamed, StreamError> {
        let path = self.path(key)?;
        let io = |e: std::io::Error| StoreError::Unavailable(format!("upload storage: {e}"));
        if let Some(dir) = path.parent() {
            tokio::fs::create_dir_all(dir).await.map_err(io)?;
        }
        let partial = path.with_extension("partial");
        let mut file = tokio::fs::File::create(&partial).await.map_err(io)?;
        let mut hash = Sha256::new();
        let mut head = Vec::with_capacity(16);
        let mut size = 0u64;
        let mut chunk = vec![0u8; 64 * 1024];
        let outcome = loop {
            let n = match reader.read(&mut chunk).await {
                Ok(0) => break Ok(()),
                Ok(n) => n,
                Err(e) => break Err(StreamError::Read(e)),
            };
            size += n as u64;
            if size > limit {
                break Err(StreamError::TooLarge(limit));
            }
            if head.len() < 16 {
                let take = (16 - head.len()).min(n);
                head.extend_from_slice(&chunk[..take]);
            }
            hash.update(&chunk[..n]);
            if let Err(e) = file.write_all(&chunk[..n]).await {
                break Err(StreamError::Store(io(e)));
            }
        };
        let outcome = match outcome {
            Ok(()) => file.flush().await.map_err(|e| StreamError::Store(io(e))),
            Err(e) => Err(e),
        };
        drop(file);
        if let Err(e) = outcome {
            let _ = tokio::fs::remove_file(&partial).await;
            return Err(e);
        }
        tokio::fs::rename(&partial, &path).await.map_err(io)?;
        Ok(Streamed {
            size,
            sha256: hex::encode(hash.finalize()),
            head,
        })
    }

    async fn remove(&self, key: &str) -> Result<(), StoreError> {
        let path = self.path(key)?;
        match tokio::fs::remove_file(&path).await {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(StoreError::Unavailable(format!("upload storage: {e}"))),
        }
    }

    async fn get(&self, key: &str) -> Result<Vec<u8>, StoreError> {
        let path = self.path(key)?;
        tokio::fs::read(&path)
            .await
            .map_err(|e| StoreError::Unavailable(format!("upload storage: {e}")))
    }
}
