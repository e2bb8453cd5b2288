//! What the dadnameh needs, read before the issuing transaction (through the pool, and the
//! city's GIS service with its own deadline), and how it is put together.

use shahr_domain::{
    jalali::JalaliDate,
    sealed::{DraftContent, Signer},
    session::Article100Rules,
};
use shahr_urbanism::{
    cases::issue::Reservation,
    records::{Ownership, Parcel, ViolationCase, ViolationItem},
    Visibility,
};

use super::super::{Article100, UseCaseError};
use crate::documents::{
    dadnameh, kroki,
    letterhead::Letterhead,
    seal::{self, SealSeed},
};

/// The urbanism system's facts for a document.
pub(super) struct DocumentInputs {
    pub(super) commission_name: String,
    case: Option<ViolationCase>,
    parcel: Option<Parcel>,
    owners: Vec<Ownership>,
    items: Vec<ViolationItem>,
    neighbours: Vec<Vec<(f64, f64)>>,
    gis: Option<shahr_gis::Surroundings>,
}

/// Reads what the document of `c` shows.
pub(super) async fn load(a: &Article100, c: &DraftContent) -> Result<DocumentInputs, UseCaseError> {
    let db = &a.db;
    let commission_name = db
        .commissions_by_ids(&[c.commission_id])
        .await?
        .into_iter()
        .next()
        .map(|c| c.name)
        .unwrap_or_default();
    let case = db
        .cases_by_ids(&[c.case_id], &Visibility::All)
        .await?
        .into_iter()
        .next();
    let parcel = match &case {
        Some(case) => db
            .parcels_by_ids(&[case.parcel_id], &Visibility::All)
            .await?
            .into_iter()
            .next(),
        None => None,
    };
    let (owners, neighbours) = match &parcel {
        Some(p) => (
            db.ownerships_by_parcel(&[p.id])
                .await?
                .remove(&p.id)
                .unwrap_or_default(),
            db.block_neighbours(p)
                .await?
                .into_iter()
                .filter_map(|n| n.boundary)
                .collect(),
        ),
        None => (Vec::new(), Vec::new()),
    };
    let items = db
        .items_by_case(&[c.case_id])
        .await?
        .remove(&c.case_id)
        .unwrap_or_default();
    let gis = match (&a.gis, &parcel) {
        (Some(client), Some(p)) => match client.surroundings(p.renovation_code.as_str()).await {
            Ok(found) => found,
            Err(err) => {
                tracing::warn!(error = %err, "GIS unavailable; the sketch uses the legacy geometry");
                None
            }
        },
        _ => None,
    };
    Ok(DocumentInputs {
        commission_name,
        case,
        parcel,
        owners,
        items,
        neighbours,
        gis,
    })
}

/// The street named in an address («…، خیابان امام، …»), for the sketch's label.
fn street_of(address: &str) -> Option<String> {
    address
        .split(['،', ','])
        .map(str::trim)
        .find(|part| {
            ["خیابان", "بلوار", "کوچه", "کوی", "میدان"]
                .iter()
                .any(|w| part.starts_with(w))
        })
        .map(str::to_owned)
}

/// What the document says beyond the urbanism system's facts.
pub(super) struct Finish<'a> {
    /// The verification code (the QR code's target).
    pub(super) code: &'a str,
    /// The public address.
    pub(super) base_url: &'a str,
    /// The settings of the law (the objection window).
    pub(super) rules: &'a Article100Rules,
    /// What the visible seal is drawn from.
    pub(super) seal: SealSeed,
    /// The municipality's name and emblem.
    pub(super) letterhead: &'a Letterhead,
}

impl DocumentInputs {
    /// The document of the ruling `c` under `reservation`, signed by `signers`.
    pub(super) fn finish(
        self,
        reservation: &Reservation,
        c: &DraftContent,
        signers: &[Signer],
        f: Finish<'_>,
    ) -> dadnameh::Dadnameh {
        let Finish {
            code,
            base_url,
            rules,
            seal,
            letterhead,
        } = f;
        let violation_m2: f64 = self.items.iter().map(|i| i.excess_area().to_f64()).sum();
        let street_from_address = self
            .parcel
            .as_ref()
            .and_then(|p| p.address.as_deref())
            .and_then(street_of);
        let kroki = kroki::svg(&match self.gis {
            Some(gis) => kroki::KrokiInput {
                parcel: Some(gis.parcel),
                neighbours: gis.neighbours,
                street: gis.street,
                street_name: gis.street_name.or(street_from_address),
                violation_m2: Some(violation_m2),
                violations: gis.violations,
            },
            None => kroki::KrokiInput {
                parcel: self.parcel.as_ref().and_then(|p| p.boundary.clone()),
                neighbours: self.neighbours,
                street: None,
                street_name: street_from_address,
                violation_m2: Some(violation_m2),
                violations: Vec::new(),
            },
        });
        dadnameh::Dadnameh {
            number: reservation.number.clone(),
            date_jalali: JalaliDate::from_gregorian(reservation.issued_on).to_string(),
            commission_name: self.commission_name,
            stage: c.stage,
            kind: c.kind,
            case_number: self.case.as_ref().and_then(|c| c.case_number.clone()),
            secretariat_number: self
                .case
                .as_ref()
                .and_then(|c| c.secretariat_number.clone()),
            parcel: self.parcel,
            owners: self.owners,
            items: self.items,
            decided: c.items.clone(),
            fine_rials: c.fine_rials,
            text: c.text.clone(),
            legal_basis: c.legal_basis.clone(),
            breached_principle: c.breached_principle,
            appeal_outcome: c.appeal_outcome,
            signers: signers
                .iter()
                .map(|s| {
                    (
                        s.name.clone().unwrap_or_default(),
                        s.seat.label_fa().to_owned(),
                    )
                })
                .collect(),
            objection_days: rules.objection_window_days,
            demolition_period_days: c.demolition_period_days,
            engineer_referral: c.engineer_referral.clone(),
            kroki_svg: kroki,
            verify_url: format!("{base_url}/verify/{code}"),
            verification_code: code.to_owned(),
            seal_svg: seal::svg(&seal),
            seal_fingerprint: seal.fingerprint(),
            letterhead: letterhead.clone(),
        }
    }
}
