//! The parties to a violation case and how each is served (domain reference, section 1,
//! "serving every owner"): every owner, natural persons by national id and legal entities by
//! legal id, and the municipality. An owner whose identifier cannot be read in the urbanism
//! system is never skipped: they are a party like the others, to be served by hand.

use std::fmt;

use crate::{
    identifiers::{LegalId, Mobile, NationalId},
    vocabulary::{OwnerKind, PartyKind},
};

/// A party to a case.
#[derive(
    Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum Party {
    /// An owner who is a natural person.
    Natural(NationalId),
    /// An owner that is a legal entity.
    Legal(LegalId),
    /// An owner whose identifier is unreadable, known by their legacy row (`tbl_malek.id_malek`).
    Unidentified(i32),
    /// The municipality.
    Municipality,
}

impl Party {
    /// Which kind of party.
    pub fn kind(&self) -> PartyKind {
        match self {
            Party::Natural(_) => PartyKind::NaturalPerson,
            Party::Legal(_) => PartyKind::LegalEntity,
            Party::Unidentified(_) => PartyKind::Unidentified,
            Party::Municipality => PartyKind::Municipality,
        }
    }

    /// True for owners (every party but the municipality).
    pub fn is_owner(&self) -> bool {
        !matches!(self, Party::Municipality)
    }

    /// A stable text key, for storage (`nid:0076229645`, `lid:10380284790`, `owner:5`,
    /// `municipality`).
    pub fn key(&self) -> String {
        match self {
            Party::Natural(n) => format!("nid:{}", n.as_str()),
            Party::Legal(l) => format!("lid:{}", l.as_str()),
            Party::Unidentified(row) => format!("owner:{row}"),
            Party::Municipality => "municipality".into(),
        }
    }

    /// Reads a key written by [`Party::key`].
    pub fn from_key(key: &str) -> Option<Self> {
        match key.split_once(':') {
            Some(("nid", n)) => NationalId::parse(n).ok().map(Party::Natural),
            Some(("lid", l)) => LegalId::parse(l).ok().map(Party::Legal),
            Some(("owner", row)) => row.parse().ok().map(Party::Unidentified),
            None if key == "municipality" => Some(Party::Municipality),
            _ => None,
        }
    }

    /// True when the judicial e-notice system can reach this party (it has accounts for
    /// natural persons and legal entities); otherwise service is by hand.
    pub fn has_e_notice_account(&self) -> bool {
        matches!(self, Party::Natural(_) | Party::Legal(_))
    }
}

impl fmt::Display for Party {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.key())
    }
}

/// An owner as the urbanism system holds them, identifiers read as far as they can be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnerRecord {
    /// `tbl_malek.id_malek`.
    pub legacy_id: i32,
    /// Natural person or legal entity, when the code is readable.
    pub kind: Option<OwnerKind>,
    /// The national id, when readable.
    pub national_id: Option<NationalId>,
    /// The legal id, when readable.
    pub legal_id: Option<LegalId>,
    /// The name (a person's full name or the entity's name).
    pub name: String,
    /// The mobile, when readable.
    pub mobile: Option<Mobile>,
}

/// An owner as a party, with what serving them needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnerParty {
    /// The party.
    pub party: Party,
    /// The legacy owner row.
    pub legacy_id: i32,
    /// The name.
    pub name: String,
    /// The mobile (for courtesy SMS), when readable.
    pub mobile: Option<Mobile>,
    /// True when no e-notice account can be addressed: the secretariat serves them by hand.
    pub needs_service_by_hand: bool,
}

/// The party an owner is: a legal entity by its legal id, a natural person by national id,
/// and an owner with neither readable by their legacy row, to be served by hand.
pub fn owner_party(owner: &OwnerRecord) -> OwnerParty {
    let party = match (owner.kind, &owner.national_id, &owner.legal_id) {
        (Some(OwnerKind::Legal), _, Some(l)) => Party::Legal(l.clone()),
        (_, Some(n), _) => Party::Natural(n.clone()),
        (_, None, Some(l)) => Party::Legal(l.clone()),
        (_, None, None) => Party::Unidentified(owner.legacy_id),
    };
    OwnerParty {
        needs_service_by_hand: !party.has_e_notice_account(),
        party,
        legacy_id: owner.legacy_id,
        name: owner.name.clone(),
        mobile: owner.mobile.clone(),
    }
}

/// Every owner of a parcel as a party, once each (two legacy rows with the same identifier
/// are one party), in the legacy order.
pub fn owner_parties(owners: &[OwnerRecord]) -> Vec<OwnerParty> {
    let mut out: Vec<OwnerParty> = Vec::with_capacity(owners.len());
    for owner in owners {
        let party = owner_party(owner);
        if !out.iter().any(|p| p.party == party.party) {
            out.push(party);
        }
    }
    out
}
