//! Idempotency keys in the Article 100 commands: claimed first in the command's transaction,
//! completed with the command's answer (as JSON) just before it commits, so a retry with the
//! same key gets that answer and changes nothing again.

use serde::{de::DeserializeOwned, Serialize};
use shahr_store::{
    idempotency::{self, Claim, Key},
    StoreError,
};
use tokio_postgres::GenericClient;

use super::UseCaseError;

/// The kept answer when the command was carried out already; `None` to carry it out.
pub(super) async fn claim(
    tx: &impl GenericClient,
    key: Option<&Key>,
) -> Result<Option<String>, UseCaseError> {
    let Some(key) = key else {
        return Ok(None);
    };
    match idempotency::claim(tx, key).await? {
        Claim::Fresh => Ok(None),
        Claim::Done(answer) => Ok(Some(answer)),
        Claim::Reused => Err(UseCaseError::IdempotencyKeyReused(
            "this idempotency key was used for another command".into(),
        )),
    }
}

/// Keeps `answer` under the key, in the command's transaction.
pub(super) async fn complete(
    tx: &impl GenericClient,
    key: Option<&Key>,
    answer: &impl Serialize,
) -> Result<(), UseCaseError> {
    let Some(key) = key else {
        return Ok(());
    };
    let text = serde_json::to_string(answer)
        .map_err(|e| StoreError::Data(format!("an answer that cannot be kept: {e}")))?;
    idempotency::complete(tx, key, &text).await?;
    Ok(())
}

/// A kept answer.
pub(super) fn decode<T: DeserializeOwned>(text: &str) -> Result<T, UseCaseError> {
    serde_json::from_str(text).map_err(|e| {
        UseCaseError::Store(StoreError::Data(format!(
            "an idempotency record that cannot be read: {e}"
        )))
    })
}
