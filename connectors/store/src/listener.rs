//! A dedicated connection outside the pool: it holds session advisory locks (relay election)
//! and receives `LISTEN` notifications. Dropping it releases both.

use futures_util::{stream, StreamExt};
use tokio::sync::mpsc;
use tokio_postgres::{AsyncMessage, Client, NoTls};

use crate::{PgSettings, StoreError};

/// A connection with its notification stream.
pub struct DedicatedConnection {
    /// The client; statements run on the same session that holds the locks.
    pub client: Client,
    /// Channel names of received notifications. Closed when the connection ends.
    pub notifications: mpsc::UnboundedReceiver<String>,
}

/// Opens a dedicated connection (within the connect deadline) and drives it in a task.
pub async fn connect(settings: &PgSettings) -> Result<DedicatedConnection, StoreError> {
    let config = settings.pg_config()?;
    let (client, mut connection) =
        tokio::time::timeout(settings.connect_timeout, config.connect(NoTls))
            .await
            .map_err(|_| StoreError::Unavailable("connect deadline passed".into()))??;
    let (tx, rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut messages = stream::poll_fn(move |cx| connection.poll_message(cx));
        while let Some(message) = messages.next().await {
            match message {
                Ok(AsyncMessage::Notification(n)) => {
                    if tx.send(n.channel().to_owned()).is_err() {
                        break;
                    }
                }
                Ok(_) => {}
                Err(err) => {
                    tracing::debug!(error = %err, "dedicated connection ended");
                    break;
                }
            }
        }
    });
    Ok(DedicatedConnection {
        client,
        notifications: rx,
    })
}

impl DedicatedConnection {
    /// Tries to take the session advisory lock `key` without waiting.
    pub async fn try_lock(&self, key: i64) -> Result<bool, StoreError> {
        let row = self
            .client
            .query_one("SELECT pg_try_advisory_lock($1)", &[&key])
            .await?;
        Ok(row.get(0))
    }

    /// Subscribes this session to a notification channel.
    pub async fn listen(&self, channel: &str) -> Result<(), StoreError> {
        // Channel names are identifiers; ours are constants, quoted for safety.
        let quoted = format!("\"{}\"", channel.replace('"', "\"\""));
        self.client
            .batch_execute(&format!("LISTEN {quoted}"))
            .await?;
        Ok(())
    }
}
