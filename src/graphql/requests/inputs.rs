//! Inputs and payloads of citizen-sourcing mutations.

use async_graphql::{InputObject, Json, SimpleObject, ID};

use super::types::ServiceRequest;
use crate::graphql::scalars::Rial;

/// What to file.
#[derive(InputObject)]
pub struct SubmitServiceRequestInput {
    /// The service's `code` from the catalogue.
    pub service_code: String,
    /// The parcel's renovation code; it must be registered to you in the urbanism system.
    pub renovation_code: String,
    /// Answers to the service's form.
    pub form: Option<Json<serde_json::Value>>,
    /// Any unique string (e.g. a UUID) so that a retried submission files only once; the
    /// `Idempotency-Key` HTTP header does the same.
    pub idempotency_key: Option<String>,
}

/// The result of `submitServiceRequest`.
#[derive(SimpleObject)]
pub struct SubmitServiceRequestPayload {
    /// The request.
    pub request: ServiceRequest,
    /// False when this was a retry and the earlier request is returned.
    pub created: bool,
}

/// Names a request and says why.
#[derive(InputObject)]
pub struct ServiceRequestMoveInput {
    /// The request's tracking code.
    pub tracking_code: String,
    /// A comment kept in the request's history (required for rejections).
    pub comment: Option<String>,
    /// Moving a request on to `PAID`: the payment, for exactly its fee.
    pub payment: Option<RequestPaymentInput>,
    /// Makes retries safe: a retry with the same key (and the same input) answers with the
    /// first attempt's result and changes nothing again; the `Idempotency-Key` header works
    /// too. At most 128 characters.
    pub idempotency_key: Option<String>,
}

/// The payment of a request's fee.
#[derive(InputObject)]
pub struct RequestPaymentInput {
    /// The bank's or payment gateway's reference (each pays one request).
    pub reference: String,
    /// The amount paid: the request's fee.
    pub amount: Rial,
}

/// Assigns a request.
#[derive(InputObject)]
pub struct AssignServiceRequestInput {
    /// The request's tracking code.
    pub tracking_code: String,
    /// The staff member's sign-in subject.
    pub assignee: String,
    /// Makes retries safe, as for the other moves (or the `Idempotency-Key` header).
    pub idempotency_key: Option<String>,
}

/// Attaches an uploaded file to a request.
#[derive(InputObject)]
pub struct AttachDocumentInput {
    /// The request's tracking code.
    pub tracking_code: String,
    /// The `uploadId` that `POST /uploads` returned.
    pub upload_id: ID,
    /// Which of the service's `requiredDocuments` this file is (its `code`).
    pub document_code: String,
}

/// The changed request.
#[derive(SimpleObject)]
pub struct ServiceRequestPayload {
    /// The request after the change.
    pub request: ServiceRequest,
}
