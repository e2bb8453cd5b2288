//! Mutations after a ruling is issued: legal service by hand, objections, fine payments,
//! referral for non-payment, and enforcement records.

use async_graphql::{Context, Object};
use chrono::Utc;
use shahr_domain::{jalali::tehran_today, parties::Party, vocabulary::Objector};

use super::{
    check_text,
    commission::hand_service,
    inputs::*,
    objects::{party_of, Enforcement, FinePayment},
    ruling_id, ruling_payload,
};
use crate::{
    graphql::{
        access::signed_in,
        context::ContextExt,
        error::usecase_error,
        scalars::{jalali, Date, Rial},
    },
    usecases::{enforcement::Enforce, objection::FileObjection},
};

/// Mutations after a ruling.
#[derive(Default)]
pub struct AfterRulingMutation;

#[Object]
impl AfterRulingMutation {
    /// Records the legal service of a ruling on one party, done by hand (in person, to a
    /// relative or employee, affixed, to a legal entity's representative). Each party's
    /// objection window runs from their own first service; the first service on anyone moves
    /// the case into its objection window. Urbanism staff of the parcel's district and the
    /// secretary of the ruling's commission.
    async fn record_notification(
        &self,
        ctx: &Context<'_>,
        input: RecordNotificationInput,
    ) -> async_graphql::Result<RecordNotificationPayload> {
        let p = signed_in(ctx.viewer())?;
        let ruling = ruling_id(&input.ruling)?;
        let key = crate::graphql::idempotency::arguments_key(
            ctx,
            "recordNotification",
            input.idempotency_key.as_deref(),
        )?;
        let service = hand_service(
            "input",
            ServiceInput {
                party: input.party,
                mode: input.mode,
                receiver_name: input.receiver_name,
                receiver_national_id: input.receiver_national_id,
                agent: input.agent,
                served_at: input.served_at,
            },
        )?;
        let served = ctx
            .deps()
            .article100
            .serve_ruling(p, ruling, service, key.as_ref())
            .await
            .map_err(|e| usecase_error(e, "input"))?;
        Ok(RecordNotificationPayload {
            ruling: ruling_payload(ctx, ruling).await?,
            party_id: served.party.key(),
            served_on: Date(served.served_on),
            objection_deadline: served.deadline.map(Date),
            objection_deadline_jalali: served.deadline.map(jalali),
            first_service: served.first_for_party,
        })
    }

    /// Objects to a served primary ruling: an owner of the parcel for themself (received when
    /// filed), or urbanism staff of its district for the municipality, or entering an owner's
    /// paper letter with the day it was received. Each objection is judged against its
    /// party's own window: the first in time sends the case to appeal and later ones in time
    /// join that appeal; a late one is recorded and flagged (`inTime: false`).
    async fn file_objection(
        &self,
        ctx: &Context<'_>,
        input: FileObjectionInput,
    ) -> async_graphql::Result<FileObjectionPayload> {
        let p = signed_in(ctx.viewer())?;
        let ruling = ruling_id(&input.ruling)?;
        let statement = check_text(
            "input.statement",
            &input.statement,
            shahr_domain::session::MAX_TEXT_CHARS,
        )?;
        let on_behalf_of = input
            .on_behalf_of
            .as_deref()
            .map(|id| party_of("input.onBehalfOf", id))
            .transpose()?;
        let received_on = input.received_on.map(|d| d.0);
        let idempotency = crate::graphql::idempotency::command_key(
            ctx,
            "fileObjection",
            input.idempotency_key.as_deref(),
            &(ruling, &statement, received_on, &input.on_behalf_of),
        )?;
        let objected = ctx
            .deps()
            .article100
            .file_objection(
                p,
                FileObjection {
                    ruling_id: ruling,
                    statement,
                    received_on,
                    on_behalf_of,
                    idempotency,
                },
            )
            .await
            .map_err(|e| usecase_error(e, "input"))?;
        Ok(FileObjectionPayload {
            ruling: ruling_payload(ctx, ruling).await?,
            objector: if objected.party == Party::Municipality {
                Objector::Municipality
            } else {
                Objector::Owner
            },
            party_id: objected.party.key(),
            in_time: objected.in_time,
            joined_appeal: objected.joined_appeal,
            received_on: Date(objected.received_on),
            deadline: objected.last_day.map(Date),
            deadline_jalali: objected.last_day.map(jalali),
        })
    }

    /// Records a payment (or an instalment) of the final fine of the ruling that stands (not
    /// one replaced on appeal). The first payment starts enforcement; once the fine is paid
    /// and everything else ordered is carried out the case closes, unblocking the parcel's
    /// certificates. Urbanism staff of the parcel's district.
    async fn record_fine_payment(
        &self,
        ctx: &Context<'_>,
        input: RecordFinePaymentInput,
    ) -> async_graphql::Result<RecordFinePaymentPayload> {
        let p = signed_in(ctx.viewer())?;
        let ruling = ruling_id(&input.ruling)?;
        let reference = check_text("input.reference", &input.reference, 100)?;
        let paid_on = input
            .paid_on
            .map_or_else(|| tehran_today(Utc::now()), |d| d.0);
        let paid = ctx
            .deps()
            .article100
            .record_payment(p, ruling, input.amount.0, &reference, paid_on)
            .await
            .map_err(|e| usecase_error(e, "input"))?;
        Ok(RecordFinePaymentPayload {
            ruling: ruling_payload(ctx, ruling).await?,
            payment: FinePayment(paid.payment),
            paid: Rial(paid.paid_rials),
            outstanding: Rial((paid.fine_rials - paid.paid_rials).max(0)),
            created: paid.created,
        })
    }

    /// Sends the case of an unpaid final fine (the ruling that stands) back to the commission
    /// that imposed it, for non-payment (Notes 2 and 3); that commission may then order
    /// demolition. The fine stays owed on the parcel until paid or replaced by a new ruling.
    /// Urbanism staff of the parcel's district.
    async fn refer_for_non_payment(
        &self,
        ctx: &Context<'_>,
        input: RulingInput,
    ) -> async_graphql::Result<CaseStepPayload> {
        let p = signed_in(ctx.viewer())?;
        let ruling = ruling_id(&input.ruling)?;
        let key = crate::graphql::idempotency::arguments_key(
            ctx,
            "referForNonPayment",
            input.idempotency_key.as_deref(),
        )?;
        let status = ctx
            .deps()
            .article100
            .refer_for_non_payment(p, ruling, key.as_ref())
            .await
            .map_err(|e| usecase_error(e, "input"))?;
        Ok(CaseStepPayload {
            ruling: ruling_payload(ctx, ruling).await?,
            case_status: status,
        })
    }

    /// Records how a final ruling was carried out: demolition by the owner, or by the
    /// municipality with its cost as the owner's debt; use restored; business closed. With
    /// the date, the officer and the evidence. Once everything the ruling ordered is done and
    /// its fine paid, the case closes. Urbanism staff of the parcel's district.
    async fn record_enforcement(
        &self,
        ctx: &Context<'_>,
        input: RecordEnforcementInput,
    ) -> async_graphql::Result<RecordEnforcementPayload> {
        let p = signed_in(ctx.viewer())?;
        let ruling = ruling_id(&input.ruling)?;
        let key = crate::graphql::idempotency::arguments_key(
            ctx,
            "recordEnforcement",
            input.idempotency_key.as_deref(),
        )?;
        let (record, status) = ctx
            .deps()
            .article100
            .record_enforcement(
                p,
                Enforce {
                    ruling_id: ruling,
                    action: input.action,
                    done_on: input.done_on.0,
                    officer: check_text("input.officer", &input.officer, 200)?,
                    evidence: check_text("input.evidence", &input.evidence, 2000)?,
                    cost_rials: input.cost.map(|c| c.0),
                },
                key.as_ref(),
            )
            .await
            .map_err(|e| usecase_error(e, "input"))?;
        Ok(RecordEnforcementPayload {
            ruling: ruling_payload(ctx, ruling).await?,
            enforcement: Enforcement(record),
            case_status: status,
        })
    }
}
