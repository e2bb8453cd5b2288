//! Tick-batched data loading.
//!
//! async-graphql's `DataLoader` waits a fixed delay for keys to gather, so how many keys share
//! a statement depends on timing: a slow pass over a long list splits into several batches.
//! [`Batcher`] batches by poll pass instead, as JavaScript's dataloader batches per tick: the
//! first `load_one` of a batch yields once, every resolver polled in the same pass adds its
//! key, then one call of the [`Loader`] serves them all. Batches are deterministic (the number
//! of statements follows the query's shape, never the list's size or the machine's speed)
//! and add no fixed delay.

use std::{
    collections::HashMap,
    hash::Hash,
    sync::{Arc, Mutex},
};

use async_graphql::dataloader::Loader;
use tokio::sync::oneshot;

use super::error::{ApiError, ErrorCode};

type Reply<V> = oneshot::Sender<Result<Option<V>, ApiError>>;

struct Pending<K, V> {
    waiting: Vec<(K, Reply<V>)>,
    has_leader: bool,
}

/// Batches `load_one` calls of one poll pass into one call of `L`.
pub struct Batcher<K, L: Loader<K, Error = ApiError>>
where
    K: Send + Sync + Hash + Eq + Clone + 'static,
{
    loader: Arc<L>,
    pending: Arc<Mutex<Pending<K, L::Value>>>,
}

impl<K, L> Batcher<K, L>
where
    K: Send + Sync + Hash + Eq + Clone + 'static,
    L: Loader<K, Error = ApiError>,
{
    /// A batcher over `loader`.
    pub fn new(loader: L) -> Self {
        Self {
            loader: Arc::new(loader),
            pending: Arc::new(Mutex::new(Pending {
                waiting: Vec::new(),
                has_leader: false,
            })),
        }
    }

    /// Loads one key, sharing the statement with every key requested in the same pass.
    pub async fn load_one(&self, key: K) -> Result<Option<L::Value>, ApiError> {
        let (tx, rx) = oneshot::channel();
        let leads = {
            let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
            pending.waiting.push((key, tx));
            !std::mem::replace(&mut pending.has_leader, true)
        };
        if leads {
            // If this future is dropped while yielding, the guard still dispatches the batch.
            let guard = Dispatch {
                loader: self.loader.clone(),
                pending: self.pending.clone(),
            };
            tokio::task::yield_now().await;
            drop(guard);
        }
        rx.await.unwrap_or_else(|_| {
            Err(ApiError::new(
                ErrorCode::Internal,
                "a batched load was abandoned",
            ))
        })
    }
}

/// Takes the gathered keys and loads them in a task of their own when dropped.
struct Dispatch<K, L: Loader<K, Error = ApiError>>
where
    K: Send + Sync + Hash + Eq + Clone + 'static,
{
    loader: Arc<L>,
    pending: Arc<Mutex<Pending<K, L::Value>>>,
}

impl<K, L> Drop for Dispatch<K, L>
where
    K: Send + Sync + Hash + Eq + Clone + 'static,
    L: Loader<K, Error = ApiError>,
{
    fn drop(&mut self) {
        let batch = {
            let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
            pending.has_leader = false;
            std::mem::take(&mut pending.waiting)
        };
        let loader = self.loader.clone();
        // The load is traced under the span of the request that led the batch.
        tokio::spawn(tracing::Instrument::in_current_span(async move {
            let mut keys: Vec<K> = batch.iter().map(|(k, _)| k.clone()).collect();
            let mut seen = std::collections::HashSet::with_capacity(keys.len());
            keys.retain(|k| seen.insert(k.clone()));
            match loader.load(&keys).await {
                Ok(found) => {
                    let found: HashMap<K, L::Value> = found;
                    for (key, reply) in batch {
                        let _ = reply.send(Ok(found.get(&key).cloned()));
                    }
                }
                Err(err) => {
                    for (_, reply) in batch {
                        let _ = reply.send(Err(err.clone()));
                    }
                }
            }
        }));
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    struct Doubler(Arc<AtomicUsize>);

    impl Loader<u32> for Doubler {
        type Value = u32;
        type Error = ApiError;

        async fn load(&self, keys: &[u32]) -> Result<HashMap<u32, u32>, ApiError> {
            self.0.fetch_add(1, Ordering::SeqCst);
            Ok(keys
                .iter()
                .filter(|k| **k != 13)
                .map(|k| (*k, k * 2))
                .collect())
        }
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn keys_of_one_pass_share_one_load_however_slow_the_pass() {
        let calls = Arc::new(AtomicUsize::new(0));
        let batcher = Batcher::new(Doubler(calls.clone()));
        let loads = (0..500u32).map(|k| {
            let b = &batcher;
            async move {
                // Work between keys, as a slow resolver would do.
                std::thread::sleep(std::time::Duration::from_micros(20));
                b.load_one(k).await
            }
        });
        let results = futures_util::future::join_all(loads).await;
        assert_eq!(calls.load(Ordering::SeqCst), 1, "one load for 500 keys");
        assert_eq!(results[21].as_ref().ok().cloned().flatten(), Some(42));
        assert_eq!(
            results[13].as_ref().ok().cloned().flatten(),
            None,
            "missing keys are None"
        );
        let again = batcher.load_one(4).await.ok().flatten();
        assert_eq!(again, Some(8));
        assert_eq!(
            calls.load(Ordering::SeqCst),
            2,
            "a later pass is a new batch"
        );
    }
}
