//! The urbanism side of paying a final fine online: what an owner owes now (the whole
//! outstanding or the city's next instalment, never an amount from the client), whether a
//! payment still fits before its money is settled, and recording it once by the gateway's
//! reference (the case moves to enforcement, and closes when everything is done).

use shahr_domain::{
    actors::Actor,
    enforcement::{may_pay, online_fine_due, FinePart},
    money::Rials,
};

use super::{enforcement::Paid, policy, today, Article100, UseCaseError};
use crate::auth::Principal;

/// A fine's payment as the municipality decided it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FineDue {
    /// The legacy ruling.
    pub ruling_id: i32,
    /// Its number.
    pub ruling_number: String,
    /// The fined parcel's district.
    pub district: i16,
    /// What this payment is for.
    pub amount: Rials,
}

impl Article100 {
    /// What the owner `p` pays now online for `part` of the ruling's fine. Anyone who may not
    /// see the ruling's case is answered as if it did not exist; staff who may see it are
    /// told only owners pay online (staff record bank payments with `recordFinePayment`).
    pub async fn online_fine_due(
        &self,
        p: &Principal,
        ruling_id: i32,
        part: FinePart,
    ) -> Result<FineDue, UseCaseError> {
        let mut client = self.db.pool().get().await?;
        // A read under the case's lock, so the standing is consistent; nothing is written.
        let tx = client.transaction().await?;
        let (facts, locked) = self.lock_ruling_case(&*tx, ruling_id).await?;
        policy::decide(
            p,
            &locked,
            policy::is_owner(p, &locked),
            "only an owner of the parcel pays its fine online",
        )?;
        let standing = self.standing_in(&*tx, &locked, ruling_id).await?;
        tx.rollback().await?;
        let amount = online_fine_due(&standing, self.rules.fine_instalments, part)
            .map_err(|e| super::enforcement::refusal(e, locked.case.status))?;
        Ok(FineDue {
            ruling_id,
            ruling_number: facts.number,
            district: locked.district.unwrap_or_default(),
            amount,
        })
    }

    /// True when `amount` can still be paid against the ruling, or was recorded already under
    /// `reference` (checked after the gateway verified a payment and before its money is
    /// settled; recording checks again).
    pub async fn fine_still_due(
        &self,
        ruling_id: i32,
        amount: i64,
        reference: &str,
    ) -> Result<bool, UseCaseError> {
        let mut client = self.db.pool().get().await?;
        if let Some(recorded) = self.db.payment_by_reference(&**client, reference).await? {
            return Ok(recorded.ruling_id == ruling_id && recorded.amount_rials == amount);
        }
        let tx = client.transaction().await?;
        let locked = match self.lock_ruling_case(&*tx, ruling_id).await {
            Ok((_, locked)) => locked,
            Err(UseCaseError::NotFound) => return Ok(false),
            Err(e) => return Err(e),
        };
        let standing = self.standing_in(&*tx, &locked, ruling_id).await?;
        tx.rollback().await?;
        let amount = Rials::new(amount).unwrap_or_default();
        Ok(may_pay(&standing, amount).is_ok())
    }

    /// Records a verified, settled online payment of a fine, once per gateway reference (a
    /// retried recording answers with the first). The actor is the payment gateway.
    pub async fn record_online_fine_payment(
        &self,
        ruling_id: i32,
        amount_rials: i64,
        reference: &str,
        actor: &Actor,
    ) -> Result<Paid, UseCaseError> {
        let amount = Rials::new(amount_rials)
            .map_err(|e| UseCaseError::Store(shahr_store::StoreError::Data(e.to_string())))?;
        let mut client = self.db.pool().get().await?;
        let tx = client.transaction().await?;
        let (_, mut locked) = self.lock_ruling_case(&*tx, ruling_id).await?;
        let paid = self
            .pay_locked(
                &*tx,
                &mut locked,
                ruling_id,
                (amount, today()),
                reference,
                actor,
            )
            .await?;
        tx.commit().await?;
        Ok(paid)
    }
}
