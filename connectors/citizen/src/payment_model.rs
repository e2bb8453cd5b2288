//! What a payment is: where it stands, what it pays, and how a row reads.

use chrono::{DateTime, Utc};
use tokio_postgres::Row;

/// Where a payment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PaymentState {
    /// Started; the citizen is (or was) on the gateway's page.
    Pending,
    /// The callback came; the gateway is being asked.
    Verifying,
    /// Paid and recorded.
    Succeeded,
    /// Not paid (cancelled, refused, or the gateway could not take it).
    Failed,
    /// Paid, then given back (the request was no longer payable).
    Reversed,
}

impl PaymentState {
    /// The stored and API spelling.
    pub fn as_code(self) -> &'static str {
        match self {
            PaymentState::Pending => "PENDING",
            PaymentState::Verifying => "VERIFYING",
            PaymentState::Succeeded => "SUCCEEDED",
            PaymentState::Failed => "FAILED",
            PaymentState::Reversed => "REVERSED",
        }
    }

    fn from_code(code: &str) -> Self {
        match code {
            "VERIFYING" => PaymentState::Verifying,
            "SUCCEEDED" => PaymentState::Succeeded,
            "FAILED" => PaymentState::Failed,
            "REVERSED" => PaymentState::Reversed,
            _ => PaymentState::Pending,
        }
    }
}

/// What a payment pays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PaidFor {
    /// A service request's fee.
    Request {
        /// The request.
        id: i64,
        /// Its tracking code.
        tracking_code: String,
    },
    /// A final ruling's fine (whole or an instalment).
    Fine {
        /// The legacy ruling.
        ruling_id: i32,
        /// Its number, as printed on the dadnameh.
        ruling_number: String,
    },
}

impl PaidFor {
    /// What the citizen quotes: the request's tracking code or the ruling's number.
    pub fn label(&self) -> &str {
        match self {
            PaidFor::Request { tracking_code, .. } => tracking_code,
            PaidFor::Fine { ruling_number, .. } => ruling_number,
        }
    }

    /// The request, for a fee.
    pub fn request_id(&self) -> Option<i64> {
        match self {
            PaidFor::Request { id, .. } => Some(*id),
            PaidFor::Fine { .. } => None,
        }
    }

    /// The ruling, for a fine.
    pub fn ruling_id(&self) -> Option<i32> {
        match self {
            PaidFor::Fine { ruling_id, .. } => Some(*ruling_id),
            PaidFor::Request { .. } => None,
        }
    }
}

/// A payment.
#[derive(Debug, Clone, PartialEq)]
pub struct Payment {
    /// The order id sent to the gateway.
    pub id: i64,
    /// What it pays.
    pub paid_for: PaidFor,
    /// Whose it is (who may see it): the request's citizen, or the owner who paid a fine.
    pub citizen_national_id: String,
    /// The request's or the parcel's district (whose staff may see it).
    pub district: i16,
    /// The gateway (`behpardakht`).
    pub provider: String,
    /// The amount, fixed when it started.
    pub amount_rials: i64,
    /// Where it stands.
    pub state: PaymentState,
    /// The gateway's token (`RefId`).
    pub token: Option<String>,
    /// The gateway's reference of the money movement.
    pub sale_reference: Option<i64>,
    /// The card, masked.
    pub card_pan: Option<String>,
    /// Why it failed or was reversed.
    pub failure: Option<String>,
    /// Who started it.
    pub payer_subject: String,
    /// Started.
    pub created_at: DateTime<Utc>,
    /// Last changed.
    pub updated_at: DateTime<Utc>,
    /// Settled.
    pub settled_at: Option<DateTime<Utc>>,
    /// The receipt's public code, once paid.
    pub receipt_code: Option<String>,
}

pub(crate) const PAYMENT_COLUMNS: &str = "p.id, p.request_id, r.tracking_code, p.provider, p.amount_rials, p.state, p.token, \
    p.sale_reference, p.card_pan, p.failure, p.payer_subject, p.created_at, p.updated_at, p.settled_at, \
    COALESCE(r.citizen_national_id, p.payer_national_id), COALESCE(r.district, p.fine_district), p.receipt_code, \
    p.ruling_id, p.ruling_number";
pub(crate) const PAYMENT_FROM: &str =
    " FROM shahr.payments p LEFT JOIN shahr.requests r ON r.id = p.request_id";

pub(crate) fn payment_from_row(row: &Row) -> Payment {
    let paid_for = match (row.get::<_, Option<i64>>(1), row.get::<_, Option<i32>>(17)) {
        (Some(id), _) => PaidFor::Request {
            id,
            tracking_code: row.get::<_, Option<String>>(2).unwrap_or_default(),
        },
        (None, ruling_id) => PaidFor::Fine {
            ruling_id: ruling_id.unwrap_or_default(),
            ruling_number: row.get::<_, Option<String>>(18).unwrap_or_default(),
        },
    };
    Payment {
        id: row.get(0),
        paid_for,
        provider: row.get(3),
        amount_rials: row.get(4),
        state: PaymentState::from_code(row.get::<_, &str>(5)),
        token: row.get(6),
        sale_reference: row.get(7),
        card_pan: row.get(8),
        failure: row.get(9),
        payer_subject: row.get(10),
        created_at: row.get(11),
        updated_at: row.get(12),
        settled_at: row.get(13),
        citizen_national_id: row.get(14),
        district: row.get(15),
        receipt_code: row.get(16),
    }
}
