//! Note 8: a notary needs a completion (*payan-kar*) or no-violation (*adam-e khalaf*)
//! certificate before a final transfer, and neither may be issued while the parcel has an
//! open violation case, an unpaid final fine (including one referred back for non-payment),
//! or a final demolition ruling not yet carried out.

use crate::{money::Rials, vocabulary::CaseStatus};

/// A violation case of the parcel, as the check needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CaseFacts {
    /// The case.
    pub case_id: i32,
    /// Where it stands.
    pub status: CaseStatus,
    /// True when its operative ruling is final and orders nothing to carry out (a dismissal):
    /// such a case is resolved even if the urbanism system never marked it closed.
    pub resolved_without_enforcement: bool,
}

/// What stands against a certificate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Blocker {
    /// A violation case still open.
    OpenCase {
        /// The case.
        case_id: i32,
        /// Its state.
        status: CaseStatus,
    },
    /// Final fines unpaid on the parcel.
    UnpaidFines(Rials),
    /// A final demolition ruling not carried out.
    DemolitionPending {
        /// The ruling.
        ruling_id: i32,
    },
}

impl Blocker {
    /// What a person reads, in English (the API's message).
    pub fn describe(&self) -> String {
        match self {
            Blocker::OpenCase { case_id, status } => {
                format!("violation case {case_id} is still open ({status})")
            }
            Blocker::UnpaidFines(r) => {
                format!("the parcel still owes {r} rials of final Article 100 fines")
            }
            Blocker::DemolitionPending { ruling_id } => {
                format!("the demolition ordered by ruling {ruling_id} has not been carried out")
            }
        }
    }

    /// The same in Persian.
    pub fn describe_fa(&self) -> String {
        match self {
            Blocker::OpenCase { case_id, .. } => format!(
                "پرونده تخلف شماره {} هنوز مفتوح است",
                crate::text::persian_digits(&case_id.to_string())
            ),
            Blocker::UnpaidFines(r) => format!(
                "جریمه قطعی پرداخت‌نشده به مبلغ {} ریال بر این ملک باقی است",
                crate::text::persian_digits(&r.grouped().replace(',', "٬"))
            ),
            Blocker::DemolitionPending { .. } => "حکم قطعی قلع بنا هنوز اجرا نشده است".to_owned(),
        }
    }
}

/// Everything that stands against issuing a certificate for a parcel with these cases,
/// unpaid final fines and final demolition rulings not carried out (the ids of those
/// rulings). Empty: the certificate may be issued.
pub fn blockers(
    cases: &[CaseFacts],
    unpaid_final_fines: Rials,
    demolitions_pending: &[i32],
) -> Vec<Blocker> {
    let mut out: Vec<Blocker> = cases
        .iter()
        .filter(|c| c.status != CaseStatus::Closed && !c.resolved_without_enforcement)
        .map(|c| Blocker::OpenCase {
            case_id: c.case_id,
            status: c.status,
        })
        .collect();
    if unpaid_final_fines > Rials::ZERO {
        out.push(Blocker::UnpaidFines(unpaid_final_fines));
    }
    out.extend(
        demolitions_pending
            .iter()
            .map(|r| Blocker::DemolitionPending { ruling_id: *r }),
    );
    out
}
