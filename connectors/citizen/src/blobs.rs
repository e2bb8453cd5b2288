//! Where uploaded bytes live: a small trait, with a directory on disk as the embedded default.
//! An object store implements the same two calls.

use std::path::PathBuf;

use shahr_store::StoreError;

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

    async fn get(&self, key: &str) -> Result<Vec<u8>, StoreError> {
        let path = self.path(key)?;
        tokio::fs::read(&path)
            .await
            .map_err(|e| StoreError::Unavailable(format!("upload storage: {e}")))
    }
}
